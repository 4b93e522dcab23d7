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

/**
 * Per-partition queues of {@link ProducerBatch}es. Application threads append to the last batch of
 * a partition (or open a new one); the I/O thread takes ready batches from the front: full ones,
 * ones older than linger.ms, or any while a flush or close is in progress or memory is exhausted.
 * Each deque is guarded by its own monitor.
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
      ProducerBatch batch = new ProducerBatch(tp, compression, clock.millis(), batchSize);
      if (!batch.tryAppend(timestamp, key, value, headers, thunk, estimate, batchSize)) {
        throw new IllegalStateException(tp + ": first record did not fit an empty batch");
      }
      dq.addLast(batch);
      incomplete.add(batch);
      return new AppendResult(last != null, batch.isFull());
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
    List<ProducerBatch> expired = new ArrayList<>();
    for (Deque<ProducerBatch> dq : queues.values()) {
      synchronized (dq) {
        while (!dq.isEmpty() && nowMs - dq.peekFirst().createdMs >= deliveryTimeoutMs) {
          ProducerBatch b = dq.pollFirst();
          b.closeForAppends();
          expired.add(b);
        }
      }
    }
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
