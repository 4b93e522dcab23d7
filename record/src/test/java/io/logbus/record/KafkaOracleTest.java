package io.logbus.record;

import static io.logbus.record.KafkaInterop.assertKafkaSees;
import static io.logbus.record.KafkaInterop.assertWeSee;
import static io.logbus.record.KafkaInterop.kafkaBatch;
import static io.logbus.record.KafkaInterop.kafkaReadOne;
import static io.logbus.record.KafkaInterop.kafkaRecords;
import static io.logbus.record.KafkaInterop.ourBatch;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.logbus.record.KafkaInterop.Input;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Kafka's own parser and builder (kafka-clients 4.4) as the oracle: what we write, Kafka reads with
 * equal content; what Kafka writes, we read with equal content; for every codec.
 */
class KafkaOracleTest {
  private static final long PRODUCER_ID = 4711L;
  private static final short PRODUCER_EPOCH = 3;
  private static final int BASE_SEQUENCE = 17;
  private static final int LEADER_EPOCH = 9;

  /**
   * Keys and values null, empty and not; headers none, null-valued, unicode; timestamps out of
   * order.
   */
  static List<Input> mixedRecords() {
    List<Input> inputs = new ArrayList<>();
    inputs.add(
        new Input(1_700_000_000_000L, "k0".getBytes(UTF_8), "v0".getBytes(UTF_8), List.of()));
    inputs.add(new Input(1_700_000_000_005L, null, "value without key".getBytes(UTF_8), List.of()));
    inputs.add(new Input(1_699_999_999_000L, "tombstone".getBytes(UTF_8), null, List.of()));
    inputs.add(new Input(1_700_000_000_001L, null, null, List.of(new Header("only", null))));
    inputs.add(
        new Input(
            1_700_000_000_002L,
            new byte[0],
            new byte[0],
            List.of(
                new Header("trace-id", "abc".getBytes(UTF_8)),
                new Header("schlüssel-ключ-鍵", new byte[] {0, -1, 127}),
                new Header("empty", new byte[0]))));
    inputs.add(new Input(-1L, "no timestamp".getBytes(UTF_8), "x".getBytes(UTF_8), List.of()));
    byte[] big = new byte[3000];
    new Random(1).nextBytes(big);
    inputs.add(new Input(1_700_000_009_999L, big, big, List.of(new Header("big", big))));
    return inputs;
  }

  /** Enough repetitive and random data to span several snappy (32 KiB) and LZ4 (64 KiB) blocks. */
  static List<Input> largeRecords() {
    Random random = new Random(42);
    List<Input> inputs = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      byte[] value = new byte[1024];
      if (i % 3 == 0) {
        random.nextBytes(value); // incompressible: LZ4 stores such blocks raw
      } else {
        java.util.Arrays.fill(value, (byte) ('a' + i % 26));
      }
      inputs.add(new Input(1_000L + i, ("key-" + i).getBytes(UTF_8), value, List.of()));
    }
    return inputs;
  }

  @ParameterizedTest
  @EnumSource(CompressionType.class)
  void kafkaReadsOurBatchWithEqualContentAndHeaderFields(CompressionType codec) {
    List<Input> inputs = mixedRecords();
    ByteBuffer batch =
        ourBatch(
            new RecordBatchBuilder(codec, 1000L)
                .producer(PRODUCER_ID, PRODUCER_EPOCH, BASE_SEQUENCE)
                .partitionLeaderEpoch(LEADER_EPOCH),
            inputs);

    MutableRecordBatch kafka = kafkaReadOne(batch);
    assertThat(kafka.magic()).isEqualTo((byte) 2);
    assertThat(kafka.compressionType().id).isEqualTo((byte) codec.id);
    assertThat(kafka.baseOffset()).isEqualTo(1000L);
    assertThat(kafka.lastOffset()).isEqualTo(1000L + inputs.size() - 1);
    assertThat(kafka.countOrNull()).isEqualTo(inputs.size());
    assertThat(kafka.producerId()).isEqualTo(PRODUCER_ID);
    assertThat(kafka.producerEpoch()).isEqualTo(PRODUCER_EPOCH);
    assertThat(kafka.baseSequence()).isEqualTo(BASE_SEQUENCE);
    assertThat(kafka.lastSequence()).isEqualTo(BASE_SEQUENCE + inputs.size() - 1);
    assertThat(kafka.partitionLeaderEpoch()).isEqualTo(LEADER_EPOCH);
    assertThat(kafka.maxTimestamp()).isEqualTo(1_700_000_009_999L);
    assertThat(kafka.timestampType())
        .isEqualTo(org.apache.kafka.common.record.TimestampType.CREATE_TIME);
    assertThat(kafka.isTransactional()).isFalse();
    assertThat(kafka.sizeInBytes()).isEqualTo(batch.remaining());
    assertKafkaSees(batch, 1000L, inputs);
  }

  @ParameterizedTest
  @EnumSource(CompressionType.class)
  void weReadKafkasBatchWithEqualContentAndValidCrc(CompressionType codec) {
    List<Input> inputs = mixedRecords();
    ByteBuffer kafkaBytes =
        kafkaBatch(codec, 77L, PRODUCER_ID, PRODUCER_EPOCH, BASE_SEQUENCE, LEADER_EPOCH, inputs);

    List<io.logbus.record.RecordBatch> batches = RecordBatches.validate(kafkaBytes);
    assertThat(batches).hasSize(1);
    io.logbus.record.RecordBatch ours = batches.get(0);
    assertThat(ours.isValid()).isTrue();
    assertThat(ours.checksum()).isEqualTo(ours.computeChecksum());
    assertThat(ours.compression()).isEqualTo(codec);
    assertThat(ours.baseOffset()).isEqualTo(77L);
    assertThat(ours.lastOffset()).isEqualTo(77L + inputs.size() - 1);
    assertThat(ours.recordCount()).isEqualTo(inputs.size());
    assertThat(ours.producerId()).isEqualTo(PRODUCER_ID);
    assertThat(ours.hasProducerId()).isTrue();
    assertThat(ours.producerEpoch()).isEqualTo(PRODUCER_EPOCH);
    assertThat(ours.baseSequence()).isEqualTo(BASE_SEQUENCE);
    assertThat(ours.lastSequence()).isEqualTo(BASE_SEQUENCE + inputs.size() - 1);
    assertThat(ours.partitionLeaderEpoch()).isEqualTo(LEADER_EPOCH);
    assertThat(ours.maxTimestamp()).isEqualTo(1_700_000_009_999L);
    assertThat(ours.timestampType()).isEqualTo(TimestampType.CREATE_TIME);
    assertThat(ours.sizeInBytes()).isEqualTo(kafkaBytes.remaining());
    assertWeSee(ours, 77L, inputs);
  }

  @ParameterizedTest
  @EnumSource(CompressionType.class)
  void largeMultiBlockBatchesCrossInBothDirections(CompressionType codec) {
    List<Input> inputs = largeRecords();
    ByteBuffer ours = ourBatch(new RecordBatchBuilder(codec, 0L, 16 * 1024), inputs);
    assertKafkaSees(ours, 0L, inputs);

    ByteBuffer kafkas = kafkaBatch(codec, 5L, -1L, (short) -1, -1, -1, inputs);
    assertWeSee(new io.logbus.record.RecordBatch(kafkas), 5L, inputs);
  }

  @ParameterizedTest
  @EnumSource(CompressionType.class)
  void kafkaSeesLogAppendTimeOnEveryRecord(CompressionType codec) {
    List<Input> inputs = mixedRecords();
    ByteBuffer batch = ourBatch(new RecordBatchBuilder(codec, 0L).logAppendTime(123_456L), inputs);

    MutableRecordBatch kafka = kafkaReadOne(batch);
    assertThat(kafka.timestampType())
        .isEqualTo(org.apache.kafka.common.record.TimestampType.LOG_APPEND_TIME);
    assertThat(kafka.maxTimestamp()).isEqualTo(123_456L);
    assertThat(kafkaRecords(batch)).allSatisfy(r -> assertThat(r.timestamp()).isEqualTo(123_456L));
    assertThat(new io.logbus.record.RecordBatch(batch).records())
        .allSatisfy(r -> assertThat(r.timestamp()).isEqualTo(123_456L));
  }

  @ParameterizedTest
  @EnumSource(CompressionType.class)
  void offsetGapsFromAppendWithOffsetSurviveInBothReaders(CompressionType codec) {
    RecordBatchBuilder builder = new RecordBatchBuilder(codec, 100L);
    builder.appendWithOffset(100L, 1L, "a".getBytes(UTF_8), "1".getBytes(UTF_8), null);
    builder.appendWithOffset(103L, 2L, "b".getBytes(UTF_8), "2".getBytes(UTF_8), null);
    builder.appendWithOffset(110L, 3L, "c".getBytes(UTF_8), null, null);
    ByteBuffer batch = builder.build();

    assertThat(kafkaRecords(batch))
        .extracting(org.apache.kafka.common.record.internal.Record::offset)
        .containsExactly(100L, 103L, 110L);
    assertThat(kafkaReadOne(batch).lastOffset()).isEqualTo(110L);
    io.logbus.record.RecordBatch ours = new io.logbus.record.RecordBatch(batch);
    assertThat(ours.records()).extracting(Record::offset).containsExactly(100L, 103L, 110L);
    assertThat(ours.lastOffset()).isEqualTo(110L);
    assertThat(ours.recordCount()).isEqualTo(3);
  }

  @ParameterizedTest
  @EnumSource(
      value = CompressionType.class,
      names = {"NONE", "SNAPPY"})
  void deterministicCodecsProduceKafkasExactBytes(CompressionType codec) {
    // NONE has one encoding; snappy-java's framing with 32 KiB blocks is deterministic too. The
    // other codecs are byte-compatible for reading but Kafka uses other levels and stream framing.
    List<Input> inputs = largeRecords();
    ByteBuffer ours =
        ourBatch(
            new RecordBatchBuilder(codec, 5L)
                .producer(PRODUCER_ID, PRODUCER_EPOCH, BASE_SEQUENCE)
                .partitionLeaderEpoch(LEADER_EPOCH),
            inputs);
    ByteBuffer kafkas =
        kafkaBatch(codec, 5L, PRODUCER_ID, PRODUCER_EPOCH, BASE_SEQUENCE, LEADER_EPOCH, inputs);
    assertThat(KafkaInterop.bytes(ours)).isEqualTo(KafkaInterop.bytes(kafkas));
  }
}
