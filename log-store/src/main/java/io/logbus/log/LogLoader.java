package io.logbus.log;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a partition directory. Steps, in order:
 *
 * <ol>
 *   <li>Finish or undo compaction: a {@code .log.swap} (complete, fsynced cleaner output) replaces
 *       its {@code .log} and that segment's indexes are dropped; {@code .cleaned} and {@code .tmp}
 *       files (unfinished) are deleted.
 *   <li>If the clean-shutdown marker is present, trust the data: check each segment's indexes
 *       (sizes, order, bounds) and rebuild only broken ones. The marker is deleted (and the
 *       directory fsynced) before anything is appended, so a later crash is seen as one.
 *   <li>Otherwise recover: segments wholly below the recovery-point checkpoint are trusted as
 *       above; from the segment holding the recovery point on, every batch is validated ({@link
 *       LogSegmentRecovery}), indexes are rebuilt, and the first invalid batch and everything after
 *       it (including later segments) is cut. The survivors are fsynced.
 *   <li>Leader epochs: the checkpoint, plus epochs seen in recovered batches, cut to the log.
 *   <li>Producer state: the snapshot written by a clean close if it matches the log end, else a
 *       rebuild from batch headers; then producers past {@code producer.id.expiration.ms} are
 *       dropped.
 * </ol>
 *
 * Runs on the opening thread, before the log is visible to others.
 */
final class LogLoader {
  private static final Logger LOG = LoggerFactory.getLogger(LogLoader.class);

  private LogLoader() {}

  record Loaded(
      ConcurrentSkipListMap<Long, LogSegment> segments,
      LeaderEpochCache epochCache,
      ProducerStateManager producerState,
      CheckpointFile recoveryPointFile,
      CheckpointFile highWatermarkFile,
      CheckpointFile producerStateFile,
      long recoveryPoint,
      long highWatermark,
      long bytesTruncated) {}

  static Loaded load(String name, Path dir, LogConfig config, Clock clock) {
    try {
      return doLoad(name, dir, config, clock);
    } catch (IOException e) {
      throw new LogStorageException("[" + name + "] cannot open log in " + dir, e);
    }
  }

  private static Loaded doLoad(String name, Path dir, LogConfig config, Clock clock)
      throws IOException {
    Files.createDirectories(dir);
    completeOrUndoCompaction(name, dir);
    Path marker = dir.resolve(LogFileNames.CLEAN_SHUTDOWN_MARKER);
    boolean clean = Files.exists(marker);
    if (clean) {
      Files.delete(marker);
      FileUtil.fsyncDirectory(dir);
    }
    CheckpointFile rpFile =
        new CheckpointFile(dir.resolve(LogFileNames.RECOVERY_POINT_CHECKPOINT), 1);
    CheckpointFile hwFile =
        new CheckpointFile(dir.resolve(LogFileNames.HIGH_WATERMARK_CHECKPOINT), 1);
    CheckpointFile psFile =
        new CheckpointFile(
            dir.resolve(LogFileNames.PRODUCER_STATE_CHECKPOINT),
            ProducerStateManager.SNAPSHOT_FIELDS);
    LeaderEpochCache epochs =
        new LeaderEpochCache(
            new CheckpointFile(dir.resolve(LogFileNames.LEADER_EPOCH_CHECKPOINT), 2));

    TreeSet<Long> bases = new TreeSet<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        long base =
            LogFileNames.parseBaseOffset(f.getFileName().toString(), LogFileNames.LOG_SUFFIX);
        if (base >= 0) {
          bases.add(base);
        }
      }
    }
    long now = clock.millis();
    ConcurrentSkipListMap<Long, LogSegment> segments = new ConcurrentSkipListMap<>();
    long bytesCut = 0;
    if (bases.isEmpty()) {
      segments.put(0L, LogSegment.create(dir, 0L, config, now));
      FileUtil.fsyncDirectory(dir);
    } else {
      long last = bases.last();
      for (long base : bases) {
        segments.put(base, LogSegment.open(dir, base, config, base == last, now));
      }
      long recoverFrom = Long.MAX_VALUE;
      if (!clean) {
        long recoveryPoint = readOffset(name, rpFile).orElse(0L);
        Map.Entry<Long, LogSegment> floor = segments.floorEntry(recoveryPoint);
        recoverFrom = floor == null ? segments.firstKey() : floor.getKey();
      }
      boolean cutTail = false;
      for (LogSegment s : new ArrayList<>(segments.values())) {
        if (cutTail) {
          LOG.warn("[{}] deleting segment {} after a corrupt earlier segment", name, s);
          bytesCut += s.size();
          segments.remove(s.baseOffset());
          s.delete();
          continue;
        }
        if (s.baseOffset() < recoverFrom) {
          s.loadClean();
        } else {
          int cut =
              s.recover(
                  Long.MAX_VALUE,
                  header ->
                      epochs.assign(
                          io.logbus.record.RecordBatchFormat.partitionLeaderEpoch(header, 0),
                          io.logbus.record.RecordBatchFormat.baseOffset(header, 0)));
          if (cut > 0) {
            bytesCut += cut;
            cutTail = true;
          }
          s.flushAll();
        }
      }
      if (!clean) {
        LOG.info(
            "[{}] recovered after an unclean shutdown from offset {}: {} bytes cut",
            name,
            recoverFrom,
            bytesCut);
      }
      LogSegment active = segments.lastEntry().getValue();
      for (LogSegment s : segments.values()) {
        if (s != active) {
          s.onBecomeInactive();
        }
      }
      active.onBecomeActive();
    }
    long logStart = segments.firstKey();
    long logEnd = segments.lastEntry().getValue().nextOffset();
    epochs.truncateFromEnd(logEnd);
    epochs.truncateFromStart(logStart);

    ProducerStateManager producers = new ProducerStateManager(name);
    boolean loaded = false;
    if (clean) {
      try {
        loaded = psFile.read().map(entries -> producers.load(entries, logEnd)).orElse(false);
      } catch (LogStorageException e) {
        LOG.warn("[{}] {}; rebuilding producer state from the log", name, e.getMessage());
      }
    }
    if (!loaded || epochs.damaged()) {
      if (epochs.damaged()) {
        epochs.clear();
      }
      // One pass over the batch headers rebuilds whatever derived state could not be loaded.
      for (LogSegment s : segments.values()) {
        FileBatchScanner scan = new FileBatchScanner(s.channel(), 0, s.size(), false);
        while (scan.next()) {
          if (!loaded) {
            producers.applyBatch(scan.batch());
          }
          if (epochs.damaged()) {
            epochs.assign(
                io.logbus.record.RecordBatchFormat.partitionLeaderEpoch(scan.batch(), 0),
                io.logbus.record.RecordBatchFormat.baseOffset(scan.batch(), 0));
          }
        }
      }
      if (epochs.damaged()) {
        epochs.truncateFromStart(logStart);
      }
    }
    // A producer that expired before a crash is rebuilt from the log with its old timestamps:
    // expire it again now so a restart never brings it back.
    producers.removeExpired(now, config.producerIdExpirationMs());
    long hw = readOffset(name, hwFile).orElse(logStart);
    return new Loaded(segments, epochs, producers, rpFile, hwFile, psFile, logEnd, hw, bytesCut);
  }

  /** A damaged offset checkpoint is read as absent (full recovery, HW from the log start). */
  private static java.util.Optional<Long> readOffset(String name, CheckpointFile f) {
    try {
      return f.readOffset();
    } catch (LogStorageException e) {
      LOG.warn("[{}] {}; ignoring it", name, e.getMessage());
      return java.util.Optional.empty();
    }
  }

  private static void completeOrUndoCompaction(String name, Path dir) throws IOException {
    List<Path> swaps = new ArrayList<>();
    List<Path> junk = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String n = f.getFileName().toString();
        if (n.endsWith(LogFileNames.LOG_SUFFIX + LogFileNames.SWAP_SUFFIX)) {
          swaps.add(f);
        } else if (n.endsWith(LogFileNames.CLEANED_SUFFIX) || n.endsWith(".tmp")) {
          junk.add(f);
        }
      }
    }
    for (Path f : junk) {
      LOG.info("[{}] deleting unfinished file {}", name, f.getFileName());
      Files.deleteIfExists(f);
    }
    for (Path swap : swaps) {
      String n = swap.getFileName().toString();
      long base =
          LogFileNames.parseBaseOffset(
              n.substring(0, n.length() - LogFileNames.SWAP_SUFFIX.length()),
              LogFileNames.LOG_SUFFIX);
      if (base < 0) {
        continue;
      }
      LOG.info("[{}] completing the compaction swap of segment {}", name, base);
      Files.deleteIfExists(LogFileNames.indexFile(dir, base));
      Files.deleteIfExists(LogFileNames.timeIndexFile(dir, base));
      Files.move(
          swap,
          LogFileNames.logFile(dir, base),
          StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
    }
    if (!swaps.isEmpty() || !junk.isEmpty()) {
      FileUtil.fsyncDirectory(dir);
    }
  }
}
