package io.logbus.log;

import io.logbus.record.RecordBatchFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Walks the batches stored in a segment file between two positions, reading in chunks so a scan
 * costs one system call per chunk, not per batch. Checks structure only (length in bounds, magic);
 * the caller checks CRCs where it must (recovery). Not thread-safe; one scan per instance.
 *
 * <p>After {@link #next()} returns true, {@link #batch()} is a buffer holding the batch at index 0
 * (the whole batch if the scanner reads whole batches, else at least the 61-byte header), valid
 * until the next call. When it returns false, {@link #stop()} tells why.
 */
final class FileBatchScanner {
  enum Stop {
    /** Reached the end position exactly at a batch boundary. */
    END,
    /** The bytes left are too few for the batch they begin (a torn write). */
    TRUNCATED,
    /** A length or magic that cannot be right. */
    CORRUPT
  }

  private static final int DEFAULT_CHUNK = 256 * 1024;
  private static final int LARGE_BATCH = 8 * 1024;
  private int previousSize;

  private final FileChannel channel;
  private final long end;
  private final boolean wholeBatches;
  private ByteBuffer buf;
  private long bufStart;
  private long position;
  private int size;
  private Stop stop;
  private String problem;
  private ByteBuffer batch;

  FileBatchScanner(FileChannel channel, long start, long end, boolean wholeBatches) {
    this.channel = channel;
    this.end = end;
    this.wholeBatches = wholeBatches;
    this.buf = ByteBuffer.allocate(DEFAULT_CHUNK);
    this.buf.limit(0);
    this.bufStart = start;
    this.position = start;
    this.size = 0;
  }

  boolean next() throws IOException {
    position += size;
    previousSize = size;
    size = 0;
    long left = end - position;
    if (left == 0) {
      stop = Stop.END;
      return false;
    }
    if (left < RecordBatchFormat.LOG_OVERHEAD) {
      return fail(Stop.TRUNCATED, left + " bytes left, less than a batch's length prefix");
    }
    int headerBytes = (int) Math.min(left, RecordBatchFormat.RECORD_BATCH_OVERHEAD);
    ensure(headerBytes);
    int at = (int) (position - bufStart);
    int batchLength = RecordBatchFormat.batchLength(buf, at);
    if (batchLength < RecordBatchFormat.MIN_BATCH_LENGTH) {
      return fail(
          Stop.CORRUPT,
          "batchLength "
              + batchLength
              + " below the minimum "
              + RecordBatchFormat.MIN_BATCH_LENGTH);
    }
    long batchSize = (long) batchLength + RecordBatchFormat.LOG_OVERHEAD;
    if (batchSize > left) {
      return fail(Stop.TRUNCATED, "batch of " + batchSize + " bytes but only " + left + " left");
    }
    byte magic = RecordBatchFormat.magic(buf, at);
    if (magic != RecordBatchFormat.MAGIC_V2) {
      return fail(Stop.CORRUPT, "magic " + magic + ", expected " + RecordBatchFormat.MAGIC_V2);
    }
    size = (int) batchSize;
    int view = wholeBatches ? size : RecordBatchFormat.RECORD_BATCH_OVERHEAD;
    ensure(view);
    at = (int) (position - bufStart);
    batch = buf.slice(at, view);
    return true;
  }

  private boolean fail(Stop why, String what) {
    stop = why;
    problem = what;
    return false;
  }

  /** Makes bytes [position, position + n) present in buf. */
  private void ensure(int n) throws IOException {
    if (position >= bufStart && position + n <= bufStart + buf.limit()) {
      return;
    }
    // A header-only scan over large batches reads just the headers: one small read per batch
    // beats reading every byte of the segment to look at 61 of each batch.
    int chunk = !wholeBatches && previousSize > LARGE_BATCH ? n : DEFAULT_CHUNK;
    int want = (int) Math.min(Math.max(n, chunk), end - position);
    if (buf.capacity() < want) {
      buf = ByteBuffer.allocate(want);
    }
    buf.clear().limit(want);
    long at = position;
    while (buf.hasRemaining()) {
      int r = channel.read(buf, at);
      if (r < 0) {
        throw new IOException("file ended at " + at + " before the scan end " + end);
      }
      at += r;
    }
    buf.flip();
    bufStart = position;
  }

  /** File position of the current batch. */
  long position() {
    return position;
  }

  /** Size in bytes of the current batch. */
  int size() {
    return size;
  }

  ByteBuffer batch() {
    return batch;
  }

  Stop stop() {
    return stop;
  }

  String problem() {
    return problem;
  }
}
