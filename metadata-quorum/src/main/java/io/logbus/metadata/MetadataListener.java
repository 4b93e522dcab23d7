package io.logbus.metadata;

import io.logbus.proto.metadata.MetadataRecord;

/**
 * Receives committed metadata in log order, exactly once, on the quorum's single dispatch thread.
 * Implementations must not block for long: every listener of the node shares that thread.
 */
public interface MetadataListener {
  /**
   * The state jumped: the listener's position was older than what can be replayed record by record
   * (it subscribed behind the current state, or a snapshot was installed). {@code image} is the
   * whole state; records that follow continue from {@code image.lastAppliedIndex()}.
   */
  default void onSnapshot(MetadataImage image) {}

  /**
   * One committed record. Records of one Raft entry share its {@code index} and are delivered in
   * order; {@code imageAfter} is the state after the whole entry (an entry is applied atomically).
   */
  void onRecord(long index, MetadataRecord record, MetadataImage imageAfter);
}
