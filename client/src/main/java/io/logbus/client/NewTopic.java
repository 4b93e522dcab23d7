package io.logbus.client;

import java.util.Map;
import java.util.Objects;

/** A topic to create: name, partition count, replication factor and per-topic configs. */
public record NewTopic(
    String name, int partitions, int replicationFactor, Map<String, String> configs) {
  public NewTopic {
    Objects.requireNonNull(name, "name");
    configs = configs == null ? Map.of() : Map.copyOf(configs);
  }

  public NewTopic(String name, int partitions, int replicationFactor) {
    this(name, partitions, replicationFactor, Map.of());
  }
}
