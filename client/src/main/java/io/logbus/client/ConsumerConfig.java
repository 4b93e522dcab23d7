package io.logbus.client;

import java.util.List;

/** Immutable consumer settings, named and defaulted as Kafka's; build with the consumer builder. */
public record ConsumerConfig(
    List<HostPort> bootstrapServers,
    String clientId,
    int fetchMinBytes,
    int fetchMaxWaitMs,
    int fetchMaxBytes,
    int maxPartitionFetchBytes,
    int maxPollRecords,
    OffsetResetStrategy autoOffsetReset,
    long requestTimeoutMs,
    long retryBackoffMs,
    long defaultApiTimeoutMs) {

  public ConsumerConfig {
    bootstrapServers = List.copyOf(bootstrapServers);
    Validate.nonNegative("fetch.min.bytes", fetchMinBytes);
    Validate.nonNegative("fetch.max.wait.ms", fetchMaxWaitMs);
    Validate.positive("fetch.max.bytes", fetchMaxBytes);
    Validate.positive("max.partition.fetch.bytes", maxPartitionFetchBytes);
    Validate.positive("max.poll.records", maxPollRecords);
    Validate.positive("request.timeout.ms", requestTimeoutMs);
    Validate.nonNegative("retry.backoff.ms", retryBackoffMs);
    Validate.positive("default.api.timeout.ms", defaultApiTimeoutMs);
    if (autoOffsetReset == null) {
      throw new ConfigException("auto.offset.reset", null, "must be earliest, latest or none");
    }
    if (fetchMaxWaitMs >= requestTimeoutMs) {
      throw new ConfigException(
          "fetch.max.wait.ms", fetchMaxWaitMs, "must be < request.timeout.ms=" + requestTimeoutMs);
    }
  }
}
