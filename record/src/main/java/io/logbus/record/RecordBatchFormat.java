package io.logbus.record;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The record batch header: Kafka's RecordBatch v2 (magic 2), byte for byte. All integers are big
 * endian; {@code u32} is read into a long.
 *
 * <pre>
 * byte len  field                           in CRC-32C?
 *           +------------------------------+
 *    0    8 | baseOffset           i64     | no: stamped by the leader on append
 *           +------------------------------+
 *    8    4 | batchLength          i32     | no: read first, to find the end
 *           +------------------------------+
 *   12    4 | partitionLeaderEpoch i32     | no: stamped by the leader on append
 *           +------------------------------+
 *   16    1 | magic (= 2)          i8      | no: read first, selects the format
 *           +------------------------------+
 *   17    4 | crc                  u32     | no: the checksum itself
 *           +------------------------------+
 *   21    2 | attributes           i16     | yes  &lt;- CRC-covered range starts
 *           +------------------------------+
 *   23    4 | lastOffsetDelta      i32     | yes
 *           +------------------------------+
 *   27    8 | baseTimestamp        i64     | yes
 *           +------------------------------+
 *   35    8 | maxTimestamp         i64     | yes
 *           +------------------------------+
 *   43    8 | producerId           i64     | yes
 *           +------------------------------+
 *   51    2 | producerEpoch        i16     | yes
 *           +------------------------------+
 *   53    4 | baseSequence         i32     | yes
 *           +------------------------------+
 *   57    4 | recordCount          i32     | yes
 *           +------------------------------+
 *   61    n | records section: varint      | yes
 *           | records, maybe compressed    |
 *           +------------------------------+  &lt;- end = 12 + batchLength
 *
 * LOG_OVERHEAD = 12 (baseOffset, batchLength); RECORD_BATCH_OVERHEAD = 61 (the header).
 * </pre>
 *
 * <p>Attributes (i16): bits 0-2 {@link CompressionType}, bit 3 {@link TimestampType}, bit 4
 * transactional, bit 5 control batch, bit 6 delete horizon set (baseTimestamp is then the delete
 * horizon, written by compaction), bits 7-15 unused (0).
 *
 * <p><b>What the CRC covers and why.</b> The CRC-32C (Castagnoli) at byte 17 is computed over bytes
 * 21 (attributes) to the end of the batch. baseOffset, batchLength, partitionLeaderEpoch and magic
 * (bytes 0-16) and the CRC itself lie before it on purpose: the producer cannot know the offsets
 * and leader epoch the leader will assign, so the broker stamps baseOffset and partitionLeaderEpoch
 * in place on append without recomputing the CRC, and the checksum written by the producer travels
 * unchanged to disk, to followers and to consumers (end-to-end integrity). batchLength and magic
 * are read before the CRC can be checked at all (to find the batch's end and the format version),
 * so they are sanity-checked separately. Setting LOG_APPEND_TIME changes attributes and
 * maxTimestamp, which are covered, so that one rewrite does recompute the CRC.
 *
 * <p>Offsets of records are {@code baseOffset + offsetDelta}; lastOffsetDelta lets a reader find
 * the last offset without decompressing. A batch with producerId -1 is not idempotent; baseSequence
 * is then -1. The records section layout is drawn in {@link RecordFormat}.
 *
 * <p>Static accessors read and write at absolute positions ({@code batchStart} is the index of the
 * batch's first byte in {@code buffer}) and never move the buffer's position. They assume the
 * buffer is big endian (the default for every buffer; {@link RecordBatch} enforces it).
 */
public final class RecordBatchFormat {
  private RecordBatchFormat() {}

  public static final byte MAGIC_V2 = 2;

  public static final int BASE_OFFSET_OFFSET = 0;
  public static final int BASE_OFFSET_LENGTH = 8;
  public static final int BATCH_LENGTH_OFFSET = BASE_OFFSET_OFFSET + BASE_OFFSET_LENGTH;
  public static final int BATCH_LENGTH_LENGTH = 4;
  public static final int PARTITION_LEADER_EPOCH_OFFSET = BATCH_LENGTH_OFFSET + BATCH_LENGTH_LENGTH;
  public static final int PARTITION_LEADER_EPOCH_LENGTH = 4;
  public static final int MAGIC_OFFSET =
      PARTITION_LEADER_EPOCH_OFFSET + PARTITION_LEADER_EPOCH_LENGTH;
  public static final int MAGIC_LENGTH = 1;
  public static final int CRC_OFFSET = MAGIC_OFFSET + MAGIC_LENGTH;
  public static final int CRC_LENGTH = 4;
  public static final int ATTRIBUTES_OFFSET = CRC_OFFSET + CRC_LENGTH;
  public static final int ATTRIBUTES_LENGTH = 2;
  public static final int LAST_OFFSET_DELTA_OFFSET = ATTRIBUTES_OFFSET + ATTRIBUTES_LENGTH;
  public static final int LAST_OFFSET_DELTA_LENGTH = 4;
  public static final int BASE_TIMESTAMP_OFFSET =
      LAST_OFFSET_DELTA_OFFSET + LAST_OFFSET_DELTA_LENGTH;
  public static final int BASE_TIMESTAMP_LENGTH = 8;
  public static final int MAX_TIMESTAMP_OFFSET = BASE_TIMESTAMP_OFFSET + BASE_TIMESTAMP_LENGTH;
  public static final int MAX_TIMESTAMP_LENGTH = 8;
  public static final int PRODUCER_ID_OFFSET = MAX_TIMESTAMP_OFFSET + MAX_TIMESTAMP_LENGTH;
  public static final int PRODUCER_ID_LENGTH = 8;
  public static final int PRODUCER_EPOCH_OFFSET = PRODUCER_ID_OFFSET + PRODUCER_ID_LENGTH;
  public static final int PRODUCER_EPOCH_LENGTH = 2;
  public static final int BASE_SEQUENCE_OFFSET = PRODUCER_EPOCH_OFFSET + PRODUCER_EPOCH_LENGTH;
  public static final int BASE_SEQUENCE_LENGTH = 4;
  public static final int RECORD_COUNT_OFFSET = BASE_SEQUENCE_OFFSET + BASE_SEQUENCE_LENGTH;
  public static final int RECORD_COUNT_LENGTH = 4;
  public static final int RECORDS_OFFSET = RECORD_COUNT_OFFSET + RECORD_COUNT_LENGTH;

  /** baseOffset + batchLength: the bytes not counted in batchLength. */
  public static final int LOG_OVERHEAD = BATCH_LENGTH_OFFSET + BATCH_LENGTH_LENGTH;

  /** The header size: a batch is at least this long (an empty records section). */
  public static final int RECORD_BATCH_OVERHEAD = RECORDS_OFFSET;

  /** Bytes to read from a batch's start to learn its size and format version. */
  public static final int HEADER_SIZE_UP_TO_MAGIC = MAGIC_OFFSET + MAGIC_LENGTH;

  /** The smallest legal batchLength value. */
  public static final int MIN_BATCH_LENGTH = RECORD_BATCH_OVERHEAD - LOG_OVERHEAD;

  /** First byte covered by the CRC. */
  public static final int CRC_COVERED_OFFSET = ATTRIBUTES_OFFSET;

  public static final int TRANSACTIONAL_FLAG_MASK = 0x10;
  public static final int CONTROL_FLAG_MASK = 0x20;
  public static final int DELETE_HORIZON_FLAG_MASK = 0x40;

  public static final long NO_PRODUCER_ID = -1L;
  public static final short NO_PRODUCER_EPOCH = -1;
  public static final int NO_SEQUENCE = -1;
  public static final int NO_PARTITION_LEADER_EPOCH = -1;
  public static final long NO_TIMESTAMP = -1L;

  // Static accessors (absolute, big endian, position untouched).

  public static long baseOffset(ByteBuffer buffer, int batchStart) {
    return buffer.getLong(batchStart + BASE_OFFSET_OFFSET);
  }

  public static void setBaseOffset(ByteBuffer buffer, int batchStart, long baseOffset) {
    buffer.putLong(batchStart + BASE_OFFSET_OFFSET, baseOffset);
  }

  public static int batchLength(ByteBuffer buffer, int batchStart) {
    return buffer.getInt(batchStart + BATCH_LENGTH_OFFSET);
  }

  /** Total size of the batch starting at {@code batchStart}: batchLength + LOG_OVERHEAD. */
  public static long sizeInBytes(ByteBuffer buffer, int batchStart) {
    return (long) batchLength(buffer, batchStart) + LOG_OVERHEAD;
  }

  public static int partitionLeaderEpoch(ByteBuffer buffer, int batchStart) {
    return buffer.getInt(batchStart + PARTITION_LEADER_EPOCH_OFFSET);
  }

  public static void setPartitionLeaderEpoch(ByteBuffer buffer, int batchStart, int epoch) {
    buffer.putInt(batchStart + PARTITION_LEADER_EPOCH_OFFSET, epoch);
  }

  public static byte magic(ByteBuffer buffer, int batchStart) {
    return buffer.get(batchStart + MAGIC_OFFSET);
  }

  public static long crc(ByteBuffer buffer, int batchStart) {
    return Integer.toUnsignedLong(buffer.getInt(batchStart + CRC_OFFSET));
  }

  public static short attributes(ByteBuffer buffer, int batchStart) {
    return buffer.getShort(batchStart + ATTRIBUTES_OFFSET);
  }

  public static int lastOffsetDelta(ByteBuffer buffer, int batchStart) {
    return buffer.getInt(batchStart + LAST_OFFSET_DELTA_OFFSET);
  }

  public static long baseTimestamp(ByteBuffer buffer, int batchStart) {
    return buffer.getLong(batchStart + BASE_TIMESTAMP_OFFSET);
  }

  public static long maxTimestamp(ByteBuffer buffer, int batchStart) {
    return buffer.getLong(batchStart + MAX_TIMESTAMP_OFFSET);
  }

  public static long producerId(ByteBuffer buffer, int batchStart) {
    return buffer.getLong(batchStart + PRODUCER_ID_OFFSET);
  }

  public static short producerEpoch(ByteBuffer buffer, int batchStart) {
    return buffer.getShort(batchStart + PRODUCER_EPOCH_OFFSET);
  }

  public static int baseSequence(ByteBuffer buffer, int batchStart) {
    return buffer.getInt(batchStart + BASE_SEQUENCE_OFFSET);
  }

  public static int recordCount(ByteBuffer buffer, int batchStart) {
    return buffer.getInt(batchStart + RECORD_COUNT_OFFSET);
  }

  /** CRC-32C of bytes [batchStart + 21, batchStart + sizeInBytes): what the crc field must hold. */
  public static long computeCrc(ByteBuffer buffer, int batchStart, int sizeInBytes) {
    ByteBuffer covered = buffer.duplicate();
    covered.limit(batchStart + sizeInBytes).position(batchStart + CRC_COVERED_OFFSET);
    CRC32C crc = new CRC32C();
    crc.update(covered);
    return crc.getValue();
  }

  /** Computes and writes the crc field of a batch whose other bytes are final. */
  public static void writeCrc(ByteBuffer buffer, int batchStart, int sizeInBytes) {
    buffer.putInt(batchStart + CRC_OFFSET, (int) computeCrc(buffer, batchStart, sizeInBytes));
  }

  /**
   * Sequence number {@code increment} after {@code sequence}, wrapping from Integer.MAX_VALUE to 0
   * as Kafka's producer does.
   */
  public static int incrementSequence(int sequence, int increment) {
    if (sequence > Integer.MAX_VALUE - increment) {
      return increment - (Integer.MAX_VALUE - sequence) - 1;
    }
    return sequence + increment;
  }
}
