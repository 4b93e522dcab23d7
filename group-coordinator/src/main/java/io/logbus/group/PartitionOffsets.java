package io.logbus.group;

import java.util.concurrent.CompletableFuture;

/**
 * What ResetOffsets needs to know about data partitions, answered by the broker (locally or with a
 * ListOffsets call to the partition's leader). Must be callable from any thread.
 */
public interface PartitionOffsets {

  /** The log start offset. */
  CompletableFuture<Long> earliest(TopicPartition tp);

  /** The high watermark: the offset after the last record consumers can read. */
  CompletableFuture<Long> latest(TopicPartition tp);

  /** The first offset whose timestamp is >= {@code timestampMs}; the latest offset if none. */
  CompletableFuture<Long> forTimestamp(TopicPartition tp, long timestampMs);
}
