package io.logbus.metadata;

import java.util.List;

/**
 * The committed state of one partition: leader (-1 when offline), leader epoch (grows at every
 * leader change), partition epoch (grows at every change of any field, guards ISR updates),
 * replicas (first = preferred leader) and the in-sync replicas. Immutable.
 */
public record PartitionState(
    int partition,
    int leader,
    int leaderEpoch,
    int partitionEpoch,
    List<Integer> replicas,
    List<Integer> isr) {

  public static final int NO_LEADER = -1;

  public PartitionState {
    replicas = List.copyOf(replicas);
    isr = List.copyOf(isr);
  }

  public boolean isOffline() {
    return leader == NO_LEADER;
  }
}
