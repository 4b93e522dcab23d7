package io.logbus.broker;

import java.util.List;

/**
 * A partition's replication state as committed in the metadata log: leader, leader epoch, the
 * partition epoch (bumped at every ISR or replica change, checked by the controller on
 * alterPartition), replicas and ISR. Immutable.
 */
public record PartitionAssignment(
    String topic,
    int partition,
    int leader,
    int leaderEpoch,
    int partitionEpoch,
    List<Integer> replicas,
    List<Integer> isr) {

  public PartitionAssignment {
    replicas = List.copyOf(replicas);
    isr = List.copyOf(isr);
  }

  public PartitionKey key() {
    return new PartitionKey(topic, partition);
  }

  public PartitionAssignment withIsr(List<Integer> newIsr, int newPartitionEpoch) {
    return new PartitionAssignment(
        topic, partition, leader, leaderEpoch, newPartitionEpoch, replicas, newIsr);
  }
}
