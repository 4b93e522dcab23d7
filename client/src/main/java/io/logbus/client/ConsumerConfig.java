package io.logbus.client;

import java.util.List;

/**
 * Immutable consumer settings, named and defaulted as Kafka's; build with the consumer builder.
 *
 * @param groupId group.id; null for a consumer outside any group (manual assignment only)
 * @param sessionTimeoutMs how long the member keeps its partitions without an answered heartbeat
 *     before it assumes the coordinator expired it (the coordinator has its own session timeout)
 */
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
    long defaultApiTimeoutMs,
    String groupId,
    boolean enableAutoCommit,
    int autoCommitIntervalMs,
    String groupRemoteAssignor,
    long sessionTimeoutMs) {

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
    if (groupId != null && groupId.isBlank()) {
      throw new ConfigException("group.id", "\"" + groupId + "\"", "must not be blank");
    }
    if (enableAutoCommit && groupId == null) {
      throw new ConfigException("enable.auto.commit", true, "needs a group.id");
    }
    Validate.positive("auto.commit.interval.ms", autoCommitIntervalMs);
    Validate.positive("session.timeout.ms", sessionTimeoutMs);
    if (!"uniform".equals(groupRemoteAssignor) && !"range".equals(groupRemoteAssignor)) {
      throw new ConfigException(
          "group.remote.assignor", groupRemoteAssignor, "must be uniform or range");
    }
    if (autoOffsetReset == null) {
      throw new ConfigException("auto.offset.reset", null, "must be earliest, latest or none");
    }
    if (fetchMaxWaitMs >= requestTimeoutMs) {
      throw new ConfigException(
          "fetch.max.wait.ms", fetchMaxWaitMs, "must be < request.timeout.ms=" + requestTimeoutMs);
    }
  }
}
