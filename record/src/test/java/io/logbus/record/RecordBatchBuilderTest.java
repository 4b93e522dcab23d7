package io.logbus.record;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RecordBatchBuilderTest {
  private static final byte[] V = "v".getBytes(UTF_8);

  @Test
  void estimatedSizeIsExactWithoutCompression() {
    RecordBatchBuilder builder = new RecordBatchBuilder(CompressionType.NONE, 0L, 0);
    assertThat(builder.estimatedSizeInBytes()).isEqualTo(61);
    for (int i = 0; i < 50; i++) {
      builder.append(i, ("key" + i).getBytes(UTF_8), new byte[i * 10], null);
    }
    int estimate = builder.estimatedSizeInBytes();
    ByteBuffer batch = builder.build();
    assertThat(batch.position()).isZero();
    assertThat(batch.limit()).isEqualTo(estimate);
    assertThat(builder.recordCount()).isEqualTo(50);
  }

  @ParameterizedTest
  @EnumSource(CompressionType.class)
  void growsFromATinyInitialCapacity(CompressionType codec) {
    RecordBatchBuilder builder = new RecordBatchBuilder(codec, 0L, 1);
    for (int i = 0; i < 200; i++) {
      builder.append(i, null, new byte[100 + i], null);
    }
    RecordBatch batch = new RecordBatch(builder.build());
    batch.ensureValid();
    assertThat(batch.records()).hasSize(200);
    assertThat(KafkaInterop.kafkaRecords(batch.buffer())).hasSize(200);
  }

  @Test
  void compressedEstimateIsTheUncompressedSize() {
    RecordBatchBuilder builder = new RecordBatchBuilder(CompressionType.ZSTD, 0L);
    builder.append(1L, null, new byte[10_000], null);
    assertThat(builder.uncompressedRecordsSizeInBytes()).isGreaterThan(10_000);
    assertThat(builder.estimatedSizeInBytes())
        .isEqualTo(61 + builder.uncompressedRecordsSizeInBytes());
    assertThat(builder.build().remaining()).isLessThan(200);
  }

  @Test
  void appendReturnsConsecutiveOffsets() {
    RecordBatchBuilder builder = new RecordBatchBuilder(CompressionType.NONE, 10L);
    assertThat(builder.append(1L, null, V, null)).isEqualTo(10L);
    assertThat(builder.append(1L, null, V, null)).isEqualTo(11L);
    assertThat(builder.appendWithOffset(20L, 1L, null, V, null)).isEqualTo(20L);
    assertThat(builder.append(1L, null, V, null)).isEqualTo(21L);
    assertThat(new RecordBatch(builder.build()).lastOffsetDelta()).isEqualTo(11);
  }

  @Test
  void baseTimestampIsTheFirstAndMaxTheLargest() {
    RecordBatchBuilder builder = new RecordBatchBuilder(CompressionType.NONE, 0L);
    builder.append(500L, null, V, null);
    builder.append(100L, null, V, null);
    builder.append(900L, null, V, null);
    RecordBatch batch = new RecordBatch(builder.build());
    assertThat(batch.baseTimestamp()).isEqualTo(500L);
    assertThat(batch.maxTimestamp()).isEqualTo(900L);
    assertThat(batch.records()).extracting(Record::timestamp).containsExactly(500L, 100L, 900L);
  }

  @Test
  void logAppendTimeWithoutAnExplicitTimeUsesTheLargestTimestamp() {
    RecordBatchBuilder builder =
        new RecordBatchBuilder(CompressionType.NONE, 0L)
            .timestampType(TimestampType.LOG_APPEND_TIME);
    builder.append(5L, null, V, null);
    builder.append(8L, null, V, null);
    RecordBatch batch = new RecordBatch(builder.build());
    assertThat(batch.timestampType()).isEqualTo(TimestampType.LOG_APPEND_TIME);
    assertThat(batch.records()).extracting(Record::timestamp).containsOnly(8L);
  }

  @Test
  void rejectsBadConstructorArguments() {
    assertThatThrownBy(() -> new RecordBatchBuilder(null, 0L))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> new RecordBatchBuilder(CompressionType.NONE, -1L))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("baseOffset must be >= 0, got -1");
    assertThatThrownBy(() -> new RecordBatchBuilder(CompressionType.NONE, 0L, -5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("initialCapacity");
  }

  @Test
  void rejectsBadProducerFields() {
    RecordBatchBuilder builder = new RecordBatchBuilder(CompressionType.NONE, 0L);
    assertThatThrownBy(() -> builder.producer(-1L, (short) 0, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.producer(1L, (short) -1, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.producer(1L, (short) 0, -1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.timestampType(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> builder.logAppendTime(-1L))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rejectsTimestampsBelowMinusOne() {
    RecordBatchBuilder builder = new RecordBatchBuilder(CompressionType.NONE, 0L);
    assertThatThrownBy(() -> builder.append(-2L, null, V, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("timestamp must be >= 0 or -1, got -2");
    assertThat(builder.recordCount()).isZero();
  }

  @Test
  void rejectsOffsetsThatDoNotIncrease() {
    RecordBatchBuilder builder = new RecordBatchBuilder(CompressionType.NONE, 10L);
    assertThatThrownBy(() -> builder.appendWithOffset(9L, 1L, null, V, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("offset 9 must be >= baseOffset 10");
    builder.appendWithOffset(12L, 1L, null, V, null);
    assertThatThrownBy(() -> builder.appendWithOffset(12L, 1L, null, V, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("> the last offset 12");
  }

  @Test
  void rejectsAnOffsetDeltaBeyondAnInt() {
    RecordBatchBuilder builder = new RecordBatchBuilder(CompressionType.NONE, 0L);
    assertThatThrownBy(() -> builder.appendWithOffset(1L << 31, 1L, null, V, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("too far from baseOffset");
    assertThat(builder.appendWithOffset(Integer.MAX_VALUE, 1L, null, V, null))
        .isEqualTo(Integer.MAX_VALUE);
  }

  @Test
  void rejectsANullHeader() {
    RecordBatchBuilder builder = new RecordBatchBuilder(CompressionType.NONE, 0L);
    assertThatThrownBy(() -> builder.append(1L, null, V, Arrays.asList((Header) null)))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("header 0");
    assertThatThrownBy(() -> new Header(null, V)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void rejectsEmptyAndRepeatedBuilds() {
    RecordBatchBuilder builder = new RecordBatchBuilder(CompressionType.GZIP, 0L);
    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("empty batch");
    builder.append(1L, null, V, List.of());
    builder.build();
    assertThatThrownBy(builder::build).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> builder.append(1L, null, V, null))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already built");
  }

  @Test
  void rejectsATransactionalBatchWithoutProducer() {
    RecordBatchBuilder builder =
        new RecordBatchBuilder(CompressionType.NONE, 0L).transactional(true);
    builder.append(1L, null, V, null);
    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("producer id");
  }
}
