package io.logbus.record;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;

/**
 * Records sections that are intact (CRC recomputed after tampering) but malformed: the reader must
 * fail with InvalidRecordException naming the batch and record, never return wrong records or throw
 * an unchecked buffer exception.
 */
class RecordDecodingTest {
  private static final int RECORDS = RecordBatchFormat.RECORDS_OFFSET;

  /** One uncompressed record: key "k", value "v", no headers; its bytes start at 61. */
  private static ByteBuffer oneRecord() {
    RecordBatchBuilder builder = new RecordBatchBuilder(CompressionType.NONE, 40L);
    builder.append(5L, "k".getBytes(UTF_8), "v".getBytes(UTF_8), null);
    return builder.build();
  }

  /** Batch with the given records section, count and lastOffsetDelta, CRC valid. */
  private static RecordBatch withSection(byte[] section, int count, int lastOffsetDelta) {
    ByteBuffer bytes = withSection(section, count).buffer();
    bytes.putInt(RecordBatchFormat.LAST_OFFSET_DELTA_OFFSET, lastOffsetDelta);
    RecordBatchFormat.writeCrc(bytes, 0, bytes.remaining());
    return new RecordBatch(bytes);
  }

  /** A minimal record (null key and value, no headers) with this offset delta (0-63). */
  private static byte[] minimalRecord(int offsetDelta) {
    return new byte[] {12, 0, 0, (byte) (offsetDelta << 1), 1, 1, 0};
  }

  private static byte[] concat(byte[]... parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  /** Batch with the given records section and count, CRC valid. */
  private static RecordBatch withSection(byte[] section, int count) {
    ByteBuffer header = oneRecord();
    ByteBuffer bytes = ByteBuffer.allocate(RECORDS + section.length);
    bytes.put(header.duplicate().limit(RECORDS)).put(section).flip();
    bytes.putInt(RecordBatchFormat.BATCH_LENGTH_OFFSET, bytes.remaining() - 12);
    bytes.putInt(RecordBatchFormat.RECORD_COUNT_OFFSET, count);
    RecordBatchFormat.writeCrc(bytes, 0, bytes.remaining());
    RecordBatch batch = new RecordBatch(bytes);
    batch.ensureValid();
    return batch;
  }

  private static byte[] section(ByteBuffer batch) {
    byte[] section = new byte[batch.remaining() - RECORDS];
    batch.get(RECORDS, section);
    return section;
  }

  private static List<Record> readAll(RecordBatch batch) {
    List<Record> records = new java.util.ArrayList<>();
    batch.records().forEach(records::add);
    return records;
  }

  @Test
  void decodesTheUntamperedSection() {
    // Section: length=8 (zigzag 16), attr 0, tsDelta 0, offsetDelta 0, key len 1 'k', value len 1
    // 'v', header count 0.
    byte[] section = section(oneRecord());
    assertThat(section).containsExactly(16, 0, 0, 0, 2, 'k', 2, 'v', 0);
    List<Record> records = readAll(withSection(section, 1));
    assertThat(records).hasSize(1);
    assertThat(records.get(0).offset()).isEqualTo(40L);
    assertThat(records.get(0).sizeInBytes()).isEqualTo(9);
  }

  @Test
  void rejectsMoreDeclaredRecordsThanPresent() {
    RecordBatch batch = withSection(section(oneRecord()), 2);
    Iterator<Record> it = batch.records().iterator();
    it.next();
    assertThatThrownBy(it::next)
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("batch with base offset 40")
        .hasMessageContaining("record 1 of 2 at byte 9 of the records section")
        .hasMessageContaining("truncated varint");
  }

  @Test
  void rejectsBytesAfterTheLastRecord() {
    byte[] section = java.util.Arrays.copyOf(section(oneRecord()), 12);
    assertThatThrownBy(() -> readAll(withSection(section, 1)))
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("3 bytes follow the last of 1 records");
  }

  @Test
  void rejectsASectionWithBytesButZeroRecords() {
    assertThatThrownBy(() -> withSection(section(oneRecord()), 0).records().iterator())
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("9 bytes follow the last of 0 records");
  }

  @Test
  void rejectsANegativeRecordCount() {
    assertThatThrownBy(() -> withSection(section(oneRecord()), -1).records().iterator())
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("negative record count -1");
  }

  @Test
  void rejectsARecordLengthThatDisagreesWithItsFields() {
    byte[] section = section(oneRecord());
    section[0] = 14; // says 7 body bytes; the fields take 8
    assertThatThrownBy(() -> readAll(withSection(section, 1)))
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("record 0 of 1");
  }

  @Test
  void rejectsARecordLengthBeyondTheSection() {
    byte[] section = section(oneRecord());
    section[0] = 18; // 9 body bytes; only 8 present
    assertThatThrownBy(() -> readAll(withSection(section, 1)))
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("record length 9 is outside [6, 8]");
  }

  @Test
  void rejectsAKeyLengthBeyondTheRecord() {
    byte[] section = section(oneRecord());
    section[4] = 20; // key length 10
    assertThatThrownBy(() -> readAll(withSection(section, 1)))
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("key length 10 exceeds");
  }

  @Test
  void rejectsAKeyLengthBelowMinusOne() {
    byte[] section = section(oneRecord());
    section[4] = 3; // zigzag -2
    assertThatThrownBy(() -> readAll(withSection(section, 1)))
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("key length -2 is below -1");
  }

  @Test
  void rejectsANegativeHeaderCount() {
    byte[] section = section(oneRecord());
    section[8] = 1; // zigzag -1
    assertThatThrownBy(() -> readAll(withSection(section, 1)))
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("negative header count -1");
  }

  @Test
  void rejectsANullHeaderKey() {
    // length 10: attr, ts, off, key null, value null, 1 header: key -1 (null), value -1.
    byte[] section = {20, 0, 0, 0, 1, 1, 2, 1, 1, 0, 0};
    section[0] = 16; // 8 body bytes: 0 0 0 1 1 2 1 1
    byte[] exact = java.util.Arrays.copyOf(section, 9);
    assertThatThrownBy(() -> readAll(withSection(exact, 1)))
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("header 0 has a null key");
  }

  @Test
  void rejectsAVarintLongerThanFiveBytes() {
    byte[] section = {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 1, 0};
    assertThatThrownBy(() -> readAll(withSection(section, 1)))
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("varint longer than 5 bytes");
  }

  @Test
  void rejectsAVarlongLongerThanTenBytes() {
    byte[] section = new byte[16];
    section[0] = 28; // body 14
    section[1] = 0; // attributes
    for (int i = 2; i < 13; i++) {
      section[i] = (byte) 0x80;
    }
    assertThatThrownBy(() -> readAll(withSection(java.util.Arrays.copyOf(section, 15), 1)))
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("varlong longer than 10 bytes");
  }

  @Test
  void rejectsACompressedSectionThatIsNotOfItsCodec() {
    for (CompressionType codec : CompressionType.values()) {
      if (codec == CompressionType.NONE) {
        continue;
      }
      ByteBuffer bytes = RecordBatchTest.copyOf(oneRecord());
      bytes.putShort(RecordBatchFormat.ATTRIBUTES_OFFSET, (short) codec.id);
      RecordBatchFormat.writeCrc(bytes, 0, bytes.remaining());
      RecordBatch batch = new RecordBatch(bytes);
      batch.ensureValid();
      assertThatThrownBy(() -> readAll(batch))
          .as(codec.name)
          .isInstanceOf(InvalidRecordException.class)
          .hasMessageContaining("batch with base offset 40");
    }
  }

  @Test
  void iteratorEndsWithNoSuchElement() {
    Iterator<Record> it = new RecordBatch(oneRecord()).records().iterator();
    it.next();
    assertThat(it.hasNext()).isFalse();
    assertThatThrownBy(it::next).isInstanceOf(NoSuchElementException.class);
  }

  @Test
  void recordViewsExposeSizesAndReadOnlyBuffers() {
    RecordBatchBuilder builder = new RecordBatchBuilder(CompressionType.SNAPPY, 0L);
    builder.append(7L, "key".getBytes(UTF_8), null, List.of(new Header("a", null)));
    Record record = new RecordBatch(builder.build()).records().iterator().next();
    assertThat(record.keySize()).isEqualTo(3);
    assertThat(record.valueSize()).isEqualTo(-1);
    assertThat(record.hasValue()).isFalse();
    assertThat(record.valueBuffer()).isNull();
    assertThat(record.value()).isNull();
    ByteBuffer key = record.keyBuffer();
    assertThat(key.isReadOnly()).isTrue();
    assertThat(KafkaInterop.bytes(key)).isEqualTo("key".getBytes(UTF_8));
    assertThat(record.headerCount()).isEqualTo(1);
    assertThat(record.headers()).containsExactly(new Header("a", null));
    assertThat(record.toString()).contains("offset=0", "value=null");
  }

  @Test
  void ensureRecordsValidAcceptsDenseAndGappedDeltasEndingAtLastOffsetDelta() {
    withSection(concat(minimalRecord(0), minimalRecord(1), minimalRecord(2)), 3, 2)
        .ensureRecordsValid();
    withSection(concat(minimalRecord(1), minimalRecord(5)), 2, 5).ensureRecordsValid();
  }

  @Test
  void ensureRecordsValidRejectsDeltasThatDoNotIncrease() {
    RecordBatch batch = withSection(concat(minimalRecord(1), minimalRecord(1)), 2, 1);
    assertThatThrownBy(batch::ensureRecordsValid)
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("batch with base offset 40")
        .hasMessageContaining("record 1 has offset delta 1, expected more than 1");
  }

  @Test
  void ensureRecordsValidRejectsALastDeltaOtherThanTheHeaders() {
    RecordBatch batch = withSection(concat(minimalRecord(0), minimalRecord(1)), 2, 3);
    assertThatThrownBy(batch::ensureRecordsValid)
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining(
            "last record has offset delta 1 but the header's lastOffsetDelta is 3");
  }

  @Test
  void ensureRecordsValidRejectsMalformedRecords() {
    RecordBatch batch = withSection(concat(minimalRecord(0), minimalRecord(1)), 3, 1);
    assertThatThrownBy(batch::ensureRecordsValid)
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("record 2 of 3");
  }

  @Test
  void ensureRecordsValidAcceptsBuilderBatchesOfEveryCodec() {
    for (CompressionType codec : CompressionType.values()) {
      RecordBatchBuilder builder = new RecordBatchBuilder(codec, 0L);
      for (int i = 0; i < 100; i++) {
        builder.append(i, null, new byte[i], List.of(new Header("h", null)));
      }
      new RecordBatch(builder.build()).ensureRecordsValid();
    }
  }
}
