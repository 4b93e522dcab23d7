package io.logbus.metadata;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/** One topic: name, id, explicitly set configs and its partitions by index. Immutable. */
public record TopicImage(
    String name, UUID id, Map<String, String> configs, List<PartitionState> partitions) {

  public TopicImage {
    configs = Map.copyOf(configs);
    partitions = List.copyOf(partitions);
  }

  public boolean isInternal() {
    return name.startsWith("__");
  }

  public PartitionState partition(int index) {
    return partitions.get(index);
  }

  public int partitionCount() {
    return partitions.size();
  }

  public int replicationFactor() {
    return partitions.isEmpty() ? 0 : partitions.get(0).replicas().size();
  }

  /** Whether a leader may be chosen outside the ISR when no ISR member is alive. */
  public boolean uncleanLeaderElection() {
    return Boolean.parseBoolean(
        configs.getOrDefault(TopicConfigs.UNCLEAN_LEADER_ELECTION, "false"));
  }
}
