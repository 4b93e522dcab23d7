package io.logbus.log;

import io.logbus.record.CorruptRecordException;
import io.logbus.record.Record;
import io.logbus.record.RecordBatch;
import io.logbus.record.RecordBatchFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log of one partition: an ordered map of {@link LogSegment}s (the last one active), the
 * leader-epoch cache, the idempotent producer state, the high watermark and the recovery point.
 *
 * <p>Threads: appends, truncations, rolls, retention, the compaction swap and close take {@link
 * #lock} (one writer at a time). Reads take no lock: they read the volatile {@link #logEndOffset},
 * which is published only after the segment published its new end, so a reader never sees half a
 * batch. The group flusher thread calls {@link #groupFlush()} without the lock.
 */
public final class PartitionLog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PartitionLog.class);
  private static final int READ_RETRIES = 5;

  private final String name;
  private final Path dir;
  private final Clock clock;
  private final GroupFlusher flusher;
  private volatile LogConfig config;

  final ReentrantLock lock = new ReentrantLock();
  final ConcurrentSkipListMap<Long, LogSegment> segments;
  private final LeaderEpochCache epochCache;
  private final ProducerStateManager producerState;
  private final CheckpointFile recoveryPointFile;
  private final CheckpointFile highWatermarkFile;
  private final CheckpointFile producerStateFile;

  private volatile long logEndOffset;
  private volatile long highWatermark;
  private volatile long recoveryPoint;
  private volatile LogStorageException failure;
  private volatile boolean closed;

  /**
   * Bumped when a truncation starts and again when it ends (odd while one is under way), so a
   * reader can tell a race with one from damaged bytes.
   */
  private volatile long truncations;

  private final long bytesTruncatedOnOpen;

  /** Durability requests waiting for the group flusher, in offset order; guarded by itself. */
  private final ArrayDeque<PendingFlush> pending = new ArrayDeque<>();

  private final AtomicBoolean flushQueued = new AtomicBoolean();

  /** fsync rounds done by the group flushers. */
  private final java.util.concurrent.atomic.AtomicLong groupFsyncs =
      new java.util.concurrent.atomic.AtomicLong();

  private record PendingFlush(long lastOffset, CompletableFuture<Void> future) {}

  PartitionLog(
      String name,
      Path dir,
      LogConfig config,
      Clock clock,
      GroupFlusher flusher,
      LogLoader.Loaded loaded) {
    this.name = name;
    this.dir = dir;
    this.config = config;
    this.clock = clock;
    this.flusher = flusher;
    this.segments = loaded.segments();
    this.epochCache = loaded.epochCache();
    this.producerState = loaded.producerState();
    this.recoveryPointFile = loaded.recoveryPointFile();
    this.highWatermarkFile = loaded.highWatermarkFile();
    this.producerStateFile = loaded.producerStateFile();
    this.logEndOffset = segments.lastEntry().getValue().nextOffset();
    this.recoveryPoint = loaded.recoveryPoint();
    this.bytesTruncatedOnOpen = loaded.bytesTruncated();
    this.highWatermark = Math.max(logStartOffset(), Math.min(loaded.highWatermark(), logEndOffset));
  }

  /**
   * Opens (recovering if the last close was not clean) or creates the log in {@code dir}. Used by
   * {@link LogManager}; package-private so tests can open a log on its own.
   */
  static PartitionLog open(
      String name, Path dir, LogConfig config, Clock clock, GroupFlusher flusher) {
    return new PartitionLog(
        name, dir, config, clock, flusher, LogLoader.load(name, dir, config, clock));
  }

  // ---------------------------------------------------------------- append

  /**
   * Validates every batch, checks idempotent producers, assigns offsets by rewriting each batch's
   * baseOffset and partitionLeaderEpoch in {@code batches} (in place), and appends. Nothing of a
   * rejected call reaches the file.
   */
  public LogAppendInfo appendAsLeader(ByteBuffer batches, int leaderEpoch) {
    if (leaderEpoch < 0) {
      throw new IllegalArgumentException("[" + name + "] negative leader epoch " + leaderEpoch);
    }
    LogConfig cfg = config;
    BatchValidator.ValidatedRequest req =
        BatchValidator.validate(name, batches, cfg.maxMessageBytes(), true);
    ByteBuffer buf = req.buffer;
    lock.lock();
    try {
      ensureUsable();
      long first = logEndOffset;
      ProducerStateManager.Update update = producerState.begin();
      ProducerStateManager.BatchMetadata firstDup = null;
      ProducerStateManager.BatchMetadata lastDup = null;
      int dups = 0;
      long appendTime = -1;
      if (cfg.messageTimestampType() == LogConfig.MessageTimestampType.LOG_APPEND_TIME) {
        appendTime = clock.millis();
      }
      long next = first;
      for (int i = 0; i < req.count; i++) {
        int p = req.positions[i];
        int lastDelta = RecordBatchFormat.lastOffsetDelta(buf, p);
        long pid = RecordBatchFormat.producerId(buf, p);
        if (pid != RecordBatchFormat.NO_PRODUCER_ID) {
          short epoch = RecordBatchFormat.producerEpoch(buf, p);
          int firstSeq = RecordBatchFormat.baseSequence(buf, p);
          int lastSeq = RecordBatchFormat.incrementSequence(firstSeq, lastDelta);
          ProducerStateManager.BatchMetadata dup = update.check(pid, epoch, firstSeq, lastSeq);
          if (dup != null) {
            dups++;
            firstDup = firstDup == null ? dup : firstDup;
            lastDup = dup;
            continue;
          }
          long storedTs = appendTime >= 0 ? appendTime : RecordBatchFormat.maxTimestamp(buf, p);
          update.record(
              pid,
              epoch,
              new ProducerStateManager.BatchMetadata(
                  firstSeq, lastSeq, next, next + lastDelta, storedTs));
        }
        next += lastDelta + 1L;
      }
      if (dups > 0) {
        if (dups != req.count) {
          throw new OutOfOrderSequenceException(
              "[" + name + "] request mixes " + dups + " duplicate batches with new ones");
        }
        return new LogAppendInfo(
            firstDup.firstOffset(),
            lastDup.lastOffset(),
            RecordBatchFormat.NO_TIMESTAMP,
            -1,
            req.recordCount,
            0,
            true,
            durableFuture(lastDup.lastOffset()));
      }
      long maxTs = appendTime >= 0 ? appendTime : req.maxTimestamp;
      next = first;
      for (int i = 0; i < req.count; i++) {
        int p = req.positions[i];
        RecordBatchFormat.setBaseOffset(buf, p, next);
        RecordBatchFormat.setPartitionLeaderEpoch(buf, p, leaderEpoch);
        if (appendTime >= 0) {
          new RecordBatch(buf.slice(p, req.size(i))).setLogAppendTime(appendTime);
        }
        next += RecordBatchFormat.lastOffsetDelta(buf, p) + 1L;
      }
      long last = next - 1;
      appendLocked(buf, first, last, req.totalBytes);
      epochCache.assign(leaderEpoch, first);
      update.commit();
      logEndOffset = last + 1;
      return new LogAppendInfo(
          first,
          last,
          maxTs,
          appendTime,
          req.recordCount,
          req.totalBytes,
          false,
          afterAppend(last));
    } finally {
      lock.unlock();
    }
  }

  /**
   * Appends replicated batches with their offsets and epochs as given. The first offset must not be
   * below the log end offset ({@link UnexpectedAppendOffsetException}); it may be above it (a
   * compacted leader log has gaps).
   */
  public LogAppendInfo appendAsFollower(ByteBuffer batches) {
    BatchValidator.ValidatedRequest req =
        BatchValidator.validate(name, batches, Integer.MAX_VALUE, false);
    ByteBuffer buf = req.buffer;
    lock.lock();
    try {
      ensureUsable();
      long first = req.baseOffset(0);
      long last = req.lastOffset(req.count - 1);
      if (first < logEndOffset) {
        throw new UnexpectedAppendOffsetException(
            "["
                + name
                + "] follower append starts at offset "
                + first
                + " below the log end offset "
                + logEndOffset);
      }
      appendLocked(buf, first, last, req.totalBytes);
      for (int i = 0; i < req.count; i++) {
        ByteBuffer header = buf.slice(req.positions[i], RecordBatchFormat.RECORD_BATCH_OVERHEAD);
        epochCache.assign(RecordBatchFormat.partitionLeaderEpoch(header, 0), req.baseOffset(i));
        producerState.applyBatch(header);
      }
      logEndOffset = last + 1;
      return new LogAppendInfo(
          first,
          last,
          req.maxTimestamp,
          -1,
          req.recordCount,
          req.totalBytes,
          false,
          afterAppend(last));
    } finally {
      lock.unlock();
    }
  }

  private void appendLocked(ByteBuffer buf, long first, long last, int bytes) {
    try {
      LogSegment active = maybeRoll(bytes, first, last);
      active.append(buf);
    } catch (IOException e) {
      throw fail("append of offsets " + first + ".." + last, e);
    }
  }

  /** Rolls if the request would overflow the active segment; returns the segment to write. */
  private LogSegment maybeRoll(int bytes, long firstOffset, long lastOffset) throws IOException {
    LogSegment active = segments.lastEntry().getValue();
    LogConfig cfg = config;
    long now = clock.millis();
    if (active.isEmpty()) {
      // An empty segment takes any batch, even one far above its base offset (a follower of a
      // compacted log): rolling it would leave an empty file behind.
      return active;
    }
    boolean full = (long) active.size() + bytes > cfg.segmentBytes();
    boolean old = now - active.createdMs() >= cfg.segmentMs();
    boolean indexFull = active.indexesFull();
    boolean offsetOverflow = lastOffset - active.baseOffset() > Integer.MAX_VALUE;
    if (full || old || indexFull || offsetOverflow) {
      return roll(firstOffset, active);
    }
    return active;
  }

  private LogSegment roll(long newBase, LogSegment old) throws IOException {
    old.onBecomeInactive();
    LogSegment seg = LogSegment.create(dir, newBase, config, clock.millis());
    FileUtil.fsyncDirectory(dir);
    segments.put(newBase, seg);
    LOG.debug("[{}] rolled new segment at offset {}", name, newBase);
    if (config.flush() == LogConfig.FlushPolicy.NEVER && flusher != null) {
      // flush=never still fsyncs rolled segments in the background so the recovery point moves.
      flusher.requestFlush(this);
    }
    return seg;
  }

  /** Force a roll now (tests, and callers that want a segment boundary). */
  public void roll() {
    lock.lock();
    try {
      ensureUsable();
      LogSegment active = segments.lastEntry().getValue();
      if (!active.isEmpty()) {
        roll(logEndOffset, active);
      }
    } catch (IOException e) {
      throw fail("roll", e);
    } finally {
      lock.unlock();
    }
  }

  private CompletableFuture<Void> afterAppend(long lastOffset) {
    if (config.flush() == LogConfig.FlushPolicy.NEVER) {
      return CompletableFuture.completedFuture(null);
    }
    return durableFuture(lastOffset);
  }

  /** A future that completes when {@code lastOffset} is fsynced. */
  private CompletableFuture<Void> durableFuture(long lastOffset) {
    if (lastOffset < recoveryPoint || config.flush() == LogConfig.FlushPolicy.NEVER) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> f = new CompletableFuture<>();
    synchronized (pending) {
      pending.addLast(new PendingFlush(lastOffset, f));
    }
    if (flusher != null) {
      flusher.requestFlush(this);
    } else {
      groupFlush();
    }
    return f;
  }

  boolean markFlushQueued() {
    return flushQueued.compareAndSet(false, true);
  }

  /**
   * The group flusher's step: fsync every segment written since the recovery point, advance it, and
   * complete the futures the fsync covered in offset order. Runs without the append lock.
   */
  void groupFlush() {
    flushQueued.set(false);
    if (closed) {
      // close() and deleteFiles() complete or fail the waiting futures themselves.
      return;
    }
    long target = logEndOffset;
    long from = recoveryPoint;
    if (target > from) {
      Map.Entry<Long, LogSegment> floor = segments.floorEntry(from);
      Long fromKey = floor == null ? segments.firstKey() : floor.getKey();
      try {
        for (LogSegment s : segments.tailMap(fromKey, true).values()) {
          s.flushData();
        }
      } catch (ClosedChannelException e) {
        // A segment was deleted or swapped concurrently; the next request flushes again.
        requeue();
        return;
      } catch (IOException e) {
        LogStorageException failed = fail("fsync up to offset " + target, e);
        completePending(Long.MAX_VALUE, failed);
        return;
      }
      groupFsyncs.incrementAndGet();
      synchronized (pending) {
        if (target > recoveryPoint) {
          recoveryPoint = target;
        }
      }
    }
    completeDurable();
  }

  /**
   * Completes the futures below the recovery point, in offset order, even with several flusher
   * threads: one thread at a time completes (the others only advance the recovery point and leave),
   * and it re-checks after letting go so no advance is missed.
   */
  private void completeDurable() {
    do {
      if (!completing.compareAndSet(false, true)) {
        return;
      }
      try {
        List<PendingFlush> done;
        while (!(done = takePending(recoveryPoint - 1)).isEmpty()) {
          for (PendingFlush p : done) {
            p.future().complete(null);
          }
        }
      } finally {
        completing.set(false);
      }
    } while (hasCompletable());
  }

  private final AtomicBoolean completing = new AtomicBoolean();

  private boolean hasCompletable() {
    synchronized (pending) {
      return !pending.isEmpty() && pending.peekFirst().lastOffset() < recoveryPoint;
    }
  }

  private List<PendingFlush> takePending(long upTo) {
    List<PendingFlush> done = new ArrayList<>();
    synchronized (pending) {
      while (!pending.isEmpty() && pending.peekFirst().lastOffset() <= upTo) {
        done.add(pending.pollFirst());
      }
    }
    return done;
  }

  private void requeue() {
    if (flusher != null && !closed) {
      flusher.requestFlush(this);
    }
  }

  /** Completes pending futures up to {@code upTo} in order; exceptionally if {@code error}. */
  private void completePending(long upTo, RuntimeException error) {
    List<PendingFlush> done = takePending(upTo);
    for (PendingFlush p : done) {
      if (error == null) {
        p.future().complete(null);
      } else {
        p.future().completeExceptionally(error);
      }
    }
  }

  /** Futures for offsets at or above {@code from} that a truncation removed. */
  private void failPendingFrom(long from) {
    List<PendingFlush> dropped = new ArrayList<>();
    synchronized (pending) {
      while (!pending.isEmpty() && pending.peekLast().lastOffset() >= from) {
        dropped.add(0, pending.pollLast());
      }
    }
    for (PendingFlush p : dropped) {
      p.future()
          .completeExceptionally(
              new LogException(
                  "["
                      + name
                      + "] offset "
                      + p.lastOffset()
                      + " was truncated from the log before it was flushed"));
    }
  }

  // ---------------------------------------------------------------- read

  /**
   * Whole batches from the one containing {@code startOffset}: at least one (even past {@code
   * maxBytes}), none whose last offset reaches {@code maxOffsetExclusive}.
   *
   * @throws OffsetOutOfRangeException if startOffset is below the log start or above the log end
   */
  public LogReadInfo read(long startOffset, int maxBytes, long maxOffsetExclusive) {
    if (maxBytes < 0) {
      throw new IllegalArgumentException("[" + name + "] negative maxBytes " + maxBytes);
    }
    for (int attempt = 0; ; attempt++) {
      // Reads are lock-free and retry when a truncation, retention or compaction swap moves bytes
      // under them. A reader that keeps losing that race (a writer truncating again and again)
      // makes its last attempt under the log's lock, where nothing can move: it always ends with
      // data or a real error, never with a race reported as damage.
      boolean locked = attempt > READ_RETRIES;
      if (locked) {
        lock.lock();
      }
      try {
        return readOnce(startOffset, maxBytes, maxOffsetExclusive);
      } catch (ClosedChannelException ex) {
        // The segment was deleted (retention, truncation) or swapped (compaction) under us.
        if (locked || closed) {
          throw new LogStorageException("[" + name + "] read of offset " + startOffset, ex);
        }
      } catch (IOException ex) {
        throw new LogStorageException("[" + name + "] read of offset " + startOffset, ex);
      } catch (RacedWithTruncation raced) {
        if (locked) {
          throw raced.damage;
        }
      } finally {
        if (locked) {
          lock.unlock();
        }
      }
    }
  }

  /** Bytes that changed under a read because a truncation cut (and maybe rewrote) them. */
  private static final class RacedWithTruncation extends Exception {
    private static final long serialVersionUID = 1L;
    final RuntimeException damage;

    RacedWithTruncation(RuntimeException damage) {
      super(null, null, false, false);
      this.damage = damage;
    }
  }

  private LogReadInfo readOnce(long startOffset, int maxBytes, long maxOffsetExclusive)
      throws IOException, RacedWithTruncation {
    long truncationsBefore = truncations;
    long leo = logEndOffset;
    long lso = logStartOffset();
    if (startOffset < lso || startOffset > leo) {
      throw new OffsetOutOfRangeException(
          "["
              + name
              + "] offset "
              + startOffset
              + " is outside the log ["
              + lso
              + ", "
              + leo
              + "]");
    }
    long limit = Math.min(maxOffsetExclusive, leo);
    if (startOffset >= limit) {
      return new LogReadInfo(ByteBuffer.allocate(0), startOffset, lso, leo);
    }
    try {
      Map.Entry<Long, LogSegment> e = segments.floorEntry(startOffset);
      while (e != null) {
        ByteBuffer data = e.getValue().read(startOffset, maxBytes, limit, true);
        if (data != null) {
          long first =
              data.remaining() >= RecordBatchFormat.LOG_OVERHEAD
                  ? RecordBatchFormat.baseOffset(data, 0)
                  : startOffset;
          return new LogReadInfo(data, first, lso, leo);
        }
        e = segments.higherEntry(e.getKey());
      }
      return new LogReadInfo(ByteBuffer.allocate(0), startOffset, lso, leo);
    } catch (CorruptRecordException | LogStorageException ex) {
      // The counter is odd while a truncation is under way (it is bumped when one starts and
      // again when it ends). Without a truncation under way or since the read began, changed
      // bytes are damage: report them.
      if (truncations == truncationsBefore && (truncationsBefore & 1) == 0) {
        throw ex;
      }
      throw new RacedWithTruncation(ex);
    }
  }

  /**
   * The first record whose timestamp is at or after {@code timestamp}: its timestamp and offset;
   * empty if every record is older.
   */
  public Optional<TimestampOffset> offsetForTimestamp(long timestamp) {
    for (int attempt = 0; ; attempt++) {
      try {
        for (LogSegment s : segments.values()) {
          if (s.maxTimestamp() < timestamp) {
            continue;
          }
          Optional<TimestampOffset> found = searchTimestamp(s, timestamp);
          if (found.isPresent()) {
            return found;
          }
        }
        return Optional.empty();
      } catch (ClosedChannelException ex) {
        if (attempt >= READ_RETRIES || closed) {
          throw new LogStorageException("[" + name + "] timestamp search", ex);
        }
      } catch (IOException ex) {
        throw new LogStorageException("[" + name + "] timestamp search", ex);
      }
    }
  }

  private Optional<TimestampOffset> searchTimestamp(LogSegment s, long timestamp)
      throws IOException {
    long fromOffset = s.timeIndex().lookupBelow(timestamp);
    int end = s.size();
    LogSegment.BatchPosition at = s.translateOffset(fromOffset, end);
    if (at == null) {
      return Optional.empty();
    }
    FileBatchScanner scan = new FileBatchScanner(s.channel(), at.position(), end, true);
    while (scan.next()) {
      ByteBuffer b = scan.batch();
      if (RecordBatchFormat.maxTimestamp(b, 0) < timestamp) {
        continue;
      }
      RecordBatch batch = new RecordBatch(b);
      for (Record r : batch.records()) {
        long ts =
            batch.timestampType() == io.logbus.record.TimestampType.LOG_APPEND_TIME
                ? batch.maxTimestamp()
                : r.timestamp();
        if (ts >= timestamp) {
          return Optional.of(new TimestampOffset(ts, r.offset()));
        }
      }
    }
    return Optional.empty();
  }

  // ---------------------------------------------------------------- offsets and epochs

  public long logStartOffset() {
    return segments.firstKey();
  }

  public long logEndOffset() {
    return logEndOffset;
  }

  public long highWatermark() {
    return highWatermark;
  }

  /** Bytes of torn or corrupt tail that recovery cut when this log was opened. */
  public long bytesTruncatedOnOpen() {
    return bytesTruncatedOnOpen;
  }

  /** How many fsync rounds the group flusher ran for this log (group commit efficiency). */
  public long groupFsyncCount() {
    return groupFsyncs.get();
  }

  /** Every offset below this one was fsynced. */
  public long recoveryPoint() {
    return recoveryPoint;
  }

  /**
   * Sets the high watermark, clamped to [logStartOffset, logEndOffset] as Kafka does (a follower
   * may learn a leader's HW above its own end). Persisted by {@link #flushCheckpoints()} and on
   * close.
   */
  public void updateHighWatermark(long hw) {
    if (hw < 0) {
      throw new IllegalArgumentException("[" + name + "] negative high watermark " + hw);
    }
    lock.lock();
    try {
      highWatermark = Math.max(logStartOffset(), Math.min(hw, logEndOffset));
    } finally {
      lock.unlock();
    }
  }

  public OptionalInt latestEpoch() {
    return epochCache.latestEpoch();
  }

  /** KIP-101: see {@link LeaderEpochCache#endOffsetFor}. */
  public EpochEndOffset endOffsetForEpoch(int epoch) {
    if (epoch < 0) {
      return EpochEndOffset.UNDEFINED;
    }
    return epochCache.endOffsetFor(epoch, logEndOffset);
  }

  /** The epoch table, oldest first: pairs (epoch, startOffset). */
  public List<long[]> epochEntries() {
    return epochCache.entries();
  }

  // ---------------------------------------------------------------- truncation

  /**
   * Removes every batch whose last offset is at or above {@code offset} (a follower whose log
   * diverged). No-op if {@code offset >= logEndOffset}; below the log start it empties the log and
   * restarts it at {@code offset}.
   */
  public void truncateTo(long offset) {
    if (offset < 0) {
      throw new IllegalArgumentException("[" + name + "] negative truncation offset " + offset);
    }
    lock.lock();
    try {
      ensureUsable();
      if (offset >= logEndOffset) {
        return;
      }
      if (offset < logStartOffset()) {
        truncateFullyAndStartAt(offset);
        return;
      }
      truncations++;
      LogSegment oldActive = segments.lastEntry().getValue();
      long firstBase = segments.firstKey();
      for (LogSegment s : new ArrayList<>(segments.tailMap(offset, true).values())) {
        if (s.baseOffset() != firstBase) {
          segments.remove(s.baseOffset());
          s.delete();
        }
      }
      LogSegment active = segments.lastEntry().getValue();
      if (active != oldActive) {
        active.onBecomeActive();
      }
      int cut = active.truncateTo(offset);
      logEndOffset = active.nextOffset();
      afterTruncation();
      LOG.info(
          "[{}] truncated to offset {} (cut {} bytes of {}), log end offset {}",
          name,
          offset,
          cut,
          active.logFile().getFileName(),
          logEndOffset);
    } catch (IOException e) {
      throw fail("truncation to " + offset, e);
    } finally {
      lock.unlock();
    }
  }

  /** Deletes every segment and restarts the log empty at {@code offset}. */
  public void truncateFullyAndStartAt(long offset) {
    if (offset < 0) {
      throw new IllegalArgumentException("[" + name + "] negative start offset " + offset);
    }
    lock.lock();
    try {
      ensureUsable();
      truncations++;
      List<LogSegment> old = new ArrayList<>(segments.values());
      LogSegment fresh;
      if (segments.containsKey(offset)) {
        // Same base name as an existing file: delete it first, then create the empty one.
        segments.get(offset).delete();
      }
      fresh = LogSegment.create(dir, offset, config, clock.millis());
      segments.put(offset, fresh);
      for (LogSegment s : old) {
        if (s.baseOffset() != offset) {
          segments.remove(s.baseOffset());
          s.delete();
        }
      }
      FileUtil.fsyncDirectory(dir);
      logEndOffset = offset;
      epochCache.clear();
      highWatermark = offset;
      recoveryPoint = offset;
      afterTruncation();
      LOG.info("[{}] truncated fully; log restarts at offset {}", name, offset);
    } catch (IOException e) {
      throw fail("full truncation to " + offset, e);
    } finally {
      lock.unlock();
    }
  }

  private void afterTruncation() throws IOException {
    truncations++;
    epochCache.truncateFromEnd(logEndOffset);
    highWatermark = Math.min(highWatermark, logEndOffset);
    synchronized (pending) {
      recoveryPoint = Math.min(recoveryPoint, logEndOffset);
    }
    failPendingFrom(logEndOffset);
    if (logEndOffset == logStartOffset()) {
      producerState.clear();
    } else {
      producerState.truncateTo(logEndOffset);
    }
  }

  // ---------------------------------------------------------------- retention

  /**
   * Deletes closed segments past retention.ms (by their largest timestamp) or beyond
   * retention.bytes, oldest first, never past the high watermark, and advances the log start
   * offset. No-op for cleanup.policy=compact. Returns the number of segments deleted.
   */
  public int deleteOldSegments() {
    LogConfig cfg = config;
    if (cfg.cleanupPolicy() != LogConfig.CleanupPolicy.DELETE) {
      return 0;
    }
    lock.lock();
    try {
      ensureUsable();
      long now = clock.millis();
      long total = sizeInBytes();
      int deleted = 0;
      while (segments.size() > 1) {
        LogSegment oldest = segments.firstEntry().getValue();
        long nextBase = segments.higherKey(oldest.baseOffset());
        if (nextBase > highWatermark) {
          break;
        }
        boolean expired = cfg.retentionMs() >= 0 && now - oldest.maxTimestamp() > cfg.retentionMs();
        boolean tooBig = cfg.retentionBytes() >= 0 && total - oldest.size() >= cfg.retentionBytes();
        if (!expired && !tooBig) {
          break;
        }
        segments.remove(oldest.baseOffset());
        total -= oldest.size();
        oldest.delete();
        deleted++;
        LOG.info(
            "[{}] deleted segment {} ({}), log start offset now {}",
            name,
            oldest,
            expired ? "retention.ms" : "retention.bytes",
            logStartOffset());
      }
      if (deleted > 0) {
        epochCache.truncateFromStart(logStartOffset());
      }
      return deleted;
    } catch (IOException e) {
      throw fail("retention", e);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Forgets idempotent producers whose last write (their last batch's stored maxTimestamp) is at
   * least {@code producer.id.expiration.ms} before this log's clock, as Kafka's periodic check
   * does: a later batch of such a producer is accepted as from a new producer. Run by {@link
   * LogManager}'s background pass; returns how many producers were forgotten.
   */
  public int removeExpiredProducers() {
    lock.lock();
    try {
      ensureUsable();
      int removed = producerState.removeExpired(clock.millis(), config.producerIdExpirationMs());
      if (removed > 0) {
        LOG.info("[{}] expired {} idle producer ids", name, removed);
      }
      return removed;
    } finally {
      lock.unlock();
    }
  }

  // ---------------------------------------------------------------- misc

  public long sizeInBytes() {
    long total = 0;
    for (LogSegment s : segments.values()) {
      total += s.size();
    }
    return total;
  }

  public int segmentCount() {
    return segments.size();
  }

  public String name() {
    return name;
  }

  public Path dir() {
    return dir;
  }

  public LogConfig config() {
    return config;
  }

  void updateConfig(LogConfig newConfig) {
    this.config = Objects.requireNonNull(newConfig, "config");
  }

  Clock clock() {
    return clock;
  }

  ProducerStateManager producerState() {
    return producerState;
  }

  /** Writes the recovery-point and high-watermark checkpoints (periodic, and on close). */
  public void flushCheckpoints() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      recoveryPointFile.writeOffset(recoveryPoint);
      highWatermarkFile.writeOffset(highWatermark);
    } finally {
      lock.unlock();
    }
  }

  private void ensureUsable() {
    if (closed) {
      throw new LogStorageException("[" + name + "] log is closed");
    }
    LogStorageException f = failure;
    if (f != null) {
      throw new LogStorageException("[" + name + "] log failed earlier: " + f.getMessage(), f);
    }
  }

  private LogStorageException fail(String what, IOException e) {
    LogStorageException ex = new LogStorageException("[" + name + "] " + what + " failed", e);
    failure = ex;
    LOG.error("[{}] {} failed; the log is unusable until reopened", name, what, e);
    return ex;
  }

  /**
   * Clean close: fsync everything, trim the active segment's indexes, write the recovery point,
   * high watermark, producer state and epoch checkpoints, then the clean-shutdown marker, so the
   * next open does not rescan.
   */
  @Override
  public void close() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      boolean clean = failure == null;
      try {
        if (clean) {
          for (LogSegment s : segments.values()) {
            s.flushAll();
          }
          synchronized (pending) {
            recoveryPoint = logEndOffset;
          }
          segments.lastEntry().getValue().onBecomeInactive();
          recoveryPointFile.writeOffset(logEndOffset);
          highWatermarkFile.writeOffset(highWatermark);
          producerStateFile.write(producerState.snapshot(logEndOffset));
          epochCache.flush();
          Files.write(dir.resolve(LogFileNames.CLEAN_SHUTDOWN_MARKER), new byte[0]);
          FileUtil.fsyncDirectory(dir);
        }
      } catch (IOException e) {
        throw fail("clean close", e);
      } finally {
        closed = true;
        completePending(clean ? Long.MAX_VALUE : -1, null);
        completePending(
            Long.MAX_VALUE, new LogStorageException("[" + name + "] closed after a failure"));
        for (LogSegment s : segments.values()) {
          try {
            s.close();
          } catch (IOException e) {
            LOG.warn("[{}] closing {} failed", name, s, e);
          }
        }
      }
    } finally {
      lock.unlock();
    }
  }

  /** Closes and removes every file of this log (the partition was deleted). */
  void deleteFiles() throws IOException {
    lock.lock();
    try {
      closed = true;
      completePending(
          Long.MAX_VALUE, new LogStorageException("[" + name + "] log deleted before flush"));
      for (LogSegment s : segments.values()) {
        s.close();
      }
      FileUtil.deleteRecursively(dir);
    } finally {
      lock.unlock();
    }
  }

  boolean isClosed() {
    return closed;
  }

  @Override
  public String toString() {
    return "PartitionLog[" + name + ", " + segments.size() + " segments, end " + logEndOffset + "]";
  }
}
