package io.logbus.log;

import io.logbus.record.Record;
import io.logbus.record.RecordBatch;
import io.logbus.record.TimestampType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compaction for {@code cleanup.policy=compact}: keeps the latest record per key in the closed
 * segments (the active one is never touched), drops tombstones older than delete.retention.ms, and
 * keeps every surviving record at its offset (a compacted log has gaps).
 *
 * <p>Never blocks appends or reads: the cleaned copy of a segment is built aside under {@code
 * <base>.log.cleaned} (+ {@code .index.cleaned}, {@code .timeindex.cleaned}), fsynced, and renamed
 * to {@code <base>.log.swap}: that rename is the commit point, which {@link LogLoader} completes
 * after a crash. Only the final renames and the segment-map update run under the log's lock. A
 * batch whose records all survive is copied byte for byte; a partly cleaned batch is rebuilt with
 * the surviving records at their offsets under the original header fields, and an emptied batch
 * that is its producer's last keeps its header ({@link CleanedBatches}).
 *
 * <p>Progress survives restarts as Kafka's cleaner-offset-checkpoint does: after a cleaning, the
 * offset below which the log is clean is written to the log's {@code cleaner-offset-checkpoint}
 * (atomically, {@link CheckpointFile}) and read back the first time the cleaner looks at a log, so
 * a restart does not count the whole log as dirty again. A damaged or out-of-range checkpoint falls
 * back to the log start (the whole log is dirty: one full, safe cleaning) with a WARN.
 *
 * <p>Called from the log manager's background thread only (one cleaning at a time).
 */
final class LogCleaner {
  private static final Logger LOG = LoggerFactory.getLogger(LogCleaner.class);

  private final Clock clock;

  /**
   * Per log: the active segment base offset at its last cleaning (Kafka's first dirty offset);
   * segments from there are dirty. Loaded from the checkpoint on first use.
   */
  private final Map<PartitionLog, Long> cleanedUpTo = new ConcurrentHashMap<>();

  /** Cleanings run (tests tell a skipped log from a cleaned one). */
  private final AtomicInteger cleanings = new AtomicInteger();

  LogCleaner(Clock clock) {
    this.clock = clock;
  }

  /** Cleans {@code log} if its dirty ratio reaches min.cleanable.dirty.ratio. */
  int maybeClean(PartitionLog log) {
    List<LogSegment> closed = closedSegments(log);
    long total = 0;
    long dirty = 0;
    long from = firstDirtyOffset(log);
    for (LogSegment s : closed) {
      total += s.size();
      if (s.baseOffset() >= from) {
        dirty += s.size();
      }
    }
    if (total == 0 || (double) dirty / total < log.config().minCleanableDirtyRatio()) {
      return 0;
    }
    return clean(log);
  }

  /** Segments at or above this offset are dirty. */
  long firstDirtyOffset(PartitionLog log) {
    return cleanedUpTo.computeIfAbsent(log, LogCleaner::readCheckpoint);
  }

  int cleaningsRun() {
    return cleanings.get();
  }

  /** The log was deleted: drop what the cleaner remembers of it. */
  void forget(PartitionLog log) {
    cleanedUpTo.remove(log);
  }

  private static CheckpointFile checkpointFile(PartitionLog log) {
    return new CheckpointFile(log.dir().resolve(LogFileNames.CLEANER_OFFSET_CHECKPOINT), 1);
  }

  private static long readCheckpoint(PartitionLog log) {
    long start = log.logStartOffset();
    long end = log.logEndOffset();
    Optional<Long> saved;
    try {
      saved = checkpointFile(log).readOffset();
    } catch (LogStorageException e) {
      LOG.warn("[{}] {}; the whole log counts as dirty", log.name(), e.getMessage());
      return start;
    }
    if (saved.isEmpty() || saved.get() < start) {
      // Absent, or retention moved the log start past it (Kafka resets to the start, too).
      return start;
    }
    if (saved.get() > end) {
      LOG.warn(
          "[{}] cleaner checkpoint {} is beyond the log end {}; the whole log counts as dirty",
          log.name(),
          saved.get(),
          end);
      return start;
    }
    return saved.get();
  }

  private static void writeCheckpoint(PartitionLog log, long cleanedTo) {
    log.lock.lock();
    try {
      // Under the lock a deletion cannot remove the directory while the file is written.
      if (!log.isClosed()) {
        checkpointFile(log).writeOffset(cleanedTo);
      }
    } finally {
      log.lock.unlock();
    }
  }

  /** Producer id -> last offset of its last batch, read under the log's lock. */
  private static Map<Long, Long> producersLastOffsets(PartitionLog log) {
    log.lock.lock();
    try {
      return log.producerState().lastOffsets();
    } finally {
      log.lock.unlock();
    }
  }

  private static List<LogSegment> closedSegments(PartitionLog log) {
    log.lock.lock();
    try {
      // Only segments wholly below the high watermark: above it a record may still be truncated
      // away on a leader change, and cleaning an older record of its key against it would lose
      // that key on this replica alone.
      List<LogSegment> all = new ArrayList<>(log.segments.values());
      List<LogSegment> closed = new ArrayList<>();
      long highWatermark = log.highWatermark();
      for (LogSegment segment : all.subList(0, all.size() - 1)) {
        if (segment.nextOffset() > highWatermark) {
          break;
        }
        closed.add(segment);
      }
      return closed;
    } finally {
      log.lock.unlock();
    }
  }

  /** Cleans every closed segment of {@code log} now; returns how many were replaced. */
  int clean(PartitionLog log) {
    List<LogSegment> closed = closedSegments(log);
    if (closed.isEmpty()) {
      return 0;
    }
    long activeBase = closed.get(closed.size() - 1).nextOffset();
    cleanings.incrementAndGet();
    try {
      Map<ByteBuffer, Long> latest = new HashMap<>();
      for (LogSegment s : closed) {
        forEachBatch(
            s,
            batch -> {
              for (Record r : batch.records()) {
                if (r.hasKey()) {
                  latest.put(ByteBuffer.wrap(r.key()), r.offset());
                }
              }
            });
      }
      long tombstoneHorizon = clock.millis() - log.config().deleteRetentionMs();
      Map<Long, Long> producersLastOffsets = producersLastOffsets(log);
      int replaced = 0;
      for (LogSegment s : closed) {
        if (cleanSegment(log, s, latest, tombstoneHorizon, producersLastOffsets)) {
          replaced++;
        }
      }
      writeCheckpoint(log, activeBase);
      cleanedUpTo.put(log, activeBase);
      return replaced;
    } catch (IOException e) {
      throw new LogStorageException("[" + log.name() + "] compaction failed", e);
    }
  }

  private interface BatchConsumer {
    void accept(RecordBatch batch) throws IOException;
  }

  private static void forEachBatch(LogSegment s, BatchConsumer consumer) throws IOException {
    FileBatchScanner scan = new FileBatchScanner(s.channel(), 0, s.size(), true);
    while (scan.next()) {
      consumer.accept(new RecordBatch(scan.batch()));
    }
  }

  private boolean cleanSegment(
      PartitionLog log,
      LogSegment s,
      Map<ByteBuffer, Long> latest,
      long tombstoneHorizon,
      Map<Long, Long> producersLastOffsets)
      throws IOException {
    Path dir = log.dir();
    long base = s.baseOffset();
    String name = LogFileNames.baseName(base);
    Path cleanedLog = dir.resolve(name + LogFileNames.LOG_SUFFIX + LogFileNames.CLEANED_SUFFIX);
    Path cleanedIndex = dir.resolve(name + LogFileNames.INDEX_SUFFIX + LogFileNames.CLEANED_SUFFIX);
    Path cleanedTime =
        dir.resolve(name + LogFileNames.TIME_INDEX_SUFFIX + LogFileNames.CLEANED_SUFFIX);
    LogSegment cleaned =
        LogSegment.createAt(
            cleanedLog, cleanedIndex, cleanedTime, base, log.config(), s.createdMs());
    boolean[] changed = {false};
    try {
      forEachBatch(
          s,
          batch -> {
            List<Record> keep = new ArrayList<>();
            int total = 0;
            for (Record r : batch.records()) {
              total++;
              if (retain(batch, r, latest, tombstoneHorizon)) {
                keep.add(r);
              }
            }
            boolean producersLast =
                batch.hasProducerId()
                    && Long.valueOf(batch.lastOffset())
                        .equals(producersLastOffsets.get(batch.producerId()));
            if (keep.isEmpty() && producersLast) {
              // Kafka's RETAIN_EMPTY: the header of a producer's last batch keeps its last
              // sequence for followers and for a rebuild of the producer state from the log.
              if (total == 0) {
                cleaned.append(batch.buffer());
              } else {
                changed[0] = true;
                cleaned.append(CleanedBatches.emptyOf(batch));
              }
            } else if (total > 0 && keep.size() == total) {
              cleaned.append(batch.buffer());
            } else {
              changed[0] = true;
              if (!keep.isEmpty()) {
                cleaned.append(CleanedBatches.rebuild(batch, keep));
              }
            }
          });
      if (!changed[0]) {
        cleaned.delete();
        return false;
      }
      cleaned.onBecomeInactive();
      cleaned.flushAll();
      Path swap = dir.resolve(name + LogFileNames.LOG_SUFFIX + LogFileNames.SWAP_SUFFIX);
      cleaned.renameFiles(swap, cleanedIndex, cleanedTime);
      FileUtil.fsyncDirectory(dir);
    } catch (IOException | RuntimeException e) {
      cleaned.delete();
      throw e;
    }
    return swapIn(log, s, cleaned);
  }

  /** Under the log's lock: replace {@code old} by {@code cleaned} unless old left the log. */
  private boolean swapIn(PartitionLog log, LogSegment old, LogSegment cleaned) throws IOException {
    Path dir = log.dir();
    long base = old.baseOffset();
    log.lock.lock();
    try {
      if (log.segments.get(base) != old || log.isClosed()) {
        LOG.info("[{}] segment {} changed during compaction; dropping its copy", log.name(), base);
        cleaned.delete();
        return false;
      }
      // Index files first: a crash after this and before the log rename still finds the .swap,
      // and recovery rebuilds the indexes from it.
      cleaned.renameFiles(
          cleaned.logFile(),
          LogFileNames.indexFile(dir, base),
          LogFileNames.timeIndexFile(dir, base));
      cleaned.renameFiles(
          LogFileNames.logFile(dir, base),
          LogFileNames.indexFile(dir, base),
          LogFileNames.timeIndexFile(dir, base));
      FileUtil.fsyncDirectory(dir);
      log.segments.put(base, cleaned);
      // Readers still on the old channel get ClosedChannelException and retry on the new map.
      old.close();
      LOG.info(
          "[{}] compacted segment {}: {} -> {} bytes",
          log.name(),
          base,
          old.size(),
          cleaned.size());
      return true;
    } finally {
      log.lock.unlock();
    }
  }

  private static boolean retain(
      RecordBatch batch, Record r, Map<ByteBuffer, Long> latest, long tombstoneHorizon) {
    if (!r.hasKey()) {
      return true;
    }
    Long newest = latest.get(ByteBuffer.wrap(r.key()));
    if (newest == null || newest != r.offset()) {
      return false;
    }
    if (!r.hasValue()) {
      long ts =
          batch.timestampType() == TimestampType.LOG_APPEND_TIME
              ? batch.maxTimestamp()
              : r.timestamp();
      return ts >= tombstoneHorizon;
    }
    return true;
  }
}
