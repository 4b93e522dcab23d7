package io.logbus.record;

import static io.logbus.record.RecordBatchFormat.*;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;

/**
 * Builds one record batch (layout: {@link RecordBatchFormat}, records: {@link RecordFormat}) the
 * way Kafka's {@code MemoryRecordsBuilder} does: offsets from baseOffset upward, baseTimestamp =
 * the first record's timestamp, maxTimestamp = the largest, CRC-32C written last.
 *
 * <p>Uncompressed records are encoded straight into the output buffer behind a reserved header;
 * compressed ones into a scratch buffer that {@link #build()} compresses once into the output. Each
 * buffer starts at the size the caller expects (for a producer, its {@code batch.size}) and doubles
 * when full, so a batch that fits costs no copy but the compression itself. Appending allocates
 * nothing per record.
 *
 * <p>Not thread-safe: one producer thread (or the partition's append lock) owns a builder. Single
 * use: after {@link #build()} it refuses appends.
 */
public final class RecordBatchBuilder {
  private static final int DEFAULT_INITIAL_CAPACITY = 1024;

  private final CompressionType compression;
  private final long baseOffset;
  private long producerId = NO_PRODUCER_ID;
  private short producerEpoch = NO_PRODUCER_EPOCH;
  private int baseSequence = NO_SEQUENCE;
  private int partitionLeaderEpoch = NO_PARTITION_LEADER_EPOCH;
  private TimestampType timestampType = TimestampType.CREATE_TIME;
  private long logAppendTime = NO_TIMESTAMP;
  private boolean transactional;

  /** NONE: the whole batch, header reserved; compressed: the uncompressed records section. */
  private ByteBuffer out;

  private int recordCount;
  private long lastOffset = -1;
  private long baseTimestamp = NO_TIMESTAMP;
  private long maxTimestamp = NO_TIMESTAMP;
  private boolean built;

  public RecordBatchBuilder(CompressionType compression, long baseOffset) {
    this(compression, baseOffset, DEFAULT_INITIAL_CAPACITY);
  }

  /**
   * @param initialCapacity expected batch size in bytes; buffers start there and grow if needed
   */
  public RecordBatchBuilder(CompressionType compression, long baseOffset, int initialCapacity) {
    this.compression = Objects.requireNonNull(compression, "compression");
    if (baseOffset < 0) {
      throw new IllegalArgumentException("baseOffset must be >= 0, got " + baseOffset);
    }
    if (initialCapacity < 0) {
      throw new IllegalArgumentException("initialCapacity must be >= 0, got " + initialCapacity);
    }
    this.baseOffset = baseOffset;
    if (compression == CompressionType.NONE) {
      out = ByteBuffer.allocate(Math.max(initialCapacity, RECORD_BATCH_OVERHEAD));
      out.position(RECORD_BATCH_OVERHEAD);
    } else {
      out = ByteBuffer.allocate(Math.max(initialCapacity, 64));
    }
  }

  /** Marks the batch idempotent: producer id (>= 0), epoch (>= 0) and first sequence (>= 0). */
  public RecordBatchBuilder producer(long producerId, short epoch, int baseSequence) {
    if (producerId < 0 || epoch < 0 || baseSequence < 0) {
      throw new IllegalArgumentException(
          "producer id, epoch and base sequence must be >= 0, got "
              + producerId
              + ", "
              + epoch
              + ", "
              + baseSequence);
    }
    this.producerId = producerId;
    this.producerEpoch = epoch;
    this.baseSequence = baseSequence;
    return this;
  }

  public RecordBatchBuilder partitionLeaderEpoch(int epoch) {
    this.partitionLeaderEpoch = epoch;
    return this;
  }

  /**
   * CREATE_TIME (default) or LOG_APPEND_TIME; with LOG_APPEND_TIME and no {@link #logAppendTime},
   * maxTimestamp is the largest record timestamp.
   */
  public RecordBatchBuilder timestampType(TimestampType type) {
    this.timestampType = Objects.requireNonNull(type, "timestampType");
    return this;
  }

  /** LOG_APPEND_TIME with this time as maxTimestamp, which every record then reports. */
  public RecordBatchBuilder logAppendTime(long timestamp) {
    if (timestamp < 0) {
      throw new IllegalArgumentException("log append time must be >= 0, got " + timestamp);
    }
    this.timestampType = TimestampType.LOG_APPEND_TIME;
    this.logAppendTime = timestamp;
    return this;
  }

  /** Sets attribute bit 4 (the batch belongs to a transaction); needs {@link #producer}. */
  public RecordBatchBuilder transactional(boolean transactional) {
    this.transactional = transactional;
    return this;
  }

  /**
   * Appends a record at the next offset (baseOffset for the first).
   *
   * @param timestamp milliseconds, >= 0 or -1 (no timestamp)
   * @param key nullable
   * @param value nullable (a tombstone)
   * @param headers nullable or empty for none
   * @return the record's offset
   */
  public long append(long timestamp, byte[] key, byte[] value, List<Header> headers) {
    return appendWithOffset(
        lastOffset < 0 ? baseOffset : lastOffset + 1, timestamp, key, value, headers);
  }

  /**
   * Appends a record at a given offset, which must exceed the previous one (gaps allowed, as in a
   * compacted log) and lie within baseOffset..baseOffset + Integer.MAX_VALUE.
   */
  public long appendWithOffset(
      long offset, long timestamp, byte[] key, byte[] value, List<Header> headers) {
    if (built) {
      throw new IllegalStateException("batch already built");
    }
    if (offset < baseOffset || offset <= lastOffset) {
      throw new IllegalArgumentException(
          "offset "
              + offset
              + " must be >= baseOffset "
              + baseOffset
              + " and > the last offset "
              + lastOffset);
    }
    if (offset - baseOffset > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "offset " + offset + " is too far from baseOffset " + baseOffset + " for an int delta");
    }
    if (timestamp < 0 && timestamp != NO_TIMESTAMP) {
      throw new IllegalArgumentException("timestamp must be >= 0 or -1, got " + timestamp);
    }
    if (headers != null) {
      for (int i = 0; i < headers.size(); i++) {
        if (headers.get(i) == null) {
          // Not requireNonNull(x, "header " + i): that builds the message on every append.
          throw new NullPointerException("header " + i);
        }
      }
    }
    if (recordCount == 0) {
      baseTimestamp = timestamp;
    }
    int offsetDelta = (int) (offset - baseOffset);
    long timestampDelta = timestamp - baseTimestamp;
    int bodySize = RecordFormat.bodySize(timestampDelta, offsetDelta, key, value, headers);
    int size = RecordFormat.sizeInBytes(bodySize);
    long limit =
        compression == CompressionType.NONE
            ? Integer.MAX_VALUE - 64
            : RecordsCompression.MAX_RECORDS_SECTION_BYTES;
    if ((long) out.position() + size > limit) {
      throw new IllegalStateException(
          "batch would exceed " + limit + " bytes of " + compression.name + " records");
    }
    ensureRemaining(size);
    RecordFormat.write(out, bodySize, timestampDelta, offsetDelta, key, value, headers);
    recordCount++;
    lastOffset = offset;
    if (timestamp > maxTimestamp) {
      maxTimestamp = timestamp;
    }
    return offset;
  }

  private void ensureRemaining(int size) {
    if (out.remaining() < size) {
      int capacity =
          (int)
              Math.min(
                  Integer.MAX_VALUE - 8L,
                  Math.max(2L * out.capacity(), (long) out.position() + size));
      ByteBuffer bigger = ByteBuffer.allocate(capacity);
      out.flip();
      bigger.put(out);
      out = bigger;
    }
  }

  public int recordCount() {
    return recordCount;
  }

  /** Bytes of records appended so far, uncompressed. */
  public int uncompressedRecordsSizeInBytes() {
    return compression == CompressionType.NONE
        ? out.position() - RECORD_BATCH_OVERHEAD
        : out.position();
  }

  /**
   * Size of the batch if built now: exact without compression; with compression, the header plus
   * the uncompressed records (an upper bound in practice, since codecs rarely expand record data).
   */
  public int estimatedSizeInBytes() {
    return RECORD_BATCH_OVERHEAD + uncompressedRecordsSizeInBytes();
  }

  public CompressionType compression() {
    return compression;
  }

  public long baseOffset() {
    return baseOffset;
  }

  /**
   * The batch: position 0, limit = its size, CRC written. Call once.
   *
   * @throws IllegalStateException if no record was appended or the batch was already built
   */
  public ByteBuffer build() {
    if (built) {
      throw new IllegalStateException("batch already built");
    }
    if (recordCount == 0) {
      throw new IllegalStateException("cannot build an empty batch: append a record first");
    }
    if (transactional && producerId < 0) {
      throw new IllegalStateException("a transactional batch needs a producer id");
    }
    built = true;
    ByteBuffer batch;
    if (compression == CompressionType.NONE) {
      batch = out;
      batch.flip();
    } else {
      batch = RecordsCompression.compress(compression, out.array(), out.position());
      out = null;
    }
    writeHeader(batch);
    return batch;
  }

  private void writeHeader(ByteBuffer batch) {
    int size = batch.limit();
    int attributes = compression.id;
    attributes = timestampType.applyTo(attributes);
    if (transactional) {
      attributes |= TRANSACTIONAL_FLAG_MASK;
    }
    long max =
        timestampType == TimestampType.LOG_APPEND_TIME && logAppendTime != NO_TIMESTAMP
            ? logAppendTime
            : maxTimestamp;
    batch.putLong(BASE_OFFSET_OFFSET, baseOffset);
    batch.putInt(BATCH_LENGTH_OFFSET, size - LOG_OVERHEAD);
    batch.putInt(PARTITION_LEADER_EPOCH_OFFSET, partitionLeaderEpoch);
    batch.put(MAGIC_OFFSET, MAGIC_V2);
    batch.putShort(ATTRIBUTES_OFFSET, (short) attributes);
    batch.putInt(LAST_OFFSET_DELTA_OFFSET, (int) (lastOffset - baseOffset));
    batch.putLong(BASE_TIMESTAMP_OFFSET, baseTimestamp);
    batch.putLong(MAX_TIMESTAMP_OFFSET, max);
    batch.putLong(PRODUCER_ID_OFFSET, producerId);
    batch.putShort(PRODUCER_EPOCH_OFFSET, producerEpoch);
    batch.putInt(BASE_SEQUENCE_OFFSET, baseSequence);
    batch.putInt(RECORD_COUNT_OFFSET, recordCount);
    writeCrc(batch, 0, size);
  }
}
