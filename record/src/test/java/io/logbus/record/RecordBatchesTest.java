package io.logbus.record;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.junit.jupiter.api.Test;

class RecordBatchesTest {

  private static ByteBuffer batch(CompressionType codec, long baseOffset, int records) {
    RecordBatchBuilder builder = new RecordBatchBuilder(codec, baseOffset);
    for (int i = 0; i < records; i++) {
      builder.append(i, ("k" + i).getBytes(UTF_8), ("v" + i).getBytes(UTF_8), null);
    }
    return builder.build();
  }

  /** Three batches back to back: NONE at 0, GZIP at 3, ZSTD at 5. */
  private static ByteBuffer threeBatches() {
    ByteBuffer a = batch(CompressionType.NONE, 0L, 3);
    ByteBuffer b = batch(CompressionType.GZIP, 3L, 2);
    ByteBuffer c = batch(CompressionType.ZSTD, 5L, 4);
    ByteBuffer all = ByteBuffer.allocate(a.remaining() + b.remaining() + c.remaining());
    all.put(a).put(b).put(c).flip();
    return all;
  }

  @Test
  void parsesConcatenatedBatchesWithoutMovingThePosition() {
    ByteBuffer all = threeBatches();
    List<RecordBatch> batches = RecordBatches.parse(all);
    assertThat(batches).extracting(RecordBatch::baseOffset).containsExactly(0L, 3L, 5L);
    assertThat(batches).extracting(RecordBatch::lastOffset).containsExactly(2L, 4L, 8L);
    assertThat(batches.stream().mapToInt(RecordBatch::sizeInBytes).sum())
        .isEqualTo(all.remaining());
    assertThat(all.position()).isZero();
    // Kafka agrees on the boundaries.
    assertThat(MemoryRecords.readableRecords(all.duplicate()).batches())
        .extracting(b -> b.baseOffset())
        .containsExactly(0L, 3L, 5L);
  }

  @Test
  void parsesAnEmptyBufferAsNoBatches() {
    assertThat(RecordBatches.parse(ByteBuffer.allocate(0))).isEmpty();
    assertThat(RecordBatches.validate(ByteBuffer.allocate(0))).isEmpty();
    assertThat(RecordBatches.validPrefixBytes(ByteBuffer.allocate(0))).isZero();
  }

  @Test
  void parsesFromTheBuffersPositionAndCountsPositionsFromThere() {
    ByteBuffer all = threeBatches();
    ByteBuffer padded = ByteBuffer.allocate(all.remaining() + 10);
    padded.position(10);
    padded.put(all.duplicate());
    padded.position(10);
    assertThat(RecordBatches.validate(padded)).hasSize(3);
    padded.limit(padded.limit() - 1);
    int lastBatchStart = all.remaining() - RecordBatches.parse(all).get(2).sizeInBytes();
    assertThatThrownBy(() -> RecordBatches.parse(padded))
        .isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("truncated batch at position " + lastBatchStart);
  }

  @Test
  void rejectsATornTailNamingItsPosition() {
    ByteBuffer all = threeBatches();
    int secondStart = RecordBatches.parse(all).get(0).sizeInBytes();
    all.limit(secondStart + 5);
    assertThatThrownBy(() -> RecordBatches.parse(all))
        .isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("truncated batch at position " + secondStart)
        .hasMessageContaining("5 bytes left, expected at least 12");
  }

  @Test
  void validateNamesTheBatchWhoseCrcFails() {
    ByteBuffer all = threeBatches();
    List<RecordBatch> batches = RecordBatches.parse(all);
    int secondStart = batches.get(0).sizeInBytes();
    int victim = secondStart + batches.get(1).sizeInBytes() - 1;
    all.put(victim, (byte) (all.get(victim) ^ 0x80));

    assertThat(RecordBatches.parse(all)).hasSize(3); // structure is still fine
    assertThatThrownBy(() -> RecordBatches.validate(all))
        .isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("batch at position " + secondStart)
        .hasMessageContaining("base offset 3")
        .hasMessageContaining("CRC-32C");
  }

  @Test
  void validateRejectsAnUnknownCodecNamingThePosition() {
    ByteBuffer all = threeBatches();
    all.putShort(RecordBatchFormat.ATTRIBUTES_OFFSET, (short) 7);
    RecordBatchFormat.writeCrc(all, 0, RecordBatches.parse(all).get(0).sizeInBytes());
    assertThatThrownBy(() -> RecordBatches.validate(all))
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("batch at position 0")
        .hasMessageContaining("unknown compression type id 7");
  }

  @Test
  void validPrefixBytesStopsAtTheFirstBadBatch() {
    ByteBuffer all = threeBatches();
    List<RecordBatch> batches = RecordBatches.parse(all);
    int first = batches.get(0).sizeInBytes();
    int second = batches.get(1).sizeInBytes();
    assertThat(RecordBatches.validPrefixBytes(all)).isEqualTo(all.remaining());

    ByteBuffer torn = all.duplicate();
    torn.limit(all.limit() - 1);
    assertThat(RecordBatches.validPrefixBytes(torn)).isEqualTo(first + second);

    ByteBuffer corrupt = RecordBatchTest.copyOf(all);
    corrupt.put(first + 30, (byte) (corrupt.get(first + 30) + 1));
    assertThat(RecordBatches.validPrefixBytes(corrupt)).isEqualTo(first);

    ByteBuffer badLength = RecordBatchTest.copyOf(all);
    badLength.putInt(RecordBatchFormat.BATCH_LENGTH_OFFSET, -7);
    assertThat(RecordBatches.validPrefixBytes(badLength)).isZero();
  }

  @Test
  void iteratorIsLazyAndEndsCleanly() {
    ByteBuffer all = threeBatches();
    all.limit(all.limit() - 1);
    Iterator<RecordBatch> it = RecordBatches.iterator(all);
    assertThat(it.next().baseOffset()).isEqualTo(0L);
    assertThat(it.next().baseOffset()).isEqualTo(3L);
    assertThat(it.hasNext()).isTrue();
    assertThatThrownBy(it::next).isInstanceOf(CorruptRecordException.class);

    Iterator<RecordBatch> empty = RecordBatches.iterator(ByteBuffer.allocate(0));
    assertThat(empty.hasNext()).isFalse();
    assertThatThrownBy(empty::next).isInstanceOf(NoSuchElementException.class);
  }

  @Test
  void rejectsGarbageAfterValidBatches() {
    ByteBuffer one = batch(CompressionType.NONE, 0L, 1);
    ByteBuffer withGarbage = ByteBuffer.allocate(one.remaining() + 20);
    withGarbage.put(one.duplicate());
    for (int i = 0; i < 20; i++) {
      withGarbage.put((byte) 0x11);
    }
    withGarbage.flip();
    assertThatThrownBy(() -> RecordBatches.parse(withGarbage))
        .isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("batch at position " + one.remaining());
  }
}
