package io.logbus.client;

import io.logbus.record.CompressionType;
import java.util.List;

/**
 * Immutable producer settings, named and defaulted as Kafka's producer configs. Build with {@link
 * LogbusProducer#builder()}; every value is checked there with an error naming key and value.
 *
 * @param acks -1 (all in-sync replicas), 1 (leader) or 0 (fire and forget)
 * @param idempotence on by default; requires acks=-1 and at most 5 in flight per partition
 */
public record ProducerConfig(
    List<HostPort> bootstrapServers,
    String clientId,
    int acks,
    int batchSize,
    long lingerMs,
    long bufferMemory,
    long maxBlockMs,
    CompressionType compression,
    int retries,
    long retryBackoffMs,
    long deliveryTimeoutMs,
    long requestTimeoutMs,
    boolean idempotence,
    int maxInFlightPerPartition,
    int maxRequestSize) {

  public ProducerConfig {
    bootstrapServers = List.copyOf(bootstrapServers);
    if (acks != -1 && acks != 0 && acks != 1) {
      throw new ConfigException("acks", acks, "must be all (-1), 1 or 0");
    }
    Validate.positive("batch.size", batchSize);
    Validate.nonNegative("linger.ms", lingerMs);
    Validate.positive("buffer.memory", bufferMemory);
    Validate.nonNegative("max.block.ms", maxBlockMs);
    Validate.nonNegative("retries", retries);
    Validate.nonNegative("retry.backoff.ms", retryBackoffMs);
    Validate.positive("request.timeout.ms", requestTimeoutMs);
    Validate.positive("max.request.size", maxRequestSize);
    Validate.positive("max.in.flight.requests.per.connection", maxInFlightPerPartition);
    if (deliveryTimeoutMs < lingerMs + requestTimeoutMs) {
      throw new ConfigException(
          "delivery.timeout.ms",
          deliveryTimeoutMs,
          "must be >= linger.ms + request.timeout.ms = " + (lingerMs + requestTimeoutMs));
    }
    if (idempotence && acks != -1) {
      throw new ConfigException("acks", acks, "idempotence requires acks=all");
    }
    if (idempotence && maxInFlightPerPartition > 5) {
      throw new ConfigException(
          "max.in.flight.requests.per.connection",
          maxInFlightPerPartition,
          "idempotence allows at most 5");
    }
  }
}
