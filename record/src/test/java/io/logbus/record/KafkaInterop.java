package io.logbus.record;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.RecordBatch;

/** Conversions between logbus and Kafka's record classes, for the oracle tests. */
final class KafkaInterop {
  private KafkaInterop() {}

  /** A record as test input and expected output: what both codecs must agree on. */
  record Input(long timestamp, byte[] key, byte[] value, List<Header> headers) {}

  static Compression kafkaCompression(CompressionType type) {
    return Compression.of(type.name).build();
  }

  static org.apache.kafka.common.header.Header[] kafkaHeaders(List<Header> headers) {
    org.apache.kafka.common.header.Header[] result =
        new org.apache.kafka.common.header.Header[headers.size()];
    for (int i = 0; i < result.length; i++) {
      result[i] = new RecordHeader(headers.get(i).key(), headers.get(i).value());
    }
    return result;
  }

  static List<Header> ourHeaders(org.apache.kafka.common.header.Header[] headers) {
    List<Header> result = new ArrayList<>();
    for (org.apache.kafka.common.header.Header h : headers) {
      result.add(new Header(h.key(), h.value()));
    }
    return result;
  }

  static byte[] bytes(ByteBuffer buffer) {
    if (buffer == null) {
      return null;
    }
    byte[] bytes = new byte[buffer.remaining()];
    buffer.duplicate().get(bytes);
    return bytes;
  }

  /** A batch written by Kafka's own builder. */
  static ByteBuffer kafkaBatch(
      CompressionType type,
      long baseOffset,
      long producerId,
      short epoch,
      int baseSequence,
      int leaderEpoch,
      List<Input> inputs) {
    MemoryRecordsBuilder builder =
        MemoryRecords.builder(
            ByteBuffer.allocate(256),
            RecordBatch.MAGIC_VALUE_V2,
            kafkaCompression(type),
            org.apache.kafka.common.record.TimestampType.CREATE_TIME,
            baseOffset,
            RecordBatch.NO_TIMESTAMP,
            producerId,
            epoch,
            baseSequence,
            false,
            leaderEpoch);
    for (Input in : inputs) {
      builder.append(in.timestamp(), in.key(), in.value(), kafkaHeaders(in.headers()));
    }
    return builder.build().buffer();
  }

  /** Kafka's view of exactly one batch, CRC checked by Kafka. */
  static MutableRecordBatch kafkaReadOne(ByteBuffer batch) {
    List<MutableRecordBatch> batches = new ArrayList<>();
    MemoryRecords.readableRecords(batch.duplicate()).batches().forEach(batches::add);
    assertThat(batches).hasSize(1);
    MutableRecordBatch kafka = batches.get(0);
    kafka.ensureValid();
    return kafka;
  }

  /** Kafka's records of one batch, decompressed and checked by Kafka. */
  static List<org.apache.kafka.common.record.internal.Record> kafkaRecords(ByteBuffer batch) {
    List<org.apache.kafka.common.record.internal.Record> records = new ArrayList<>();
    kafkaReadOne(batch).forEach(records::add);
    return records;
  }

  /** Builds with our builder from baseOffset with offsets in order. */
  static ByteBuffer ourBatch(RecordBatchBuilder builder, List<Input> inputs) {
    for (Input in : inputs) {
      builder.append(in.timestamp(), in.key(), in.value(), in.headers());
    }
    return builder.build();
  }

  /** Asserts that Kafka decodes exactly these inputs at consecutive offsets from baseOffset. */
  static void assertKafkaSees(ByteBuffer batch, long baseOffset, List<Input> inputs) {
    List<org.apache.kafka.common.record.internal.Record> records = kafkaRecords(batch);
    assertThat(records).hasSize(inputs.size());
    for (int i = 0; i < inputs.size(); i++) {
      org.apache.kafka.common.record.internal.Record r = records.get(i);
      Input in = inputs.get(i);
      assertThat(r.offset()).as("offset of record %d", i).isEqualTo(baseOffset + i);
      assertThat(r.timestamp()).as("timestamp of record %d", i).isEqualTo(in.timestamp());
      assertThat(bytes(r.key())).as("key of record %d", i).isEqualTo(in.key());
      assertThat(r.hasKey()).isEqualTo(in.key() != null);
      assertThat(bytes(r.value())).as("value of record %d", i).isEqualTo(in.value());
      assertThat(r.hasValue()).isEqualTo(in.value() != null);
      assertThat(ourHeaders(r.headers())).as("headers of record %d", i).isEqualTo(in.headers());
    }
  }

  /** Asserts that our reader decodes exactly these inputs at consecutive offsets. */
  static void assertWeSee(io.logbus.record.RecordBatch batch, long baseOffset, List<Input> inputs) {
    List<Record> records = new ArrayList<>();
    batch.records().forEach(records::add);
    assertThat(records).hasSize(inputs.size());
    for (int i = 0; i < inputs.size(); i++) {
      Record r = records.get(i);
      Input in = inputs.get(i);
      assertThat(r.offset()).as("offset of record %d", i).isEqualTo(baseOffset + i);
      assertThat(r.timestamp()).as("timestamp of record %d", i).isEqualTo(in.timestamp());
      assertThat(r.key()).as("key of record %d", i).isEqualTo(in.key());
      assertThat(r.hasKey()).isEqualTo(in.key() != null);
      assertThat(r.value()).as("value of record %d", i).isEqualTo(in.value());
      assertThat(r.hasValue()).isEqualTo(in.value() != null);
      assertThat(r.headers()).as("headers of record %d", i).isEqualTo(in.headers());
    }
  }
}
