package io.logbus.client;

import java.util.List;

/**
 * Immutable admin client settings; build with {@link LogbusAdmin#builder()}.
 *
 * @param requestTimeoutMs deadline of one RPC
 * @param apiTimeoutMs bound of one admin operation including its retries
 */
public record AdminConfig(
    List<HostPort> bootstrapServers,
    String clientId,
    long requestTimeoutMs,
    long apiTimeoutMs,
    long retryBackoffMs) {

  public AdminConfig {
    bootstrapServers = List.copyOf(bootstrapServers);
    Validate.positive("request.timeout.ms", requestTimeoutMs);
    Validate.positive("default.api.timeout.ms", apiTimeoutMs);
    Validate.nonNegative("retry.backoff.ms", retryBackoffMs);
  }
}
