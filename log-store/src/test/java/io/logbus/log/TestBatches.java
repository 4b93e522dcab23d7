package io.logbus.log;

import io.logbus.record.CompressionType;
import io.logbus.record.Record;
import io.logbus.record.RecordBatch;
import io.logbus.record.RecordBatchBuilder;
import io.logbus.record.RecordBatches;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Builds and decodes batches for the log-store tests. */
final class TestBatches {
  private TestBatches() {}

  static ByteBuffer batch(int records, long timestamp) {
    return batch(records, timestamp, 10);
  }

  static ByteBuffer batch(int records, long timestamp, int valueSize) {
    RecordBatchBuilder b = new RecordBatchBuilder(CompressionType.NONE, 0);
    for (int i = 0; i < records; i++) {
      b.append(timestamp, ("k" + i).getBytes(StandardCharsets.UTF_8), new byte[valueSize], null);
    }
    return b.build();
  }

  static ByteBuffer keyed(long timestamp, String... keyValues) {
    RecordBatchBuilder b = new RecordBatchBuilder(CompressionType.NONE, 0);
    for (int i = 0; i < keyValues.length; i += 2) {
      String v = keyValues[i + 1];
      b.append(
          timestamp,
          keyValues[i].getBytes(StandardCharsets.UTF_8),
          v == null ? null : v.getBytes(StandardCharsets.UTF_8),
          null);
    }
    return b.build();
  }

  static ByteBuffer idempotent(long producerId, short epoch, int baseSequence, int records) {
    return idempotent(producerId, epoch, baseSequence, records, 1000L);
  }

  /** As above, every record stamped {@code timestamp}. */
  static ByteBuffer idempotent(
      long producerId, short epoch, int baseSequence, int records, long timestamp) {
    RecordBatchBuilder b =
        new RecordBatchBuilder(CompressionType.NONE, 0).producer(producerId, epoch, baseSequence);
    for (int i = 0; i < records; i++) {
      b.append(timestamp, null, ("v" + i).getBytes(StandardCharsets.UTF_8), null);
    }
    return b.build();
  }

  /** A follower-style batch with offsets and epoch already set. */
  static ByteBuffer atOffset(long baseOffset, int records, int epoch) {
    RecordBatchBuilder b =
        new RecordBatchBuilder(CompressionType.NONE, baseOffset).partitionLeaderEpoch(epoch);
    for (int i = 0; i < records; i++) {
      b.append(1000L + i, null, ("v" + (baseOffset + i)).getBytes(StandardCharsets.UTF_8), null);
    }
    return b.build();
  }

  static ByteBuffer concat(ByteBuffer... parts) {
    int n = 0;
    for (ByteBuffer p : parts) {
      n += p.remaining();
    }
    ByteBuffer out = ByteBuffer.allocate(n);
    for (ByteBuffer p : parts) {
      out.put(p.duplicate());
    }
    return out.flip();
  }

  static List<RecordBatch> batches(ByteBuffer data) {
    return RecordBatches.validate(data.duplicate());
  }

  static List<Record> records(ByteBuffer data) {
    List<Record> out = new ArrayList<>();
    for (RecordBatch b : batches(data)) {
      for (Record r : b.records()) {
        out.add(r);
      }
    }
    return out;
  }

  /** Every record offset in the whole log, read batch after batch from the start. */
  static List<Long> allOffsets(PartitionLog log) {
    List<Long> out = new ArrayList<>();
    long next = log.logStartOffset();
    while (next < log.logEndOffset()) {
      LogReadInfo info = log.read(next, 64 * 1024, Long.MAX_VALUE);
      List<RecordBatch> bs = batches(info.records());
      if (bs.isEmpty()) {
        break;
      }
      for (RecordBatch b : bs) {
        for (Record r : b.records()) {
          out.add(r.offset());
        }
        next = b.lastOffset() + 1;
      }
    }
    return out;
  }
}
