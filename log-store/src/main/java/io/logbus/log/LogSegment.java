package io.logbus.log;

import io.logbus.record.CorruptRecordException;
import io.logbus.record.RecordBatchFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * One segment of a partition log: the {@code .log} file of whole batches (back to back, as {@link
 * RecordBatchFormat} lays them out) with its {@link OffsetIndex} and {@link TimeIndex}, named as
 * {@link LogFileNames} says.
 *
 * <p>Threads: one writer (the log's lock guards append, truncate, roll and close) and any number of
 * readers. The writer writes a batch's bytes with a positional write and only then publishes the
 * new end by a volatile write of {@code size}; readers read {@code size} first and never look past
 * it, so they never see half a batch. Index entries are published the same way before {@code size}.
 * A reader racing with deletion may find the channel closed ({@link
 * java.nio.channels.ClosedChannelException}); the log retries against its new segment list.
 */
final class LogSegment {
  /** Bytes read per batch header while searching for an offset: up to lastOffsetDelta. */
  private static final int SEARCH_HEADER_BYTES =
      RecordBatchFormat.LAST_OFFSET_DELTA_OFFSET + RecordBatchFormat.LAST_OFFSET_DELTA_LENGTH;

  private final long baseOffset;
  private volatile Path logFile;
  private final FileChannel channel;
  private final OffsetIndex offsetIndex;
  private final TimeIndex timeIndex;

  /** Published end of the data: bytes [0, size) hold whole batches. */
  private volatile int size;

  /** Last offset + 1 of the last batch, or baseOffset when empty. */
  private volatile long nextOffset;

  private volatile long maxTimestamp = RecordBatchFormat.NO_TIMESTAMP;
  private long offsetOfMaxTimestamp;
  private int bytesSinceLastIndexEntry;
  private final int indexIntervalBytes;
  private final int maxIndexBytes;

  /** Clock time when the segment was created or reloaded (segment.ms rolls from here). */
  private final long createdMs;

  private LogSegment(
      Path logFile,
      long baseOffset,
      FileChannel channel,
      OffsetIndex offsetIndex,
      TimeIndex timeIndex,
      int indexIntervalBytes,
      int maxIndexBytes,
      long createdMs) {
    this.logFile = logFile;
    this.baseOffset = baseOffset;
    this.channel = channel;
    this.offsetIndex = offsetIndex;
    this.timeIndex = timeIndex;
    this.indexIntervalBytes = indexIntervalBytes;
    this.maxIndexBytes = maxIndexBytes;
    this.createdMs = createdMs;
    this.nextOffset = baseOffset;
  }

  /** Creates a new, empty active segment, replacing any files of that name. */
  static LogSegment create(Path dir, long baseOffset, LogConfig config, long nowMs)
      throws IOException {
    return createAt(
        LogFileNames.logFile(dir, baseOffset),
        LogFileNames.indexFile(dir, baseOffset),
        LogFileNames.timeIndexFile(dir, baseOffset),
        baseOffset,
        config,
        nowMs);
  }

  /** As {@link #create}, with explicit file names (the cleaner builds segments aside). */
  static LogSegment createAt(
      Path log, Path index, Path timeIndex, long baseOffset, LogConfig config, long nowMs)
      throws IOException {
    Files.deleteIfExists(index);
    Files.deleteIfExists(timeIndex);
    FileChannel ch =
        FileChannel.open(
            log,
            StandardOpenOption.CREATE,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING);
    return new LogSegment(
        log,
        baseOffset,
        ch,
        new OffsetIndex(index, baseOffset, config.segmentIndexBytes(), true),
        new TimeIndex(timeIndex, baseOffset, config.segmentIndexBytes(), true),
        config.indexIntervalBytes(),
        config.segmentIndexBytes(),
        nowMs);
  }

  /**
   * Renames the segment's three files (the cleaner's swap). The channel and mappings stay valid: on
   * POSIX they follow the inode, not the name.
   */
  void renameFiles(Path log, Path index, Path timeIndex) throws IOException {
    offsetIndex.renameTo(index);
    this.timeIndex.renameTo(timeIndex);
    Files.move(logFile, log, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    logFile = log;
  }

  /**
   * Opens an existing segment. Its indexes are loaded as found (call {@link #checkIndexes} or
   * {@link #recover} before trusting them); size is the file length.
   */
  static LogSegment open(Path dir, long baseOffset, LogConfig config, boolean active, long nowMs)
      throws IOException {
    Path log = LogFileNames.logFile(dir, baseOffset);
    FileChannel ch = FileChannel.open(log, StandardOpenOption.READ, StandardOpenOption.WRITE);
    boolean indexesExisted =
        Files.exists(LogFileNames.indexFile(dir, baseOffset))
            && Files.exists(LogFileNames.timeIndexFile(dir, baseOffset));
    LogSegment s =
        new LogSegment(
            log,
            baseOffset,
            ch,
            new OffsetIndex(
                LogFileNames.indexFile(dir, baseOffset),
                baseOffset,
                config.segmentIndexBytes(),
                active),
            new TimeIndex(
                LogFileNames.timeIndexFile(dir, baseOffset),
                baseOffset,
                config.segmentIndexBytes(),
                active),
            config.indexIntervalBytes(),
            config.segmentIndexBytes(),
            nowMs);
    long length = ch.size();
    if (length > Integer.MAX_VALUE) {
      throw new LogStorageException(log + ": " + length + " bytes, more than a segment may hold");
    }
    s.size = (int) length;
    s.indexesMissing = !indexesExisted;
    return s;
  }

  private boolean indexesMissing;

  long baseOffset() {
    return baseOffset;
  }

  int size() {
    return size;
  }

  long nextOffset() {
    return nextOffset;
  }

  boolean isEmpty() {
    return size == 0;
  }

  long maxTimestamp() {
    return maxTimestamp;
  }

  long createdMs() {
    return createdMs;
  }

  Path logFile() {
    return logFile;
  }

  FileChannel channel() {
    return channel;
  }

  boolean indexesFull() {
    return offsetIndex.isFull() || timeIndex.isFull();
  }

  /**
   * Appends the batches in {@code batches} (position to limit; already validated, offsets assigned,
   * all above {@link #nextOffset}) at the end of the file, indexes them, then publishes. The
   * buffer's position is left unchanged.
   */
  void append(ByteBuffer batches) throws IOException {
    int start = size;
    ByteBuffer src = batches.duplicate();
    long at = start;
    while (src.hasRemaining()) {
      at += channel.write(src, at);
    }
    int base = batches.position();
    int limit = batches.limit();
    long last = nextOffset - 1;
    for (int p = base; p < limit; ) {
      int batchSize = (int) RecordBatchFormat.sizeInBytes(batches, p);
      long batchBase = RecordBatchFormat.baseOffset(batches, p);
      long batchMaxTs = RecordBatchFormat.maxTimestamp(batches, p);
      if (batchMaxTs > maxTimestamp) {
        maxTimestamp = batchMaxTs;
        offsetOfMaxTimestamp = batchBase;
      }
      if (bytesSinceLastIndexEntry >= indexIntervalBytes) {
        // Both indexes move together so a time lookup can be answered with an offset lookup.
        offsetIndex.append(batchBase, start + (p - base));
        timeIndex.maybeAppend(maxTimestamp, offsetOfMaxTimestamp);
        bytesSinceLastIndexEntry = 0;
      }
      bytesSinceLastIndexEntry += batchSize;
      last = batchBase + RecordBatchFormat.lastOffsetDelta(batches, p);
      p += batchSize;
    }
    // Publish: readers that see the new size see the bytes and index entries written above.
    size = start + (limit - base);
    nextOffset = last + 1;
  }

  /** Where the batch containing an offset lies in the file. */
  record BatchPosition(int position, int size, long baseOffset, long lastOffset) {}

  /**
   * The first batch whose last offset is at or above {@code offset}, searching from the index entry
   * at or before it; null if no such batch lies below {@code end}.
   */
  BatchPosition translateOffset(long offset, int end) throws IOException {
    int pos = offsetIndex.lookup(offset);
    ByteBuffer header = ByteBuffer.allocate(SEARCH_HEADER_BYTES);
    while (pos + SEARCH_HEADER_BYTES <= end) {
      header.clear();
      readFully(header, pos);
      int batchSize = RecordBatchFormat.batchLength(header, 0) + RecordBatchFormat.LOG_OVERHEAD;
      if (batchSize < RecordBatchFormat.RECORD_BATCH_OVERHEAD || (long) pos + batchSize > end) {
        throw new LogStorageException(
            logFile
                + ": batch at position "
                + pos
                + " has size "
                + batchSize
                + ", data ends at "
                + end);
      }
      long batchBase = RecordBatchFormat.baseOffset(header, 0);
      long lastOffset = batchBase + RecordBatchFormat.lastOffsetDelta(header, 0);
      if (lastOffset >= offset) {
        return new BatchPosition(pos, batchSize, batchBase, lastOffset);
      }
      pos += batchSize;
    }
    return null;
  }

  private void readFully(ByteBuffer dst, long position) throws IOException {
    long at = position;
    while (dst.hasRemaining()) {
      int r = channel.read(dst, at);
      if (r < 0) {
        throw new LogStorageException(logFile + ": unexpected end of file at " + at);
      }
      at += r;
    }
    dst.flip();
  }

  /**
   * Whole batches from the one containing {@code startOffset}: as many as fit in {@code maxBytes}
   * (at least the first, if {@code minOneBatch}), none whose last offset reaches {@code
   * maxOffsetExclusive}. Null if this segment has no batch at or after {@code startOffset}; an
   * empty buffer if the first such batch may not be returned.
   */
  ByteBuffer read(long startOffset, int maxBytes, long maxOffsetExclusive, boolean minOneBatch)
      throws IOException {
    int end = size;
    BatchPosition first = translateOffset(startOffset, end);
    if (first == null) {
      return null;
    }
    if (first.lastOffset() >= maxOffsetExclusive) {
      return ByteBuffer.allocate(0);
    }
    if (first.size() > maxBytes) {
      if (!minOneBatch) {
        return ByteBuffer.allocate(0);
      }
      ByteBuffer one = ByteBuffer.allocate(first.size());
      readFully(one, first.position());
      verifyChecksums(one, first.position());
      return one;
    }
    int want = (int) Math.min(maxBytes, (long) end - first.position());
    ByteBuffer buf = ByteBuffer.allocate(want);
    readFully(buf, first.position());
    // Keep whole batches below maxOffsetExclusive; the buffer may end inside one.
    int p = 0;
    while (p + SEARCH_HEADER_BYTES <= want) {
      int batchSize = RecordBatchFormat.batchLength(buf, p) + RecordBatchFormat.LOG_OVERHEAD;
      if (batchSize < RecordBatchFormat.RECORD_BATCH_OVERHEAD) {
        throw new LogStorageException(
            logFile + ": batch at position " + (first.position() + p) + " has size " + batchSize);
      }
      long last = RecordBatchFormat.baseOffset(buf, p) + RecordBatchFormat.lastOffsetDelta(buf, p);
      if (p + batchSize > want || last >= maxOffsetExclusive) {
        break;
      }
      p += batchSize;
    }
    buf.limit(p);
    verifyChecksums(buf, first.position());
    return buf;
  }

  /**
   * A corrupt file is never served silently: data below the recovery point is not rescanned on
   * open, so every batch is checked again on its way out (CRC-32C runs at several GB/s).
   */
  private void verifyChecksums(ByteBuffer buf, int filePosition) {
    for (int p = 0; p < buf.limit(); ) {
      int batchSize = (int) RecordBatchFormat.sizeInBytes(buf, p);
      long stored = RecordBatchFormat.crc(buf, p);
      long computed = RecordBatchFormat.computeCrc(buf, p, batchSize);
      if (stored != computed) {
        throw new CorruptRecordException(
            logFile
                + ": batch at position "
                + (filePosition + p)
                + " (offset "
                + RecordBatchFormat.baseOffset(buf, p)
                + ") has CRC-32C "
                + computed
                + " but the header says "
                + stored);
      }
      p += batchSize;
    }
  }

  /**
   * Checks the loaded indexes against the data without reading the data (a clean open): sizes,
   * order, bounds. Rebuilds them by a scan if missing or inconsistent; loads nextOffset and the
   * largest timestamp from the tail after the last index entry.
   */
  void loadClean() throws IOException {
    String problem = indexesMissing ? logFile + ": index files missing" : null;
    if (problem == null) {
      problem = offsetIndex.checkConsistency(size);
    }
    if (problem != null) {
      LogSegmentRecovery.LOG.warn("{}: rebuilding indexes", problem);
      recover(Long.MAX_VALUE, null);
      return;
    }
    int tailStart = offsetIndex.lookup(Long.MAX_VALUE);
    maxTimestamp = timeIndex.lastTimestamp();
    offsetOfMaxTimestamp = Math.max(baseOffset, timeIndex.lastOffset());
    scanTail(tailStart);
    String timeProblem = timeIndex.checkConsistency(nextOffset);
    if (timeProblem != null) {
      LogSegmentRecovery.LOG.warn("{}: rebuilding indexes", timeProblem);
      recover(Long.MAX_VALUE, null);
    }
  }

  /** Reads batch headers from {@code from} to the end: sets nextOffset, max timestamp. */
  private void scanTail(int from) throws IOException {
    FileBatchScanner scan = new FileBatchScanner(channel, from, size, false);
    long next = from == 0 ? baseOffset : nextOffset;
    while (scan.next()) {
      ByteBuffer b = scan.batch();
      long batchBase = RecordBatchFormat.baseOffset(b, 0);
      next = batchBase + RecordBatchFormat.lastOffsetDelta(b, 0) + 1;
      long ts = RecordBatchFormat.maxTimestamp(b, 0);
      if (ts > maxTimestamp) {
        maxTimestamp = ts;
        offsetOfMaxTimestamp = batchBase;
      }
      bytesSinceLastIndexEntry += scan.size();
    }
    if (scan.stop() != FileBatchScanner.Stop.END) {
      throw new LogStorageException(
          logFile + ": " + scan.problem() + " at position " + scan.position());
    }
    nextOffset = Math.max(next, baseOffset);
  }

  /**
   * Validates every batch (length, magic, CRC, offsets increasing and at or above {@code
   * minNextOffset}... see {@link LogSegmentRecovery}), rebuilds both indexes, and truncates the
   * file at the first invalid batch. Returns the number of bytes cut.
   */
  int recover(long maxBatchBytes, LogSegmentRecovery.BatchVisitor visitor) throws IOException {
    offsetIndex.growTo(maxIndexBytes);
    timeIndex.growTo(maxIndexBytes);
    offsetIndex.reset();
    timeIndex.reset();
    maxTimestamp = RecordBatchFormat.NO_TIMESTAMP;
    offsetOfMaxTimestamp = baseOffset;
    bytesSinceLastIndexEntry = 0;
    int validBytes = LogSegmentRecovery.scan(this, visitor);
    int cut = size - validBytes;
    if (cut > 0) {
      channel.truncate(validBytes);
      size = validBytes;
    }
    indexesMissing = false;
    return cut;
  }

  /** Recovery's hook: indexes one valid batch found at {@code position}. */
  void indexRecovered(ByteBuffer header, int position, int batchSize) {
    long batchBase = RecordBatchFormat.baseOffset(header, 0);
    long ts = RecordBatchFormat.maxTimestamp(header, 0);
    if (ts > maxTimestamp) {
      maxTimestamp = ts;
      offsetOfMaxTimestamp = batchBase;
    }
    if (bytesSinceLastIndexEntry >= indexIntervalBytes && !indexesFull()) {
      offsetIndex.append(batchBase, position);
      timeIndex.maybeAppend(maxTimestamp, offsetOfMaxTimestamp);
      bytesSinceLastIndexEntry = 0;
    }
    bytesSinceLastIndexEntry += batchSize;
    nextOffset = batchBase + RecordBatchFormat.lastOffsetDelta(header, 0) + 1;
  }

  /**
   * Cuts the segment before the first batch whose last offset is at or above {@code offset}.
   * Returns the bytes removed. The caller holds the log lock.
   */
  int truncateTo(long offset) throws IOException {
    BatchPosition at = translateOffset(offset, size);
    if (at == null) {
      return 0;
    }
    int cut = size - at.position();
    // Unpublish first: readers must not be sent to bytes that are about to go.
    size = at.position();
    nextOffset = Math.min(nextOffset, at.baseOffset());
    offsetIndex.truncateToPosition(at.position());
    timeIndex.truncateToOffset(at.baseOffset());
    channel.truncate(at.position());
    maxTimestamp = timeIndex.lastTimestamp();
    offsetOfMaxTimestamp = Math.max(baseOffset, timeIndex.lastOffset());
    bytesSinceLastIndexEntry = 0;
    scanTail(offsetIndex.lookup(Long.MAX_VALUE));
    if (size == 0) {
      nextOffset = baseOffset;
    }
    return cut;
  }

  /** The segment stops being the active one: final time index entry, indexes trimmed. */
  void onBecomeInactive() throws IOException {
    if (maxTimestamp >= 0) {
      timeIndex.maybeAppend(maxTimestamp, offsetOfMaxTimestamp);
    }
    offsetIndex.trimToEntries();
    timeIndex.trimToEntries();
  }

  /** The segment becomes the active one again after a truncation removed its successors. */
  void onBecomeActive() throws IOException {
    offsetIndex.growTo(maxIndexBytes);
    timeIndex.growTo(maxIndexBytes);
  }

  /** fsync of the data only: what the group flusher needs (indexes are rebuilt from data). */
  void flushData() throws IOException {
    channel.force(false);
  }

  /** fsync of data and indexes, before the recovery point may pass this segment. */
  void flushAll() throws IOException {
    channel.force(false);
    offsetIndex.flush();
    timeIndex.flush();
  }

  void close() throws IOException {
    channel.close();
  }

  /** Closes and removes the segment's files. */
  void delete() throws IOException {
    channel.close();
    Files.deleteIfExists(logFile);
    offsetIndex.deleteFile();
    timeIndex.deleteFile();
  }

  OffsetIndex offsetIndex() {
    return offsetIndex;
  }

  TimeIndex timeIndex() {
    return timeIndex;
  }

  @Override
  public String toString() {
    return logFile.getFileName() + "[" + baseOffset + ".." + nextOffset + ", " + size + " bytes]";
  }
}
