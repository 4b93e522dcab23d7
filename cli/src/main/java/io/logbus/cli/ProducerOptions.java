package io.logbus.cli;

import io.logbus.client.ConfigException;
import io.logbus.client.LogbusProducer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Producer settings {@code produce} and {@code perf produce} share, named after Kafka's producer
 * configs. A value the client refuses is a usage error naming the config.
 */
final class ProducerOptions {
  @Spec(Spec.Target.MIXEE)
  CommandSpec mixee;

  @Option(names = "--acks", defaultValue = "all", paramLabel = "all|1|0")
  String acks;

  @Option(
      names = "--compression",
      defaultValue = "none",
      paramLabel = "C",
      description = "none, gzip, snappy, lz4 or zstd. Default: ${DEFAULT-VALUE}.")
  String compression;

  @Option(names = "--batch-size", defaultValue = "16384", paramLabel = "BYTES")
  int batchSize;

  @Option(names = "--linger-ms", defaultValue = "5", paramLabel = "MS")
  long lingerMs;

  @Option(names = "--buffer-memory", defaultValue = "33554432", paramLabel = "BYTES")
  long bufferMemory;

  @Option(
      names = "--delivery-timeout-ms",
      defaultValue = "120000",
      paramLabel = "MS",
      description = "Give up on a record after MS. Default: ${DEFAULT-VALUE}.")
  long deliveryTimeoutMs;

  /** A checked builder for these settings; a bad value fails here as a usage error. */
  LogbusProducer.Builder builder(ClientOptions client, String clientId) {
    try {
      LogbusProducer.Builder builder =
          LogbusProducer.builder()
              .bootstrapServers(client.bootstrap)
              .clientId(clientId)
              .acks(acks)
              .compression(compression)
              .batchSize(batchSize)
              .lingerMs(lingerMs)
              .bufferMemory(bufferMemory)
              .maxBlockMs(client.requestTimeoutMs)
              .requestTimeoutMs(Math.min(client.requestTimeoutMs, 10_000))
              .deliveryTimeoutMs(deliveryTimeoutMs);
      builder.toConfig();
      return builder;
    } catch (ConfigException e) {
      throw new ParameterException(mixee.commandLine(), e.getMessage());
    }
  }
}
