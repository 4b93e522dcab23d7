package io.logbus.log;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * Leader epoch to start offset, the table of KIP-101: epoch e was led from its start offset up to
 * the start offset of the next epoch. Kept in step with the log (appends add epochs, truncations
 * remove them) and persisted in {@code leader-epoch-checkpoint} ({@link CheckpointFormat}) on every
 * change, which happens only when leadership changes, so the fsync is rare.
 *
 * <p>Thread-safe (synchronized): the writer changes it under the log lock, followers' epoch queries
 * come from request threads.
 */
final class LeaderEpochCache {
  private final TreeMap<Integer, Long> epochs = new TreeMap<>();
  private final CheckpointFile checkpoint;

  private final boolean damaged;

  /**
   * Loads the checkpoint. A file that does not parse is not fatal: the cache starts empty, {@link
   * #damaged()} says so, and the loader re-learns the epochs from the batch headers.
   */
  LeaderEpochCache(CheckpointFile checkpoint) {
    this.checkpoint = checkpoint;
    boolean bad = false;
    try {
      checkpoint
          .read()
          .ifPresent(
              entries -> {
                for (long[] e : entries) {
                  epochs.put(Math.toIntExact(e[0]), e[1]);
                }
              });
    } catch (LogStorageException | ArithmeticException e) {
      LogSegmentRecovery.LOG.warn(
          "{} is damaged ({}); rebuilding leader epochs from the log",
          checkpoint.file(),
          e.getMessage());
      epochs.clear();
      bad = true;
    }
    this.damaged = bad;
  }

  boolean damaged() {
    return damaged;
  }

  /**
   * Records that {@code epoch} starts at {@code startOffset}, if it is newer than the latest epoch.
   * An entry whose start offset is not below the new one is dropped (it was truncated away).
   */
  synchronized void assign(int epoch, long startOffset) {
    if (epoch < 0) {
      return;
    }
    Map.Entry<Integer, Long> last = epochs.lastEntry();
    if (last != null && last.getKey() >= epoch) {
      return;
    }
    while (!epochs.isEmpty() && epochs.lastEntry().getValue() >= startOffset) {
      epochs.pollLastEntry();
    }
    epochs.put(epoch, startOffset);
    flush();
  }

  synchronized OptionalInt latestEpoch() {
    return epochs.isEmpty() ? OptionalInt.empty() : OptionalInt.of(epochs.lastKey());
  }

  /**
   * KIP-101: the largest epoch at or below {@code requested} and its end offset (the start of the
   * next epoch, or {@code logEndOffset} for the latest one); UNDEFINED if every known epoch is
   * newer or the cache is empty.
   */
  synchronized EpochEndOffset endOffsetFor(int requested, long logEndOffset) {
    Map.Entry<Integer, Long> floor = epochs.floorEntry(requested);
    if (floor == null) {
      return EpochEndOffset.UNDEFINED;
    }
    Map.Entry<Integer, Long> next = epochs.higherEntry(requested);
    return new EpochEndOffset(floor.getKey(), next == null ? logEndOffset : next.getValue());
  }

  /** Removes epochs starting at or after {@code endOffset} (the log was truncated to it). */
  synchronized void truncateFromEnd(long endOffset) {
    boolean changed = false;
    while (!epochs.isEmpty() && epochs.lastEntry().getValue() >= endOffset) {
      epochs.pollLastEntry();
      changed = true;
    }
    if (changed) {
      flush();
    }
  }

  /**
   * The log now starts at {@code startOffset}: epochs that ended before it go, and the epoch that
   * covers it now starts there.
   */
  synchronized void truncateFromStart(long startOffset) {
    Map.Entry<Integer, Long> covering = epochs.floorEntry(Integer.MAX_VALUE);
    while (covering != null && covering.getValue() > startOffset) {
      covering = epochs.lowerEntry(covering.getKey());
    }
    if (covering == null) {
      return;
    }
    Map<Integer, Long> older = epochs.headMap(covering.getKey());
    if (older.isEmpty() && covering.getValue() == startOffset) {
      return;
    }
    older.clear();
    epochs.put(covering.getKey(), startOffset);
    flush();
  }

  synchronized void clear() {
    epochs.clear();
    flush();
  }

  synchronized List<long[]> entries() {
    List<long[]> out = new ArrayList<>();
    epochs.forEach((e, o) -> out.add(new long[] {e, o}));
    return out;
  }

  synchronized void flush() {
    checkpoint.write(entries());
  }
}
