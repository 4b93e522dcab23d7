package io.logbus.record;

import static io.logbus.record.KafkaInterop.kafkaReadOne;
import static io.logbus.record.KafkaInterop.kafkaRecords;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.List;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class RecordBatchTest {

  static ByteBuffer sampleBatch(CompressionType codec) {
    RecordBatchBuilder builder = new RecordBatchBuilder(codec, 0L).producer(1L, (short) 0, 0);
    builder.append(10L, "k1".getBytes(UTF_8), "v1".getBytes(UTF_8), null);
    builder.append(20L, null, "v2".getBytes(UTF_8), List.of(new Header("h", "x".getBytes(UTF_8))));
    builder.append(15L, "k3".getBytes(UTF_8), null, null);
    return builder.build();
  }

  @ParameterizedTest
  @EnumSource(CompressionType.class)
  void setBaseOffsetAndLeaderEpochKeepCrcValidAndKafkaSeesThem(CompressionType codec) {
    ByteBuffer bytes = sampleBatch(codec);
    RecordBatch batch = new RecordBatch(bytes);
    long crcBefore = batch.checksum();

    batch.setBaseOffset(1_000_000L);
    batch.setPartitionLeaderEpoch(42);

    assertThat(batch.checksum()).isEqualTo(crcBefore);
    batch.ensureValid();
    assertThat(batch.baseOffset()).isEqualTo(1_000_000L);
    assertThat(batch.lastOffset()).isEqualTo(1_000_002L);
    assertThat(batch.partitionLeaderEpoch()).isEqualTo(42);
    assertThat(batch.records())
        .extracting(Record::offset)
        .containsExactly(1_000_000L, 1_000_001L, 1_000_002L);
    // The flyweight wrote into the caller's bytes, which Kafka now reads with the new offsets.
    MutableRecordBatch kafka = kafkaReadOne(bytes);
    assertThat(kafka.baseOffset()).isEqualTo(1_000_000L);
    assertThat(kafka.partitionLeaderEpoch()).isEqualTo(42);
    assertThat(kafkaRecords(bytes))
        .extracting(org.apache.kafka.common.record.internal.Record::offset)
        .containsExactly(1_000_000L, 1_000_001L, 1_000_002L);
  }

  @Test
  void flippingAnyCrcCoveredByteFailsEnsureValid() {
    ByteBuffer bytes = sampleBatch(CompressionType.NONE);
    int size = bytes.remaining();
    for (int i = RecordBatchFormat.CRC_COVERED_OFFSET; i < size; i++) {
      ByteBuffer copy = copyOf(bytes);
      copy.put(i, (byte) (copy.get(i) ^ 0x01));
      RecordBatch batch = new RecordBatch(copy);
      int position = i;
      assertThat(batch.isValid()).as("byte %d flipped", position).isFalse();
      assertThatThrownBy(batch::ensureValid)
          .as("byte %d flipped", position)
          .isInstanceOf(CorruptRecordException.class)
          .hasMessageContaining("CRC-32C over bytes 21.." + size)
          .hasMessageContaining(String.format("0x%08x", batch.checksum()));
    }
  }

  @Test
  void flippingTheStoredCrcFailsEnsureValid() {
    ByteBuffer bytes = sampleBatch(CompressionType.GZIP);
    bytes.put(RecordBatchFormat.CRC_OFFSET, (byte) (bytes.get(RecordBatchFormat.CRC_OFFSET) ^ 4));
    assertThatThrownBy(new RecordBatch(bytes)::ensureValid)
        .isInstanceOf(CorruptRecordException.class);
  }

  @Test
  void bytesOutsideTheCrcRangeDoNotAffectIt() {
    // baseOffset and partitionLeaderEpoch: the fields the broker stamps.
    ByteBuffer bytes = sampleBatch(CompressionType.NONE);
    for (int i = 0; i < RecordBatchFormat.BATCH_LENGTH_OFFSET; i++) {
      bytes.put(i, (byte) 0x5a);
    }
    for (int i = RecordBatchFormat.PARTITION_LEADER_EPOCH_OFFSET;
        i < RecordBatchFormat.MAGIC_OFFSET;
        i++) {
      bytes.put(i, (byte) 0x5a);
    }
    new RecordBatch(bytes).ensureValid();
  }

  @ParameterizedTest
  @EnumSource(CompressionType.class)
  void setLogAppendTimeRecomputesCrcAndEveryRecordReportsIt(CompressionType codec) {
    ByteBuffer bytes = sampleBatch(codec);
    RecordBatch batch = new RecordBatch(bytes);

    batch.setLogAppendTime(999L);

    batch.ensureValid();
    assertThat(batch.timestampType()).isEqualTo(TimestampType.LOG_APPEND_TIME);
    assertThat(batch.compression()).isEqualTo(codec);
    assertThat(batch.maxTimestamp()).isEqualTo(999L);
    assertThat(batch.records()).extracting(Record::timestamp).containsOnly(999L);
    assertThat(kafkaRecords(bytes))
        .extracting(org.apache.kafka.common.record.internal.Record::timestamp)
        .containsOnly(999L);
  }

  @Test
  void accessorsReportTheHeaderFields() {
    RecordBatchBuilder builder =
        new RecordBatchBuilder(CompressionType.LZ4, 500L)
            .producer(77L, (short) 5, Integer.MAX_VALUE - 1)
            .partitionLeaderEpoch(3)
            .transactional(true);
    builder.append(100L, null, "a".getBytes(UTF_8), null);
    builder.append(300L, null, "b".getBytes(UTF_8), null);
    builder.append(200L, null, "c".getBytes(UTF_8), null);
    RecordBatch batch = new RecordBatch(builder.build());

    assertThat(batch.magic()).isEqualTo((byte) 2);
    assertThat(batch.baseOffset()).isEqualTo(500L);
    assertThat(batch.lastOffsetDelta()).isEqualTo(2);
    assertThat(batch.nextOffset()).isEqualTo(503L);
    assertThat(batch.batchLength()).isEqualTo(batch.sizeInBytes() - 12);
    assertThat(batch.baseTimestamp()).isEqualTo(100L);
    assertThat(batch.maxTimestamp()).isEqualTo(300L);
    assertThat(batch.producerId()).isEqualTo(77L);
    assertThat(batch.producerEpoch()).isEqualTo((short) 5);
    assertThat(batch.baseSequence()).isEqualTo(Integer.MAX_VALUE - 1);
    // Sequences wrap past Integer.MAX_VALUE to 0, as Kafka's producer does.
    assertThat(batch.lastSequence()).isEqualTo(0);
    assertThat(batch.isTransactional()).isTrue();
    assertThat(batch.isControlBatch()).isFalse();
    assertThat(batch.compression()).isEqualTo(CompressionType.LZ4);
    assertThat(batch.attributes() & 0x07).isEqualTo(3);
    assertThat(batch.toString()).contains("baseOffset=500", "records=3");
    assertThat(kafkaReadOne(batch.buffer()).lastSequence()).isEqualTo(0);
    assertThat(kafkaReadOne(batch.buffer()).isTransactional()).isTrue();
  }

  @Test
  void batchWithoutProducerHasNoSequence() {
    RecordBatchBuilder builder = new RecordBatchBuilder(CompressionType.NONE, 0L);
    builder.append(1L, null, "v".getBytes(UTF_8), null);
    RecordBatch batch = new RecordBatch(builder.build());
    assertThat(batch.hasProducerId()).isFalse();
    assertThat(batch.producerId()).isEqualTo(-1L);
    assertThat(batch.baseSequence()).isEqualTo(-1);
    assertThat(batch.lastSequence()).isEqualTo(-1);
    assertThat(batch.partitionLeaderEpoch()).isEqualTo(-1);
  }

  @Test
  void bufferIsAnIndependentViewOfTheSameBytes() {
    RecordBatch batch = new RecordBatch(sampleBatch(CompressionType.NONE));
    ByteBuffer view = batch.buffer();
    view.position(20).limit(30);
    assertThat(batch.buffer().position()).isZero();
    assertThat(batch.buffer().limit()).isEqualTo(batch.sizeInBytes());
    batch.setBaseOffset(5L);
    assertThat(view.getLong(0)).isEqualTo(5L);
  }

  @Test
  void constructorLeavesCallersPositionAndWrapsFromIt() {
    ByteBuffer bytes = sampleBatch(CompressionType.NONE);
    ByteBuffer padded = ByteBuffer.allocate(bytes.remaining() + 7);
    padded.position(7);
    padded.put(bytes.duplicate());
    padded.position(7);
    RecordBatch batch = new RecordBatch(padded);
    assertThat(padded.position()).isEqualTo(7);
    assertThat(batch.records()).hasSize(3);
  }

  @Test
  void rejectsBufferShorterThanLogOverhead() {
    assertThatThrownBy(() -> new RecordBatch(ByteBuffer.allocate(11)))
        .isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("truncated batch at position 0")
        .hasMessageContaining("11 bytes left, expected at least 12");
  }

  @Test
  void rejectsTruncatedBatch() {
    ByteBuffer bytes = sampleBatch(CompressionType.NONE);
    int size = bytes.remaining();
    bytes.limit(size - 1);
    assertThatThrownBy(() -> new RecordBatch(bytes))
        .isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("truncated batch at position 0")
        .hasMessageContaining("batchLength " + (size - 12) + " needs " + size)
        .hasMessageContaining("only " + (size - 1) + " left");
  }

  @Test
  void rejectsTrailingBytesAfterTheBatch() {
    ByteBuffer bytes = sampleBatch(CompressionType.NONE);
    ByteBuffer longer = ByteBuffer.allocate(bytes.remaining() + 3);
    longer.put(bytes.duplicate()).flip();
    longer.limit(longer.capacity());
    assertThatThrownBy(() -> new RecordBatch(longer))
        .isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("gives a size of " + bytes.remaining())
        .hasMessageContaining("buffer holds " + longer.remaining());
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 3, -2, 127})
  void rejectsMagicOtherThanTwo(int magic) {
    ByteBuffer bytes = sampleBatch(CompressionType.NONE);
    bytes.put(RecordBatchFormat.MAGIC_OFFSET, (byte) magic);
    assertThatThrownBy(() -> new RecordBatch(bytes))
        .isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("magic " + magic + ", expected 2");
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, Integer.MIN_VALUE, 0, 48})
  void rejectsBatchLengthBelowTheHeaderSize(int batchLength) {
    ByteBuffer bytes = sampleBatch(CompressionType.NONE);
    bytes.putInt(RecordBatchFormat.BATCH_LENGTH_OFFSET, batchLength);
    assertThatThrownBy(() -> new RecordBatch(bytes))
        .isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("batchLength " + batchLength + " is smaller than the minimum 49");
  }

  @Test
  void rejectsBatchLengthBeyondTheBuffer() {
    ByteBuffer bytes = sampleBatch(CompressionType.NONE);
    bytes.putInt(RecordBatchFormat.BATCH_LENGTH_OFFSET, Integer.MAX_VALUE);
    assertThatThrownBy(() -> new RecordBatch(bytes))
        .isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("batchLength 2147483647 needs 2147483659 bytes");
  }

  @Test
  void unknownCodecWithValidCrcIsInvalidButNotCorrupt() {
    ByteBuffer bytes = sampleBatch(CompressionType.NONE);
    bytes.putShort(RecordBatchFormat.ATTRIBUTES_OFFSET, (short) 6);
    RecordBatchFormat.writeCrc(bytes, 0, bytes.remaining());
    RecordBatch batch = new RecordBatch(bytes);
    assertThat(batch.isValid()).isFalse();
    assertThatThrownBy(batch::ensureValid)
        .isInstanceOf(InvalidRecordException.class)
        .isNotInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("unknown compression type id 6");
    assertThatThrownBy(() -> batch.records().iterator()).isInstanceOf(InvalidRecordException.class);
  }

  static ByteBuffer copyOf(ByteBuffer bytes) {
    ByteBuffer copy = ByteBuffer.allocate(bytes.remaining());
    copy.put(bytes.duplicate()).flip();
    return copy;
  }
}
