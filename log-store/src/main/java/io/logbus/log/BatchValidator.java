package io.logbus.log;

import io.logbus.record.CorruptRecordException;
import io.logbus.record.InvalidRecordException;
import io.logbus.record.RecordBatch;
import io.logbus.record.RecordBatchFormat;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Checks a whole append request before any byte of it is written: every batch's length, magic,
 * CRC-32C, offset deltas, and (leader appends) size against max.message.bytes. A rejected request
 * leaves the log untouched. Stateless; any thread.
 */
final class BatchValidator {
  private BatchValidator() {}

  /** The facts of a validated request; positions index into {@link #buffer}. */
  static final class ValidatedRequest {
    final ByteBuffer buffer;
    final int[] positions;
    final int count;
    final int totalBytes;
    final int recordCount;
    final long maxTimestamp;

    ValidatedRequest(
        ByteBuffer buffer,
        int[] positions,
        int count,
        int totalBytes,
        int recordCount,
        long maxTimestamp) {
      this.buffer = buffer;
      this.positions = positions;
      this.count = count;
      this.totalBytes = totalBytes;
      this.recordCount = recordCount;
      this.maxTimestamp = maxTimestamp;
    }

    long baseOffset(int i) {
      return RecordBatchFormat.baseOffset(buffer, positions[i]);
    }

    long lastOffset(int i) {
      return baseOffset(i) + RecordBatchFormat.lastOffsetDelta(buffer, positions[i]);
    }

    int size(int i) {
      return (int) RecordBatchFormat.sizeInBytes(buffer, positions[i]);
    }
  }

  /**
   * Validates {@code request} (position to limit). {@code asLeader}: sizes are checked against
   * {@code maxMessageBytes} and each batch must hold dense offsets (lastOffsetDelta = recordCount -
   * 1); otherwise base offsets must increase from batch to batch. Returns a big-endian view that
   * shares the request's bytes (a copy if the request is read-only and the leader must stamp it).
   */
  static ValidatedRequest validate(
      String logName, ByteBuffer request, int maxMessageBytes, boolean asLeader) {
    if (request == null) {
      throw new NullPointerException("batches");
    }
    ByteBuffer buf = request.duplicate().order(ByteOrder.BIG_ENDIAN);
    if (asLeader && buf.isReadOnly()) {
      ByteBuffer copy = ByteBuffer.allocate(buf.remaining());
      copy.put(buf).flip();
      buf = copy;
    }
    int start = buf.position();
    int limit = buf.limit();
    if (limit == start) {
      throw new InvalidRecordException("[" + logName + "] append of no batches");
    }
    int[] positions = new int[8];
    int count = 0;
    int records = 0;
    long maxTs = RecordBatchFormat.NO_TIMESTAMP;
    long previousLast = Long.MIN_VALUE;
    int p = start;
    while (p < limit) {
      int at = p - start;
      int left = limit - p;
      if (left < RecordBatchFormat.RECORD_BATCH_OVERHEAD) {
        throw new CorruptRecordException(
            "["
                + logName
                + "] batch at request position "
                + at
                + ": "
                + left
                + " bytes left, less than a batch header ("
                + RecordBatchFormat.RECORD_BATCH_OVERHEAD
                + ")");
      }
      int batchLength = RecordBatchFormat.batchLength(buf, p);
      long size = (long) batchLength + RecordBatchFormat.LOG_OVERHEAD;
      if (batchLength < RecordBatchFormat.MIN_BATCH_LENGTH || size > left) {
        throw new CorruptRecordException(
            "["
                + logName
                + "] batch at request position "
                + at
                + ": batchLength "
                + batchLength
                + " but "
                + left
                + " bytes left (minimum "
                + RecordBatchFormat.MIN_BATCH_LENGTH
                + ")");
      }
      byte magic = RecordBatchFormat.magic(buf, p);
      if (magic != RecordBatchFormat.MAGIC_V2) {
        throw new CorruptRecordException(
            "["
                + logName
                + "] batch at request position "
                + at
                + ": magic "
                + magic
                + ", expected "
                + RecordBatchFormat.MAGIC_V2);
      }
      if (asLeader && size > maxMessageBytes) {
        throw new RecordTooLargeException(
            "["
                + logName
                + "] batch at request position "
                + at
                + " is "
                + size
                + " bytes, larger than max.message.bytes="
                + maxMessageBytes);
      }
      long stored = RecordBatchFormat.crc(buf, p);
      long computed = RecordBatchFormat.computeCrc(buf, p, (int) size);
      if (stored != computed) {
        throw new CorruptRecordException(
            "["
                + logName
                + "] batch at request position "
                + at
                + ": CRC-32C stored "
                + stored
                + " but computed "
                + computed);
      }
      int lastDelta = RecordBatchFormat.lastOffsetDelta(buf, p);
      int count0 = RecordBatchFormat.recordCount(buf, p);
      if (lastDelta < 0 || count0 < 0) {
        throw new InvalidRecordException(
            "["
                + logName
                + "] batch at request position "
                + at
                + ": lastOffsetDelta "
                + lastDelta
                + ", recordCount "
                + count0);
      }
      if (asLeader && (count0 == 0 || lastDelta != count0 - 1)) {
        throw new InvalidRecordException(
            "["
                + logName
                + "] batch at request position "
                + at
                + ": "
                + count0
                + " records but lastOffsetDelta "
                + lastDelta
                + " (a produced batch holds dense offsets)");
      }
      if (asLeader) {
        // A valid CRC only proves the producer's bytes arrived intact, not that they parse:
        // walk the records (decompressing if needed) so a malformed batch is refused here rather
        // than stored and later thrown on by readers and the cleaner.
        new RecordBatch(buf.slice(p, (int) size)).ensureRecordsValid();
        long producerId = RecordBatchFormat.producerId(buf, p);
        if (producerId >= 0
            && (RecordBatchFormat.baseSequence(buf, p) < 0
                || RecordBatchFormat.producerEpoch(buf, p) < 0)) {
          throw new InvalidRecordException(
              "["
                  + logName
                  + "] batch at request position "
                  + at
                  + ": producer id "
                  + producerId
                  + " with base sequence "
                  + RecordBatchFormat.baseSequence(buf, p)
                  + " and producer epoch "
                  + RecordBatchFormat.producerEpoch(buf, p));
        }
      }
      if (!asLeader) {
        long base = RecordBatchFormat.baseOffset(buf, p);
        if (base < 0 || base <= previousLast) {
          throw new InvalidRecordException(
              "["
                  + logName
                  + "] batch at request position "
                  + at
                  + ": baseOffset "
                  + base
                  + " does not follow the previous last offset "
                  + previousLast);
        }
        previousLast = base + lastDelta;
      }
      if (count == positions.length) {
        positions = java.util.Arrays.copyOf(positions, count * 2);
      }
      positions[count++] = p;
      records += count0;
      maxTs = Math.max(maxTs, RecordBatchFormat.maxTimestamp(buf, p));
      p += (int) size;
    }
    return new ValidatedRequest(buf, positions, count, limit - start, records, maxTs);
  }
}
