package io.logbus.record;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeaderAndRecordTest {

  @Test
  void headersCompareByKeyAndValueContent() {
    Header a = new Header("k", new byte[] {1, 2});
    assertThat(a).isEqualTo(new Header("k", new byte[] {1, 2}));
    assertThat(a.hashCode()).isEqualTo(new Header("k", new byte[] {1, 2}).hashCode());
    assertThat(a).isNotEqualTo(new Header("k", new byte[] {1, 3}));
    assertThat(a).isNotEqualTo(new Header("j", new byte[] {1, 2}));
    assertThat(new Header("k", null)).isEqualTo(new Header("k", null));
    assertThat(new Header("k", null)).isNotEqualTo(new Header("k", new byte[0]));
    assertThat(a.toString()).isEqualTo("Header(k, 2 bytes)");
    assertThatThrownBy(() -> new Header(null, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("header key must not be null");
  }

  @Test
  void recordsFromEqualBatchesAreEqualAndCopiesAreIndependent() {
    List<Record> first = records();
    List<Record> second = records();
    assertThat(first).isEqualTo(second);
    assertThat(first.get(0).hashCode()).isEqualTo(second.get(0).hashCode());
    assertThat(first.get(0)).isNotEqualTo(first.get(1));

    byte[] value = first.get(0).value();
    value[0] = 'X';
    assertThat(first.get(0).value()).isEqualTo("v0".getBytes(UTF_8));
    assertThatThrownBy(() -> first.get(0).valueBuffer().put(0, (byte) 1))
        .isInstanceOf(java.nio.ReadOnlyBufferException.class);
  }

  @Test
  void recordBatchRejectsNull() {
    assertThatThrownBy(() -> new RecordBatch(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> RecordBatches.parse(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void settersOnAReadOnlyBatchFailWithoutChangingIt() {
    ByteBuffer bytes = RecordBatchTest.sampleBatch(CompressionType.NONE).asReadOnlyBuffer();
    RecordBatch batch = new RecordBatch(bytes);
    assertThatThrownBy(() -> batch.setBaseOffset(5L))
        .isInstanceOf(java.nio.ReadOnlyBufferException.class);
    assertThat(batch.baseOffset()).isZero();
    // Read-only buffers have no accessible array: compressed sections are copied once, then read.
    RecordBatch compressed =
        new RecordBatch(RecordBatchTest.sampleBatch(CompressionType.ZSTD).asReadOnlyBuffer());
    assertThat(compressed.records()).hasSize(3);
  }

  private static List<Record> records() {
    RecordBatchBuilder builder = new RecordBatchBuilder(CompressionType.GZIP, 0L);
    builder.append(1L, "k0".getBytes(UTF_8), "v0".getBytes(UTF_8), List.of(new Header("h", null)));
    builder.append(2L, null, "v1".getBytes(UTF_8), null);
    List<Record> records = new ArrayList<>();
    new RecordBatch(builder.build()).records().forEach(records::add);
    return records;
  }
}
