package io.logbus.broker;

import com.google.protobuf.ByteString;
import io.logbus.log.LogReadInfo;
import io.logbus.log.PartitionLog;
import io.logbus.proto.PartitionRecords;
import io.logbus.proto.ProduceRequest;
import io.logbus.record.CompressionType;
import io.logbus.record.Record;
import io.logbus.record.RecordBatch;
import io.logbus.record.RecordBatchBuilder;
import io.logbus.record.RecordBatches;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Batches to produce and ways to read values back, for the broker tests. */
final class TestRecords {
  private TestRecords() {}

  static ByteBuffer batch(String... values) {
    RecordBatchBuilder builder = new RecordBatchBuilder(CompressionType.NONE, 0);
    for (String value : values) {
      builder.append(1_700_000_000_000L, null, value.getBytes(StandardCharsets.UTF_8), List.of());
    }
    return builder.build();
  }

  static ByteBuffer idempotentBatch(long producerId, int sequence, String... values) {
    return idempotentBatch(producerId, (short) 0, sequence, values);
  }

  static ByteBuffer idempotentBatch(long producerId, short epoch, int sequence, String... values) {
    RecordBatchBuilder builder =
        new RecordBatchBuilder(CompressionType.NONE, 0).producer(producerId, epoch, sequence);
    for (String value : values) {
      builder.append(1_700_000_000_000L, null, value.getBytes(StandardCharsets.UTF_8), List.of());
    }
    return builder.build();
  }

  static ProduceRequest produce(String topic, int partition, int acks, ByteBuffer batch) {
    return ProduceRequest.newBuilder()
        .setAcks(acks)
        .setTimeoutMs(10_000)
        .addPartitions(
            PartitionRecords.newBuilder()
                .setTopic(topic)
                .setPartition(partition)
                .setRecords(ByteString.copyFrom(batch.duplicate())))
        .build();
  }

  /** Every (offset, value) in the buffer, in order. */
  static List<String> values(ByteBuffer records) {
    List<String> values = new ArrayList<>();
    for (RecordBatch batch : RecordBatches.parse(records.duplicate())) {
      for (Record record : batch.records()) {
        values.add(new String(record.value(), StandardCharsets.UTF_8));
      }
    }
    return values;
  }

  /** Every value of a local log from its start up to {@code end} (exclusive). */
  static List<String> logValues(PartitionLog log, long end) {
    List<String> values = new ArrayList<>();
    long offset = log.logStartOffset();
    while (offset < end) {
      LogReadInfo read = log.read(offset, 1 << 20, end);
      ByteBuffer records = read.records();
      if (!records.hasRemaining()) {
        break;
      }
      for (RecordBatch batch : RecordBatches.parse(records.duplicate())) {
        for (Record record : batch.records()) {
          if (record.offset() >= offset && record.offset() < end) {
            values.add(new String(record.value(), StandardCharsets.UTF_8));
          }
        }
        offset = batch.lastOffset() + 1;
      }
    }
    return values;
  }

  static ByteString bytes(ByteBuffer buffer) {
    return ByteString.copyFrom(buffer.duplicate());
  }
}
