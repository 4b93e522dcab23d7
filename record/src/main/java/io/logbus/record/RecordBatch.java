package io.logbus.record;

import static io.logbus.record.RecordBatchFormat.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Flyweight over exactly one record batch (layout: {@link RecordBatchFormat}). Reads are absolute
 * and big endian; nothing is copied or decoded until asked for. The constructor checks only what is
 * needed to find the batch's end safely (size, batchLength, magic); {@link #ensureValid()} adds the
 * CRC-32C and the codec id, and {@link #records()} checks every record as it decodes it.
 *
 * <p>{@link #setBaseOffset} and {@link #setPartitionLeaderEpoch} write into the underlying bytes
 * (shared with whoever handed them in) without touching the CRC, which does not cover those fields.
 *
 * <p>Not thread-safe for the setters; concurrent readers of an unchanging batch are fine.
 */
public final class RecordBatch {
  private final ByteBuffer buffer;

  /**
   * Wraps the bytes from {@code batch}'s position to its limit, which must hold exactly one batch.
   * The caller's position and limit are not changed.
   *
   * @throws CorruptRecordException if the bytes are shorter than the header, batchLength disagrees
   *     with their size, or the magic byte is not 2
   */
  public RecordBatch(ByteBuffer batch) {
    ByteBuffer slice = batch.slice().order(ByteOrder.BIG_ENDIAN);
    int size = checkHeader(slice, 0, slice.remaining(), batch.position());
    if (size != slice.remaining()) {
      throw new CorruptRecordException(
          "batch at position "
              + batch.position()
              + ": batchLength "
              + RecordBatchFormat.batchLength(slice, 0)
              + " gives a size of "
              + size
              + " bytes but the buffer holds "
              + slice.remaining());
    }
    this.buffer = slice;
  }

  /** For {@link RecordBatches}: a slice already checked by {@link #checkHeader}. */
  private RecordBatch(ByteBuffer checkedSlice, boolean checked) {
    this.buffer = checkedSlice;
  }

  static RecordBatch ofChecked(ByteBuffer buffer, int start, int size) {
    return new RecordBatch(buffer.slice(start, size).order(ByteOrder.BIG_ENDIAN), true);
  }

  /**
   * Checks the fields needed before anything else can be trusted and returns the batch's size.
   *
   * @param available bytes present from {@code start}
   * @param reportedPosition position to name in error messages
   */
  static int checkHeader(ByteBuffer buffer, int start, int available, long reportedPosition) {
    if (available < LOG_OVERHEAD) {
      throw new CorruptRecordException(
          "truncated batch at position "
              + reportedPosition
              + ": "
              + available
              + " bytes left, expected at least "
              + LOG_OVERHEAD
              + " for baseOffset and batchLength");
    }
    int batchLength = RecordBatchFormat.batchLength(buffer, start);
    if (batchLength < MIN_BATCH_LENGTH) {
      throw new CorruptRecordException(
          "batch at position "
              + reportedPosition
              + ": batchLength "
              + batchLength
              + " is smaller than the minimum "
              + MIN_BATCH_LENGTH
              + " (a "
              + RECORD_BATCH_OVERHEAD
              + "-byte header minus "
              + LOG_OVERHEAD
              + ")");
    }
    if (available < HEADER_SIZE_UP_TO_MAGIC) {
      throw new CorruptRecordException(
          "truncated batch at position "
              + reportedPosition
              + ": "
              + available
              + " bytes left, expected at least "
              + HEADER_SIZE_UP_TO_MAGIC
              + " to read the magic byte");
    }
    byte magic = RecordBatchFormat.magic(buffer, start);
    if (magic != MAGIC_V2) {
      throw new CorruptRecordException(
          "batch at position "
              + reportedPosition
              + ": magic "
              + magic
              + ", expected "
              + MAGIC_V2
              + " (only RecordBatch v2 is supported)");
    }
    if (batchLength > available - LOG_OVERHEAD) {
      throw new CorruptRecordException(
          "truncated batch at position "
              + reportedPosition
              + ": batchLength "
              + batchLength
              + " needs "
              + ((long) batchLength + LOG_OVERHEAD)
              + " bytes, only "
              + available
              + " left");
    }
    return batchLength + LOG_OVERHEAD;
  }

  public long baseOffset() {
    return RecordBatchFormat.baseOffset(buffer, 0);
  }

  public int lastOffsetDelta() {
    return RecordBatchFormat.lastOffsetDelta(buffer, 0);
  }

  public long lastOffset() {
    return baseOffset() + lastOffsetDelta();
  }

  /** The offset after this batch: lastOffset + 1. */
  public long nextOffset() {
    return lastOffset() + 1;
  }

  public int sizeInBytes() {
    return buffer.limit();
  }

  public int batchLength() {
    return RecordBatchFormat.batchLength(buffer, 0);
  }

  public int partitionLeaderEpoch() {
    return RecordBatchFormat.partitionLeaderEpoch(buffer, 0);
  }

  public byte magic() {
    return RecordBatchFormat.magic(buffer, 0);
  }

  /** The stored CRC-32C (unsigned). */
  public long checksum() {
    return crc(buffer, 0);
  }

  /** The CRC-32C of attributes..end as the bytes are now. */
  public long computeChecksum() {
    return computeCrc(buffer, 0, buffer.limit());
  }

  /** Whether the stored CRC matches the bytes and the codec id is known. */
  public boolean isValid() {
    return checksum() == computeChecksum() && (attributes() & CompressionType.ATTRIBUTE_MASK) <= 4;
  }

  /**
   * Checks the CRC-32C over attributes..end and the codec id (size and magic were checked on
   * construction).
   *
   * @throws CorruptRecordException if the CRC does not match
   * @throws InvalidRecordException if the codec id is not one of 0-4
   */
  public void ensureValid() {
    long stored = checksum();
    long computed = computeChecksum();
    if (stored != computed) {
      throw new CorruptRecordException(
          String.format(
              "batch with base offset %d (%d bytes): CRC-32C over bytes %d..%d is 0x%08x, the"
                  + " header says 0x%08x",
              baseOffset(), sizeInBytes(), CRC_COVERED_OFFSET, sizeInBytes(), computed, stored));
    }
    compression();
  }

  public short attributes() {
    return RecordBatchFormat.attributes(buffer, 0);
  }

  /**
   * @throws InvalidRecordException if the codec id is not one of 0-4
   */
  public CompressionType compression() {
    return CompressionType.fromAttributes(attributes());
  }

  public TimestampType timestampType() {
    return TimestampType.fromAttributes(attributes());
  }

  public boolean isTransactional() {
    return (attributes() & TRANSACTIONAL_FLAG_MASK) != 0;
  }

  public boolean isControlBatch() {
    return (attributes() & CONTROL_FLAG_MASK) != 0;
  }

  public long baseTimestamp() {
    return RecordBatchFormat.baseTimestamp(buffer, 0);
  }

  public long maxTimestamp() {
    return RecordBatchFormat.maxTimestamp(buffer, 0);
  }

  public long producerId() {
    return RecordBatchFormat.producerId(buffer, 0);
  }

  public short producerEpoch() {
    return RecordBatchFormat.producerEpoch(buffer, 0);
  }

  public int baseSequence() {
    return RecordBatchFormat.baseSequence(buffer, 0);
  }

  /** baseSequence + lastOffsetDelta with Kafka's wrap-around, or -1 without a sequence. */
  public int lastSequence() {
    int base = baseSequence();
    return base == NO_SEQUENCE ? NO_SEQUENCE : incrementSequence(base, lastOffsetDelta());
  }

  public int recordCount() {
    return RecordBatchFormat.recordCount(buffer, 0);
  }

  /** Whether this batch comes from an idempotent or transactional producer. */
  public boolean hasProducerId() {
    return producerId() > NO_PRODUCER_ID;
  }

  /** Stamps the base offset in place; the CRC stays valid (not covered). */
  public void setBaseOffset(long baseOffset) {
    RecordBatchFormat.setBaseOffset(buffer, 0, baseOffset);
  }

  /** Stamps the partition leader epoch in place; the CRC stays valid (not covered). */
  public void setPartitionLeaderEpoch(int epoch) {
    RecordBatchFormat.setPartitionLeaderEpoch(buffer, 0, epoch);
  }

  /**
   * Marks the batch LOG_APPEND_TIME with this time as maxTimestamp (every record then reports it),
   * as a broker does for topics with {@code message.timestamp.type=LogAppendTime}. Both fields are
   * CRC-covered, so the CRC is recomputed: only call this on a batch already validated.
   */
  public void setLogAppendTime(long timestamp) {
    buffer.putShort(ATTRIBUTES_OFFSET, (short) TimestampType.LOG_APPEND_TIME.applyTo(attributes()));
    buffer.putLong(MAX_TIMESTAMP_OFFSET, timestamp);
    writeCrc(buffer, 0, buffer.limit());
  }

  /**
   * The records, decompressed and decoded lazily; each call to {@code iterator()} decompresses
   * afresh. Iteration throws {@link InvalidRecordException} on a malformed record or section.
   */
  public Iterable<Record> records() {
    return this::recordIterator;
  }

  private RecordDecoder recordIterator() {
    CompressionType compression = compression();
    ByteBuffer section;
    int start;
    int end;
    if (compression == CompressionType.NONE) {
      section = buffer;
      start = RECORDS_OFFSET;
      end = buffer.limit();
    } else {
      section =
          RecordsCompression.decompress(
              compression,
              buffer.slice(RECORDS_OFFSET, buffer.limit() - RECORDS_OFFSET),
              RecordDecoder.batchName(baseOffset()));
      start = 0;
      end = section.limit();
    }
    return new RecordDecoder(
        section,
        start,
        end,
        recordCount(),
        baseOffset(),
        baseTimestamp(),
        timestampType() == TimestampType.LOG_APPEND_TIME,
        maxTimestamp());
  }

  /**
   * Decodes every record without materializing it and checks, beyond what {@link #records()}
   * checks, that offset deltas start at 0 or above, strictly increase, and end at lastOffsetDelta.
   * With {@code lastOffsetDelta == recordCount - 1} (which a broker requires of producer batches)
   * this means the deltas are exactly 0..n-1. What a leader runs on a producer's batch after {@link
   * #ensureValid()}; it decompresses, so it costs what a consumer's read costs.
   *
   * @throws InvalidRecordException naming the batch, the record and the problem
   */
  public void ensureRecordsValid() {
    RecordDecoder decoder = recordIterator();
    long previous = -1;
    int index = 0;
    while (decoder.hasNext()) {
      int delta = decoder.advance();
      if (delta <= previous) {
        throw new InvalidRecordException(
            RecordDecoder.batchName(baseOffset())
                + ": record "
                + index
                + " has offset delta "
                + delta
                + ", expected more than "
                + previous);
      }
      previous = delta;
      index++;
    }
    if (previous != lastOffsetDelta()) {
      throw new InvalidRecordException(
          RecordDecoder.batchName(baseOffset())
              + ": the last record has offset delta "
              + previous
              + " but the header's lastOffsetDelta is "
              + lastOffsetDelta());
    }
  }

  /** The batch's bytes: a new view with position 0 and limit = sizeInBytes (shared content). */
  public ByteBuffer buffer() {
    return buffer.duplicate().order(ByteOrder.BIG_ENDIAN);
  }

  @Override
  public String toString() {
    return "RecordBatch(baseOffset="
        + baseOffset()
        + ", lastOffset="
        + lastOffset()
        + ", records="
        + recordCount()
        + ", size="
        + sizeInBytes()
        + ", leaderEpoch="
        + partitionLeaderEpoch()
        + ", attributes=0x"
        + Integer.toHexString(attributes() & 0xffff)
        + ", producerId="
        + producerId()
        + ")";
  }
}
