package io.logbus.client.testing;

import io.logbus.proto.ErrorCode;
import io.logbus.record.RecordBatch;
import io.logbus.record.RecordBatches;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One partition of the {@link FakeCluster}: stored batches with leader-assigned offsets, a leader
 * and epoch, and the broker's idempotent-producer check (duplicate of one of the last 5 batches
 * answers the original offset; a batch wholly before them is DUPLICATE_SEQUENCE, offset -1; a gap
 * is OUT_OF_ORDER_SEQUENCE "sequence N but expected M"). Thread-safe by its monitor.
 */
public final class FakePartition {
  private final List<ByteBuffer> batches = new ArrayList<>();
  private final Map<Long, ArrayDeque<long[]>> producers = new HashMap<>();
  private long logStartOffset;
  private long endOffset;
  volatile int leader;
  volatile int leaderEpoch;
  final List<Integer> replicas;
  private int rememberedBatches = 5;
  private boolean olderBatchesOutOfOrder;

  FakePartition(int leader, List<Integer> replicas) {
    this.leader = leader;
    this.replicas = List.copyOf(replicas);
  }

  /**
   * How many batches per producer the duplicate check remembers (the broker's 5); fewer lets a test
   * push a written batch out of the window with few batches in flight.
   */
  public synchronized void rememberBatches(int count) {
    if (count < 1) {
      throw new IllegalArgumentException("remembered batches must be >= 1, got " + count);
    }
    rememberedBatches = count;
  }

  /**
   * Answers a batch older than the remembered ones OUT_OF_ORDER_SEQUENCE instead of
   * DUPLICATE_SEQUENCE, as brokers before the fix did, to test the client's own guard.
   */
  public synchronized void answerOlderBatchesOutOfOrder(boolean on) {
    olderBatchesOutOfOrder = on;
  }

  /** The outcome of an append: error code and base offset. */
  public record Appended(ErrorCode error, long baseOffset, String message) {}

  synchronized Appended append(ByteBuffer records) {
    List<RecordBatch> parsed;
    try {
      parsed = RecordBatches.validate(records.duplicate());
    } catch (RuntimeException e) {
      return new Appended(ErrorCode.CORRUPT_MESSAGE, -1, e.getMessage());
    }
    long first = -1;
    for (RecordBatch b : parsed) {
      if (b.hasProducerId()) {
        ArrayDeque<long[]> seen =
            producers.computeIfAbsent(b.producerId(), k -> new ArrayDeque<>());
        for (long[] s : seen) {
          if (s[0] == b.baseSequence() && s[1] == b.lastSequence()) {
            return new Appended(ErrorCode.NONE, s[2], "duplicate");
          }
        }
        long expected = seen.isEmpty() ? 0 : seen.peekLast()[1] + 1;
        if (!olderBatchesOutOfOrder
            && !seen.isEmpty()
            && b.baseSequence() >= 0
            && b.lastSequence() < seen.peekFirst()[0]) {
          return new Appended(
              ErrorCode.DUPLICATE_SEQUENCE,
              -1,
              "sequences "
                  + b.baseSequence()
                  + ".."
                  + b.lastSequence()
                  + " were written before the remembered batches; offset unknown");
        }
        if (b.baseSequence() != expected) {
          return new Appended(
              ErrorCode.OUT_OF_ORDER_SEQUENCE,
              -1,
              "producer "
                  + b.producerId()
                  + ": sequence "
                  + b.baseSequence()
                  + " but expected "
                  + expected);
        }
      }
      ByteBuffer copy = ByteBuffer.allocate(b.sizeInBytes());
      copy.put(b.buffer().duplicate());
      copy.flip();
      RecordBatch stored = new RecordBatch(copy);
      stored.setBaseOffset(endOffset);
      stored.setPartitionLeaderEpoch(leaderEpoch);
      if (first < 0) {
        first = endOffset;
      }
      if (b.hasProducerId()) {
        ArrayDeque<long[]> seen = producers.get(b.producerId());
        seen.addLast(new long[] {b.baseSequence(), b.lastSequence(), endOffset});
        if (seen.size() > rememberedBatches) {
          seen.pollFirst();
        }
      }
      batches.add(copy);
      endOffset += b.recordCount();
      notifyAll();
    }
    return new Appended(ErrorCode.NONE, first, "");
  }

  /** Whole batches containing or following {@code offset}, waiting up to maxWaitMs for data. */
  synchronized ByteBuffer read(long offset, int maxBytes, long maxWaitMs)
      throws InterruptedException {
    long deadline = System.currentTimeMillis() + maxWaitMs;
    while (offset >= endOffset && System.currentTimeMillis() < deadline) {
      wait(Math.max(1, deadline - System.currentTimeMillis()));
    }
    List<ByteBuffer> out = new ArrayList<>();
    int size = 0;
    for (ByteBuffer b : batches) {
      RecordBatch rb = new RecordBatch(b.duplicate());
      if (rb.lastOffset() < offset) {
        continue;
      }
      if (!out.isEmpty() && size + rb.sizeInBytes() > maxBytes) {
        break;
      }
      out.add(b.duplicate());
      size += rb.sizeInBytes();
    }
    ByteBuffer all = ByteBuffer.allocate(size);
    out.forEach(all::put);
    all.flip();
    return all;
  }

  public synchronized long endOffset() {
    return endOffset;
  }

  public synchronized long logStartOffset() {
    return logStartOffset;
  }

  /** Every stored batch, in offset order (copies). */
  public synchronized List<RecordBatch> batches() {
    List<RecordBatch> out = new ArrayList<>();
    for (ByteBuffer b : batches) {
      out.add(new RecordBatch(b.duplicate()));
    }
    return out;
  }

  public int leader() {
    return leader;
  }
}
