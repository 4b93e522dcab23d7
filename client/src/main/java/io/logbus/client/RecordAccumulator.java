package io.logbus.client;

import io.logbus.record.CompressionType;
import io.logbus.record.Header;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Per-partition queues of {@link ProducerBatch}es. Application threads append to the last batch of
 * a partition (or open a new one); the I/O thread takes ready batches from the front: full ones,
 * ones older than linger.ms, or any while a flush or close is in progress or memory is exhausted.
 * Each deque is guarded by its own monitor, held only for short steps: a new batch (whose builder
 * allocates batch.size bytes) is allocated outside it, as Kafka's accumulator does.
 */
final class RecordAccumulator {
  /** Upper bound of a record's framing in a v2 batch: varints and attributes. */
  static final int RECORD_OVERHEAD = 21;

  private final int batchSize;
  private final long lingerMs;
  private final CompressionType compression;
  private final BufferPool pool;
  private final Clock clock;
  private final Map<TopicPartition, Deque<ProducerBatch>> queues = new ConcurrentHashMap<>();
  private final Set<ProducerBatch> incomplete = ConcurrentHashMap.newKeySet();
  private final AtomicInteger flushes = new AtomicInteger();
  private volatile boolean closing;

  /**
   * No batch still queued was created before this (Long.MAX_VALUE: none queued), so {@link #expire}
   * skips its pass over every deque until the delivery timeout could have passed. A lower bound:
   * batches sent since the last pass may still count here, which only costs one more pass.
   */
  private final AtomicLong oldestQueuedMs = new AtomicLong(Long.MAX_VALUE);

  RecordAccumulator(
      int batchSize, long lingerMs, CompressionType compression, BufferPool pool, Clock clock) {
    this.batchSize = batchSize;
    this.lingerMs = lingerMs;
    this.compression = compression;
    this.pool = pool;
    this.clock = clock;
  }

  static int estimate(byte[] key, byte[] value, List<Header> headers) {
    int size =
        RECORD_OVERHEAD + (key == null ? 0 : key.length) + (value == null ? 0 : value.length);
    for (Header h : headers) {
      size += 10 + h.key().length() * 3 + (h.value() == null ? 0 : h.value().length);
    }
    return size;
  }

  /** What an append did: whether it had to open a new batch (the sticky partitioner moves on). */
  record AppendResult(boolean newBatch, boolean batchFull) {}

  /**
   * Appends one record whose memory the caller already reserved in the {@link BufferPool}.
   *
   * @return whether a new batch was opened because the last one was full
   */
  AppendResult append(
      TopicPartition tp,
      long timestamp,
      byte[] key,
      byte[] value,
      List<Header> headers,
      ProducerBatch.Thunk thunk,
      int estimate) {
    Deque<ProducerBatch> dq = queues.computeIfAbsent(tp, k -> new ArrayDeque<>());
    synchronized (dq) {
      ProducerBatch last = dq.peekLast();
      if (last != null
          && last.tryAppend(timestamp, key, value, headers, thunk, estimate, batchSize)) {
        return new AppendResult(false, last.isFull());
      }
    }
    // Allocate outside the lock: the I/O thread's ready/poll/expire and other appenders of this
    // partition need not wait behind a batch.size allocation.
    ProducerBatch fresh = new ProducerBatch(tp, compression, clock.millis(), batchSize);
    synchronized (dq) {
      ProducerBatch last = dq.peekLast();
      // Another thread may have opened a batch meanwhile: use it, and drop ours unused.
      if (last != null
          && last.tryAppend(timestamp, key, value, headers, thunk, estimate, batchSize)) {
        return new AppendResult(false, last.isFull());
      }
      if (!fresh.tryAppend(timestamp, key, value, headers, thunk, estimate, batchSize)) {
        throw new IllegalStateException(tp + ": first record did not fit an empty batch");
      }
      dq.addLast(fresh);
      incomplete.add(fresh);
      oldestQueuedMs.accumulateAndGet(fresh.createdMs, Math::min);
      return new AppendResult(last != null, fresh.isFull());
    }
  }

  boolean flushing() {
    return flushes.get() > 0;
  }

  void beginFlush() {
    flushes.incrementAndGet();
  }

  void endFlush() {
    flushes.decrementAndGet();
  }

  void beginClose() {
    closing = true;
  }

  /** Batches appended so far and not yet completed (what flush waits for). */
  List<ProducerBatch> incompleteBatches() {
    return new ArrayList<>(incomplete);
  }

  void completed(ProducerBatch batch) {
    incomplete.remove(batch);
    pool.release(batch.reservedBytes());
  }

  boolean hasIncomplete() {
    return !incomplete.isEmpty();
  }

  Set<TopicPartition> partitions() {
    return queues.keySet();
  }

  /** True when the first batch of the partition should be sent now. */
  boolean ready(TopicPartition tp, long nowMs) {
    Deque<ProducerBatch> dq = queues.get(tp);
    if (dq == null) {
      return false;
    }
    synchronized (dq) {
      ProducerBatch first = dq.peekFirst();
      if (first == null) {
        return false;
      }
      return first.isFull()
          || dq.size() > 1
          || nowMs - first.createdMs >= lingerMs
          || closing
          || flushes.get() > 0
          || pool.exhausted();
    }
  }

  /** Milliseconds until the earliest open batch lingers out, or Long.MAX_VALUE if none. */
  long nextLingerExpiry(long nowMs) {
    long min = Long.MAX_VALUE;
    for (Deque<ProducerBatch> dq : queues.values()) {
      synchronized (dq) {
        ProducerBatch first = dq.peekFirst();
        if (first != null) {
          min = Math.min(min, Math.max(0, first.createdMs + lingerMs - nowMs));
        }
      }
    }
    return min;
  }

  /** Takes the first batch of the partition for sending; no more appends go to it. */
  ProducerBatch poll(TopicPartition tp) {
    Deque<ProducerBatch> dq = queues.get(tp);
    if (dq == null) {
      return null;
    }
    synchronized (dq) {
      ProducerBatch first = dq.pollFirst();
      if (first != null) {
        first.closeForAppends();
      }
      return first;
    }
  }

  /** Removes and returns unsent batches older than the delivery timeout. */
  List<ProducerBatch> expire(long nowMs, long deliveryTimeoutMs) {
    long oldest = oldestQueuedMs.get();
    if (oldest == Long.MAX_VALUE || nowMs - oldest < deliveryTimeoutMs) {
      return List.of();
    }
    // Reset before the pass: an append racing with it lowers the bound again itself, and every
    // batch queued before the reset is seen by the pass below.
    oldestQueuedMs.set(Long.MAX_VALUE);
    List<ProducerBatch> expired = new ArrayList<>();
    long remainingOldest = Long.MAX_VALUE;
    for (Deque<ProducerBatch> dq : queues.values()) {
      synchronized (dq) {
        while (!dq.isEmpty() && nowMs - dq.peekFirst().createdMs >= deliveryTimeoutMs) {
          ProducerBatch b = dq.pollFirst();
          b.closeForAppends();
          expired.add(b);
        }
        for (ProducerBatch b : dq) {
          remainingOldest = Math.min(remainingOldest, b.createdMs);
        }
      }
    }
    oldestQueuedMs.accumulateAndGet(remainingOldest, Math::min);
    return expired;
  }

  /** Removes every unsent batch (forced close). */
  List<ProducerBatch> drainAll() {
    List<ProducerBatch> all = new ArrayList<>();
    for (Deque<ProducerBatch> dq : queues.values()) {
      synchronized (dq) {
        for (ProducerBatch b : dq) {
          b.closeForAppends();
          all.add(b);
        }
        dq.clear();
      }
    }
    return all;
  }
}
