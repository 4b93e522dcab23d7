package io.logbus.broker;

import io.logbus.record.RecordBatch;
import io.logbus.record.RecordBatches;
import java.nio.ByteBuffer;
import java.util.List;

/** Facts about a buffer of concatenated whole batches, as read from a log. Stateless. */
final class Batches {
  private Batches() {}

  /**
   * The offset after the last record of the last batch; {@code fallback} if the buffer is empty.
   */
  static long nextOffset(ByteBuffer records, long fallback) {
    if (!records.hasRemaining()) {
      return fallback;
    }
    List<RecordBatch> batches = RecordBatches.parse(records.duplicate());
    return batches.isEmpty() ? fallback : batches.get(batches.size() - 1).lastOffset() + 1;
  }

  static int recordCount(ByteBuffer records) {
    if (!records.hasRemaining()) {
      return 0;
    }
    int count = 0;
    for (RecordBatch batch : RecordBatches.parse(records.duplicate())) {
      count += batch.recordCount();
    }
    return count;
  }

  /** Base offset of the first batch (bytes 0-7 of the batch header, big endian). */
  static long firstOffset(ByteBuffer records) {
    return records.getLong(records.position());
  }
}
