package io.logbus.record;

import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Iterates the records of one batch's (decompressed) records section, checking every length against
 * the bytes present, the record count against the section, and that nothing follows the last
 * record. Malformed records raise {@link InvalidRecordException} naming the batch's base offset,
 * the record's index and its position in the section. Not thread-safe: one per iteration.
 */
final class RecordDecoder implements Iterator<Record> {
  private final ByteBuffer section;
  private final int start;
  private final int end;
  private final int count;
  private final long baseOffset;
  private final long baseTimestamp;
  private final boolean logAppendTime;
  private final long maxTimestamp;
  private final Cursor cursor;
  private int index;

  // The fields of the record read last (see RecordFormat for the layout).
  private long timestampDelta;
  private int offsetDelta;
  private int keyPosition;
  private int keyLength;
  private int valuePosition;
  private int valueLength;
  private int headersPosition;
  private int headerCount;

  RecordDecoder(
      ByteBuffer section,
      int start,
      int end,
      int count,
      long baseOffset,
      long baseTimestamp,
      boolean logAppendTime,
      long maxTimestamp) {
    if (count < 0) {
      throw new InvalidRecordException(batchName(baseOffset) + ": negative record count " + count);
    }
    this.section = section;
    this.start = start;
    this.end = end;
    this.count = count;
    this.baseOffset = baseOffset;
    this.baseTimestamp = baseTimestamp;
    this.logAppendTime = logAppendTime;
    this.maxTimestamp = maxTimestamp;
    this.cursor = new Cursor(section, start, end);
    if (count == 0) {
      checkNothingLeft();
    }
  }

  /** How errors name a batch; built only when one is thrown (no garbage on the happy path). */
  static String batchName(long baseOffset) {
    return "batch with base offset " + baseOffset;
  }

  @Override
  public boolean hasNext() {
    return index < count;
  }

  @Override
  public Record next() {
    int recordStart = cursor.position;
    advance();
    long timestamp = logAppendTime ? maxTimestamp : baseTimestamp + timestampDelta;
    return new Record(
        section,
        baseOffset + offsetDelta,
        timestamp,
        cursor.position - recordStart,
        keyPosition,
        keyLength,
        valuePosition,
        valueLength,
        headersPosition,
        headerCount);
  }

  /**
   * Decodes and checks the next record into this decoder's fields without allocating.
   *
   * @return its offset delta
   */
  int advance() {
    if (index >= count) {
      throw new NoSuchElementException(batchName(baseOffset) + ": all " + count + " records read");
    }
    int recordStart = cursor.position;
    try {
      readRecord();
    } catch (InvalidRecordException e) {
      throw new InvalidRecordException(
          batchName(baseOffset)
              + ": record "
              + index
              + " of "
              + count
              + " at byte "
              + (recordStart - start)
              + " of the records section: "
              + e.getMessage());
    }
    index++;
    if (index == count) {
      checkNothingLeft();
    }
    return offsetDelta;
  }

  private void readRecord() {
    int bodySize = cursor.readVarint();
    int bodyStart = cursor.position;
    if (bodySize < RecordFormat.MIN_RECORD_SIZE - 1 || bodySize > end - bodyStart) {
      throw new InvalidRecordException(
          "record length "
              + bodySize
              + " is outside [6, "
              + (end - bodyStart)
              + "] (the bytes left in the section)");
    }
    // Bound the field reads by this record's length, not the section's.
    Cursor body = cursor;
    int sectionLimit = body.limit;
    body.limit = bodyStart + bodySize;
    body.position++; // attributes: unused
    timestampDelta = body.readVarlong();
    offsetDelta = body.readVarint();
    keyLength = body.readLength("key");
    keyPosition = body.position;
    body.skip(keyLength, "key");
    valueLength = body.readLength("value");
    valuePosition = body.position;
    body.skip(valueLength, "value");
    headerCount = body.readVarint();
    if (headerCount < 0) {
      throw new InvalidRecordException("negative header count " + headerCount);
    }
    headersPosition = body.position;
    for (int i = 0; i < headerCount; i++) {
      int headerKeyLength = body.readVarint();
      if (headerKeyLength < 0) {
        throw new InvalidRecordException("header " + i + " has a null key");
      }
      body.skip(headerKeyLength, "header key");
      body.skip(body.readLength("header value"), "header value");
    }
    if (body.position != bodyStart + bodySize) {
      throw new InvalidRecordException(
          "record length says "
              + bodySize
              + " bytes but its fields take "
              + (body.position - bodyStart));
    }
    body.limit = sectionLimit;
  }

  private void checkNothingLeft() {
    if (cursor.position != end) {
      throw new InvalidRecordException(
          batchName(baseOffset)
              + ": "
              + (end - cursor.position)
              + " bytes follow the last of "
              + count
              + " records (the records section should end at byte "
              + (cursor.position - start)
              + ", it ends at "
              + (end - start)
              + ")");
    }
  }

  /**
   * Absolute-position reader over a section: the varint loops of Kafka's {@code ByteUtils} with a
   * bounds check (limit -1: trust the bytes, they were checked before).
   */
  static final class Cursor {
    final ByteBuffer buffer;
    int limit;
    int position;

    Cursor(ByteBuffer buffer, int position, int limit) {
      this.buffer = buffer;
      this.position = position;
      this.limit = limit < 0 ? buffer.limit() : limit;
    }

    private byte nextByte() {
      if (position >= limit) {
        throw new InvalidRecordException("truncated varint");
      }
      return buffer.get(position++);
    }

    int readVarint() {
      int value = 0;
      int shift = 0;
      int b;
      while (((b = nextByte()) & 0x80) != 0) {
        value |= (b & 0x7f) << shift;
        shift += 7;
        if (shift > 28) {
          throw new InvalidRecordException("varint longer than 5 bytes");
        }
      }
      value |= b << shift;
      return (value >>> 1) ^ -(value & 1);
    }

    long readVarlong() {
      long value = 0L;
      int shift = 0;
      long b;
      while (((b = nextByte()) & 0x80) != 0) {
        value |= (b & 0x7f) << shift;
        shift += 7;
        if (shift > 63) {
          throw new InvalidRecordException("varlong longer than 10 bytes");
        }
      }
      value |= b << shift;
      return (value >>> 1) ^ -(value & 1);
    }

    int readLength(String what) {
      int length = readVarint();
      if (length < RecordFormat.NULL_LENGTH) {
        throw new InvalidRecordException(what + " length " + length + " is below -1");
      }
      return length;
    }

    void skip(int length, String what) {
      if (length > limit - position) {
        throw new InvalidRecordException(
            what + " length " + length + " exceeds the " + (limit - position) + " bytes left");
      }
      if (length > 0) {
        position += length;
      }
    }

    /** A length-prefixed byte string (null for -1); used on bytes already checked. */
    byte[] readBytes() {
      int length = readVarint();
      if (length < 0) {
        return null;
      }
      byte[] bytes = new byte[length];
      buffer.get(position, bytes);
      position += length;
      return bytes;
    }
  }
}
