package io.logbus.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.logbus.proto.ErrorCode;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OffsetsTopicFormatTest {

  static final TopicPartition TP = new TopicPartition("orders", 7);

  static GroupMetadataValue sampleGroup() {
    return new GroupMetadataValue(
        9,
        9,
        Map.of("orders", 12, "payments", 3),
        List.of(
            new GroupMetadataValue.Member(
                "m-1",
                "client-1",
                "/10.0.0.1",
                "rack-a",
                "uniform",
                30_000,
                Set.of("orders", "payments"),
                8,
                7,
                GroupMember.State.UNREVOKED_PARTITIONS.ordinal(),
                Set.of(TP, new TopicPartition("payments", 0)),
                Set.of(new TopicPartition("orders", 8)),
                Set.of(TP, new TopicPartition("payments", 0))),
            new GroupMetadataValue.Member(
                "m-2", "", "", "", "", 60_000, Set.of(), 9, 0, 0, Set.of(), Set.of(), Set.of())));
  }

  @Test
  void valueOffsetsFollowTheDiagram() {
    assertThat(OffsetsTopicFormat.VALUE_OFFSET_OFFSET).isEqualTo(2);
    assertThat(OffsetsTopicFormat.VALUE_LEADER_EPOCH_OFFSET).isEqualTo(10);
    assertThat(OffsetsTopicFormat.VALUE_COMMIT_TIMESTAMP_OFFSET).isEqualTo(14);
    assertThat(OffsetsTopicFormat.VALUE_METADATA_LENGTH_OFFSET).isEqualTo(22);
    assertThat(OffsetsTopicFormat.VALUE_METADATA_OFFSET).isEqualTo(24);
    assertThat(OffsetsTopicFormat.SUBSCRIPTION_METADATA_OFFSET).isEqualTo(10);
  }

  @Test
  void anOffsetKeyIsVersionGroupTopicPartitionBigEndian() {
    byte[] key = OffsetsTopicFormat.offsetKey("g", TP);
    ByteBuffer expected =
        ByteBuffer.allocate(2 + 2 + 1 + 2 + 6 + 4)
            .putShort((short) 1)
            .putShort((short) 1)
            .put((byte) 'g')
            .putShort((short) 6)
            .put("orders".getBytes())
            .putInt(7);
    assertThat(key).isEqualTo(expected.array());
    assertThat(OffsetsTopicFormat.decodeKey(ByteBuffer.wrap(key)))
        .isEqualTo(new OffsetsTopicFormat.OffsetKey("g", TP));
  }

  @Test
  void aGroupKeyRoundTrips() {
    byte[] key = OffsetsTopicFormat.groupKey("grüppe");
    assertThat(key[1]).isEqualTo((byte) 2);
    assertThat(OffsetsTopicFormat.decodeKey(ByteBuffer.wrap(key)))
        .isEqualTo(new OffsetsTopicFormat.GroupKey("grüppe"));
  }

  @Test
  void anOffsetValueRoundTrips() {
    OffsetAndMetadata v = new OffsetAndMetadata(1L << 40, 5, "meta ✓", 1_700_000_000_123L);
    byte[] bytes = OffsetsTopicFormat.offsetValue(v);
    assertThat(ByteBuffer.wrap(bytes).getLong(OffsetsTopicFormat.VALUE_OFFSET_OFFSET))
        .isEqualTo(1L << 40);
    assertThat(OffsetsTopicFormat.decodeOffsetValue(ByteBuffer.wrap(bytes))).isEqualTo(v);
  }

  @Test
  void aGroupValueRoundTrips() {
    GroupMetadataValue v = sampleGroup();
    assertThat(
            OffsetsTopicFormat.decodeGroupValue(ByteBuffer.wrap(OffsetsTopicFormat.groupValue(v))))
        .isEqualTo(v);
  }

  @Test
  void everyTruncationOfAGroupValueIsRefusedAsCorrupt() {
    byte[] full = OffsetsTopicFormat.groupValue(sampleGroup());
    for (int n = 0; n < full.length; n++) {
      byte[] cut = Arrays.copyOf(full, n);
      assertThatThrownBy(() -> OffsetsTopicFormat.decodeGroupValue(ByteBuffer.wrap(cut)))
          .as("cut at %d", n)
          .isInstanceOf(GroupException.class)
          .extracting(e -> ((GroupException) e).code())
          .isEqualTo(ErrorCode.CORRUPT_MESSAGE);
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 3, 10, 23})
  void aTruncatedOffsetValueIsRefusedAsCorrupt(int length) {
    byte[] full = OffsetsTopicFormat.offsetValue(new OffsetAndMetadata(5, -1, "xy", 1));
    assertThatThrownBy(
            () ->
                OffsetsTopicFormat.decodeOffsetValue(ByteBuffer.wrap(Arrays.copyOf(full, length))))
        .isInstanceOf(GroupException.class);
  }

  @Test
  void unknownVersionsAndGarbageAreRefusedAsCorrupt() {
    byte[] key = OffsetsTopicFormat.offsetKey("g", TP);
    key[1] = 9;
    assertThatThrownBy(() -> OffsetsTopicFormat.decodeKey(ByteBuffer.wrap(key)))
        .hasMessageContaining("unknown key version 9");
    byte[] value = OffsetsTopicFormat.offsetValue(new OffsetAndMetadata(5, -1, "", 1));
    value[1] = 1;
    assertThatThrownBy(() -> OffsetsTopicFormat.decodeOffsetValue(ByteBuffer.wrap(value)))
        .hasMessageContaining("version 1");
    byte[] negative = OffsetsTopicFormat.offsetValue(new OffsetAndMetadata(5, -1, "", 1));
    ByteBuffer.wrap(negative).putLong(OffsetsTopicFormat.VALUE_OFFSET_OFFSET, -3);
    assertThatThrownBy(() -> OffsetsTopicFormat.decodeOffsetValue(ByteBuffer.wrap(negative)))
        .hasMessageContaining("negative committed offset -3");
    byte[] hugeCount = OffsetsTopicFormat.groupValue(sampleGroup());
    ByteBuffer.wrap(hugeCount).putInt(OffsetsTopicFormat.SUBSCRIPTION_METADATA_OFFSET, 1 << 30);
    assertThatThrownBy(() -> OffsetsTopicFormat.decodeGroupValue(ByteBuffer.wrap(hugeCount)))
        .isInstanceOf(GroupException.class);
    assertThatThrownBy(() -> OffsetsTopicFormat.decodeKey(ByteBuffer.wrap(new byte[] {0, 1, 0, 9})))
        .isInstanceOf(GroupException.class);
  }

  @Test
  void batchesAreRecordBatchV2ThatKafkasOwnParserReads() {
    byte[] key1 = OffsetsTopicFormat.offsetKey("g", TP);
    byte[] value1 = OffsetsTopicFormat.offsetValue(new OffsetAndMetadata(42, 3, "m", 1000));
    byte[] key2 = OffsetsTopicFormat.groupKey("g");
    ByteBuffer batch =
        OffsetsBatches.encode(
            List.of(new OffsetsBatches.Entry(key1, value1), new OffsetsBatches.Entry(key2, null)),
            1000);

    MemoryRecords kafka = MemoryRecords.readableRecords(batch.duplicate());
    kafka.batches().forEach(b -> b.ensureValid());
    List<Record> records = new java.util.ArrayList<>();
    kafka.records().forEach(records::add);
    assertThat(records).hasSize(2);
    assertThat(bytes(records.get(0).key())).isEqualTo(key1);
    assertThat(bytes(records.get(0).value())).isEqualTo(value1);
    assertThat(records.get(1).hasValue()).as("tombstone").isFalse();

    List<OffsetsBatches.LoadedEntry> ours = OffsetsBatches.decode(batch.duplicate());
    assertThat(ours).extracting(OffsetsBatches.LoadedEntry::offset).containsExactly(0L, 1L);
    assertThat(ours.get(1).value()).isNull();
    assertThat(OffsetsBatches.nextOffset(batch, 0)).isEqualTo(2);
  }

  @Test
  void aDamagedBatchIsRefusedOnLoad() {
    ByteBuffer batch =
        OffsetsBatches.encode(
            List.of(new OffsetsBatches.Entry(OffsetsTopicFormat.groupKey("g"), new byte[] {1})), 1);
    batch.put(batch.limit() - 1, (byte) (batch.get(batch.limit() - 1) ^ 0x40));
    assertThatThrownBy(() -> OffsetsBatches.decode(batch))
        .isInstanceOf(io.logbus.record.CorruptRecordException.class);
    assertThatThrownBy(() -> OffsetsBatches.encode(List.of(), 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }
}
