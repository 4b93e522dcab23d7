package io.logbus.log;

import io.logbus.record.RecordBatchFormat;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Idempotent producer state of one partition: per producerId its epoch and the metadata of its last
 * {@value #MAX_BATCHES} batches. A leader append is checked against it (duplicate, gap, stale
 * epoch), so a produce retried after a timeout or across a leader failover is stored once.
 *
 * <p>Rebuilt on open from the batch headers in the log, or loaded from {@code
 * producer-state-checkpoint} after a clean shutdown (layout in {@link CheckpointFormat}: a first
 * entry {@code snapshotOffset -1 -1 -1 -1 -1 -1}, then one entry per remembered batch). Not
 * thread-safe: the log's lock guards it.
 *
 * <p>Expiry (Kafka's {@code producer.id.expiration.ms}): a producer's last write time is the
 * maxTimestamp of its last batch as stored in the log (the broker's clock for LogAppendTime
 * topics), as in Kafka. Because the time comes from the stored bytes, a leader, its followers, a
 * snapshot and a rebuild from the log all agree on it, and a producer expired before a crash is
 * expired again right after the rebuild ({@link LogLoader}).
 */
final class ProducerStateManager {
  /**
   * As Kafka: a producer has at most 5 batches in flight, so 5 remembered batches catch retries.
   */
  static final int MAX_BATCHES = 5;

  static final int SNAPSHOT_FIELDS = 7;

  /** {@code timestamp}: the batch's maxTimestamp as stored (its write time for expiry). */
  record BatchMetadata(
      int firstSeq, int lastSeq, long firstOffset, long lastOffset, long timestamp) {}

  static final class ProducerEntry {
    short epoch;
    final ArrayDeque<BatchMetadata> batches = new ArrayDeque<>(MAX_BATCHES + 1);

    ProducerEntry(short epoch) {
      this.epoch = epoch;
    }

    ProducerEntry copy() {
      ProducerEntry c = new ProducerEntry(epoch);
      c.batches.addAll(batches);
      return c;
    }

    /** The last write's timestamp; an entry always holds at least one batch. */
    long lastTimestamp() {
      return batches.getLast().timestamp();
    }

    void add(short newEpoch, BatchMetadata b) {
      if (newEpoch != epoch) {
        batches.clear();
        epoch = newEpoch;
      }
      batches.addLast(b);
      while (batches.size() > MAX_BATCHES) {
        batches.removeFirst();
      }
    }
  }

  private final String logName;
  private Map<Long, ProducerEntry> producers = new HashMap<>();

  ProducerStateManager(String logName) {
    this.logName = logName;
  }

  /** A set of changes checked against the state plus earlier changes of the same request. */
  final class Update {
    private final Map<Long, ProducerEntry> touched = new HashMap<>();

    private ProducerEntry entry(long producerId) {
      ProducerEntry e = touched.get(producerId);
      if (e == null) {
        ProducerEntry committed = producers.get(producerId);
        if (committed == null) {
          return null;
        }
        e = committed.copy();
        touched.put(producerId, e);
      }
      return e;
    }

    /**
     * Leader check of one batch. Returns the original metadata if the batch duplicates one of the
     * producer's last batches; throws {@link DuplicateSequenceException} if it was written before
     * them (offset unknown); throws on a stale epoch or a sequence gap; null if it is new.
     */
    BatchMetadata check(long producerId, short epoch, int firstSeq, int lastSeq) {
      ProducerEntry e = entry(producerId);
      if (e == null) {
        return null;
      }
      if (epoch < e.epoch) {
        throw new InvalidProducerEpochException(
            "["
                + logName
                + "] producer "
                + producerId
                + " epoch "
                + epoch
                + " is older than the current epoch "
                + e.epoch);
      }
      if (epoch > e.epoch) {
        if (firstSeq != 0) {
          throw new OutOfOrderSequenceException(
              "["
                  + logName
                  + "] producer "
                  + producerId
                  + " new epoch "
                  + epoch
                  + ": sequence "
                  + firstSeq
                  + " but expected 0");
        }
        return null;
      }
      for (BatchMetadata b : e.batches) {
        if (b.firstSeq() == firstSeq && b.lastSeq() == lastSeq) {
          return b;
        }
      }
      if (!e.batches.isEmpty() && isOlderThanRemembered(e, firstSeq, lastSeq)) {
        throw new DuplicateSequenceException(
            "["
                + logName
                + "] producer "
                + producerId
                + " epoch "
                + epoch
                + ": sequences "
                + firstSeq
                + ".."
                + lastSeq
                + " were written before the "
                + e.batches.size()
                + " remembered batches (from sequence "
                + e.batches.getFirst().firstSeq()
                + "); offset unknown");
      }
      if (!e.batches.isEmpty()) {
        int expected = RecordBatchFormat.incrementSequence(e.batches.getLast().lastSeq(), 1);
        if (firstSeq != expected) {
          throw new OutOfOrderSequenceException(
              "["
                  + logName
                  + "] producer "
                  + producerId
                  + " epoch "
                  + epoch
                  + ": sequence "
                  + firstSeq
                  + " but expected "
                  + expected);
        }
      }
      return null;
    }

    /**
     * Whether the batch lies wholly before the oldest remembered batch. Sequences are accepted only
     * in order, so such a batch of the current epoch is already in the log (a late retry), not a
     * gap. Conservative around the wrap at Integer.MAX_VALUE: a wrapped batch or window is never
     * called a duplicate.
     */
    private static boolean isOlderThanRemembered(ProducerEntry e, int firstSeq, int lastSeq) {
      int oldest = e.batches.getFirst().firstSeq();
      int newest = e.batches.getLast().lastSeq();
      return firstSeq >= 0 && firstSeq <= lastSeq && lastSeq < oldest && oldest <= newest;
    }

    void record(long producerId, short epoch, BatchMetadata b) {
      ProducerEntry e = entry(producerId);
      if (e == null) {
        e = new ProducerEntry(epoch);
        touched.put(producerId, e);
      }
      e.add(epoch, b);
    }

    void commit() {
      producers.putAll(touched);
      touched.clear();
    }
  }

  Update begin() {
    return new Update();
  }

  /** Applies a stored batch without checks (follower appends, rebuild from the log). */
  void applyBatch(ByteBuffer header) {
    long pid = RecordBatchFormat.producerId(header, 0);
    if (pid == RecordBatchFormat.NO_PRODUCER_ID) {
      return;
    }
    short epoch = RecordBatchFormat.producerEpoch(header, 0);
    int firstSeq = RecordBatchFormat.baseSequence(header, 0);
    int lastDelta = RecordBatchFormat.lastOffsetDelta(header, 0);
    long base = RecordBatchFormat.baseOffset(header, 0);
    BatchMetadata b =
        new BatchMetadata(
            firstSeq,
            RecordBatchFormat.incrementSequence(firstSeq, lastDelta),
            base,
            base + lastDelta,
            RecordBatchFormat.maxTimestamp(header, 0));
    producers.computeIfAbsent(pid, id -> new ProducerEntry(epoch)).add(epoch, b);
  }

  /**
   * Forgets batches at or above {@code offset} (the log was truncated there), and producers left
   * with none. Cheaper than a rebuild from the log, which a follower would pay at every leader
   * change; the price is that a producer whose remembered batches were all truncated is unknown
   * afterwards (its next sequence is accepted, as for any unknown producer).
   */
  void truncateTo(long offset) {
    producers
        .values()
        .removeIf(
            e -> {
              e.batches.removeIf(b -> b.lastOffset() >= offset);
              return e.batches.isEmpty();
            });
  }

  /**
   * Forgets producers whose last write is {@code expirationMs} or more before {@code nowMs}
   * (Kafka's test); returns how many.
   */
  int removeExpired(long nowMs, long expirationMs) {
    int before = producers.size();
    producers.values().removeIf(e -> nowMs - e.lastTimestamp() >= expirationMs);
    return before - producers.size();
  }

  /** Producer id -> last offset of its last remembered batch. */
  Map<Long, Long> lastOffsets() {
    Map<Long, Long> out = new HashMap<>();
    producers.forEach((pid, e) -> out.put(pid, e.batches.getLast().lastOffset()));
    return out;
  }

  void clear() {
    producers = new HashMap<>();
  }

  int producerCount() {
    return producers.size();
  }

  /** The remembered batches of a producer, oldest first (tests and diagnostics). */
  List<BatchMetadata> batchesOf(long producerId) {
    ProducerEntry e = producers.get(producerId);
    return e == null ? List.of() : List.copyOf(e.batches);
  }

  List<long[]> snapshot(long snapshotOffset) {
    List<long[]> out = new ArrayList<>();
    out.add(new long[] {snapshotOffset, -1, -1, -1, -1, -1, -1});
    producers.forEach(
        (pid, e) -> {
          for (BatchMetadata b : e.batches) {
            out.add(
                new long[] {
                  pid,
                  e.epoch,
                  b.firstSeq(),
                  b.lastSeq(),
                  b.firstOffset(),
                  b.lastOffset(),
                  b.timestamp()
                });
          }
        });
    return out;
  }

  /** Loads a snapshot if it describes {@code logEndOffset}; returns whether it did. */
  boolean load(List<long[]> entries, long logEndOffset) {
    if (entries.isEmpty() || entries.get(0)[0] != logEndOffset) {
      return false;
    }
    Map<Long, ProducerEntry> loaded = new HashMap<>();
    for (long[] e : entries.subList(1, entries.size())) {
      short epoch = (short) e[1];
      loaded
          .computeIfAbsent(e[0], id -> new ProducerEntry(epoch))
          .add(epoch, new BatchMetadata((int) e[2], (int) e[3], e[4], e[5], e[6]));
    }
    producers = loaded;
    return true;
  }
}
