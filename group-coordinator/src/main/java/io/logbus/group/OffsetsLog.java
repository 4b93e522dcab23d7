package io.logbus.group;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * The seam between the coordinator and the replicated partitions of {@code __consumer_offsets}.
 * broker-node implements it over its replica manager; tests implement it over a real log-store
 * {@code PartitionLog}.
 *
 * <p>Implementations must be callable from any thread and must keep the order of {@link #append}
 * calls for one partition (the coordinator calls it under the partition's lock, so call order is
 * log order). They must not complete the returned futures while holding a lock that an appending
 * thread may wait for: completion callbacks take the coordinator's partition lock, whose holder may
 * be inside {@link #append}.
 */
public interface OffsetsLog {

  /**
   * Appends RecordBatch v2 batches (offsets in them are ignored and assigned by the leader) with
   * acks=all. The future completes with the offset of the first appended record once every in-sync
   * replica has it, or fails (not leader any more, not enough replicas, timeout): then the
   * coordinator treats the write as not done.
   */
  CompletableFuture<Long> append(int partition, ByteBuffer batches);

  /**
   * Reads whole batches from {@code fromOffset} (the batch containing it first), about {@code
   * maxBytes} but at least one batch, up to the log end offset, not the high watermark: a new
   * leader's whole log becomes committed (followers truncate to it) or the leader loses leadership
   * and unloads, so records between the two must be replayed too (as Kafka's loader does). An
   * offset below the log start (retention, or compaction removed the head) reads from the log
   * start; a compacted gap reads the next batch. An empty buffer means there is nothing more to
   * read now.
   */
  CompletableFuture<ByteBuffer> read(int partition, long fromOffset, int maxBytes);
}
