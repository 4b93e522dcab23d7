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
 * and epoch, and Kafka's idempotent-producer check (duplicate of one of the last 5 batches answers
 * the original offset; a gap is OUT_OF_ORDER_SEQUENCE). Thread-safe by its monitor.
 */
public final class FakePartition {
  private final List<ByteBuffer> batches = new ArrayList<>();
  private final Map<Long, ArrayDeque<long[]>> producers = new HashMap<>();
  private long logStartOffset;
  private long endOffset;
  volatile int leader;
  volatile int leaderEpoch;
  final List<Integer> replicas;

  FakePartition(int leader, List<Integer> replicas) {
    this.leader = leader;
    this.replicas = List.copyOf(replicas);
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
        if (b.baseSequence() != expected) {
          return new Appended(
              ErrorCode.OUT_OF_ORDER_SEQUENCE,
              -1,
              "expected sequence " + expected + " got " + b.baseSequence());
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
        if (seen.size() > 5) {
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
