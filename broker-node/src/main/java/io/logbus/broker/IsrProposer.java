package io.logbus.broker;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where a leader proposes ISR changes: the controller's {@code alterPartition} in a node. The
 * answer is the partition state as committed (or a failed future: FENCED_LEADER_EPOCH,
 * INVALID_UPDATE_VERSION, ...); the leader applies the new ISR only from that answer, so the ISR on
 * record is never larger than the truth.
 */
@FunctionalInterface
public interface IsrProposer {
  CompletableFuture<PartitionAssignment> alterPartition(
      PartitionAssignment current, List<Integer> newIsr);
}
