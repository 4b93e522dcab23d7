package io.logbus.log;

import io.logbus.record.Record;
import io.logbus.record.RecordBatch;
import io.logbus.record.RecordBatchBuilder;
import io.logbus.record.RecordBatchFormat;
import io.logbus.record.TimestampType;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The batches compaction writes in place of a batch that lost records, shaped as Kafka's cleaner
 * shapes them ({@code MemoryRecords.filterTo}), so the header fields idempotence and transactions
 * rely on survive compaction.
 */
final class CleanedBatches {
  private CleanedBatches() {}

  /** Attribute bits 0-2: the codec (RecordBatchFormat's layout). */
  private static final int CODEC_BITS = 0x07;

  /**
   * A partly cleaned batch, rebuilt as Kafka's {@code MemoryRecords.filterTo} does: the surviving
   * records at their offsets under the original header's base offset and last offset delta (so the
   * producer's last sequence still follows from the header after compaction), producer id, epoch
   * and base sequence (also a producer id without a sequence), partition leader epoch, codec,
   * timestamp type, and the transactional and control flags. maxTimestamp is the survivors' largest
   * for CreateTime and the original one (even -1) for LogAppendTime. Unlike Kafka no delete horizon
   * is set (this cleaner expires tombstones by their timestamp) and an incoming one is dropped: it
   * would need the base timestamp to be the horizon.
   */
  static ByteBuffer rebuild(RecordBatch batch, List<Record> keep) {
    RecordBatchBuilder b =
        new RecordBatchBuilder(batch.compression(), batch.baseOffset())
            .partitionLeaderEpoch(batch.partitionLeaderEpoch());
    for (Record r : keep) {
      b.appendWithOffset(r.offset(), r.timestamp(), r.key(), r.value(), r.headers());
    }
    ByteBuffer out = b.build();
    // The builder wrote the records section; the header fields it cannot express are copied from
    // the original, then the CRC is computed over the result.
    int attributes = batch.attributes() & ~RecordBatchFormat.DELETE_HORIZON_FLAG_MASK;
    out.putShort(RecordBatchFormat.ATTRIBUTES_OFFSET, (short) attributes);
    out.putInt(RecordBatchFormat.LAST_OFFSET_DELTA_OFFSET, batch.lastOffsetDelta());
    if (batch.timestampType() == TimestampType.LOG_APPEND_TIME) {
      out.putLong(RecordBatchFormat.MAX_TIMESTAMP_OFFSET, batch.maxTimestamp());
    }
    out.putLong(RecordBatchFormat.PRODUCER_ID_OFFSET, batch.producerId());
    out.putShort(RecordBatchFormat.PRODUCER_EPOCH_OFFSET, batch.producerEpoch());
    out.putInt(RecordBatchFormat.BASE_SEQUENCE_OFFSET, batch.baseSequence());
    RecordBatchFormat.writeCrc(out, 0, out.limit());
    return out;
  }

  /**
   * A producer's last batch after compaction removed all its records: the header alone (Kafka's
   * {@code RETAIN_EMPTY}, {@code DefaultRecordBatch.writeEmptyHeader}), with base and last offset,
   * producer id, epoch and base sequence, leader epoch, timestamp type and the transactional and
   * control flags of the original; no records, so no codec; no base timestamp, and the original's
   * maxTimestamp.
   */
  static ByteBuffer emptyOf(RecordBatch batch) {
    int size = RecordBatchFormat.RECORD_BATCH_OVERHEAD;
    ByteBuffer out = ByteBuffer.allocate(size);
    out.put(0, batch.buffer(), 0, size);
    out.putInt(RecordBatchFormat.BATCH_LENGTH_OFFSET, size - RecordBatchFormat.LOG_OVERHEAD);
    int attributes = batch.attributes() & ~CODEC_BITS & ~RecordBatchFormat.DELETE_HORIZON_FLAG_MASK;
    out.putShort(RecordBatchFormat.ATTRIBUTES_OFFSET, (short) attributes);
    out.putLong(RecordBatchFormat.BASE_TIMESTAMP_OFFSET, RecordBatchFormat.NO_TIMESTAMP);
    out.putInt(RecordBatchFormat.RECORD_COUNT_OFFSET, 0);
    RecordBatchFormat.writeCrc(out, 0, size);
    return out;
  }
}
