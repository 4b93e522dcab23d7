package io.logbus.group;

import io.logbus.record.CompressionType;
import io.logbus.record.Record;
import io.logbus.record.RecordBatch;
import io.logbus.record.RecordBatchBuilder;
import io.logbus.record.RecordBatches;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Puts {@link OffsetsTopicFormat} keys and values into RecordBatch v2 batches (one uncompressed
 * batch per coordinator write, so a multi-partition commit is appended atomically) and takes them
 * out again on load. Stateless.
 */
public final class OffsetsBatches {

  /** One record of __consumer_offsets: key bytes and value bytes (null value = tombstone). */
  public record Entry(byte[] key, byte[] value) {}

  /** A record read back, with its offset in the partition. */
  public record LoadedEntry(long offset, byte[] key, byte[] value) {}

  private OffsetsBatches() {}

  /** One batch holding the entries in order, stamped with the coordinator's clock. */
  public static ByteBuffer encode(List<Entry> entries, long timestampMs) {
    if (entries.isEmpty()) {
      throw new IllegalArgumentException("a batch needs at least one record");
    }
    RecordBatchBuilder builder = new RecordBatchBuilder(CompressionType.NONE, 0L);
    for (Entry e : entries) {
      builder.append(timestampMs, e.key(), e.value(), List.of());
    }
    return builder.build();
  }

  /**
   * Decodes concatenated batches as read from the log, validating each (CRC included). Throws
   * io.logbus.record.CorruptRecordException on damage.
   */
  public static List<LoadedEntry> decode(ByteBuffer batches) {
    List<LoadedEntry> out = new ArrayList<>();
    for (RecordBatch batch : RecordBatches.validate(batches)) {
      for (Record r : batch.records()) {
        out.add(new LoadedEntry(r.offset(), r.key(), r.value()));
      }
    }
    return out;
  }

  /** The offset after the last batch in the buffer, or {@code from} if it holds none. */
  public static long nextOffset(ByteBuffer batches, long from) {
    long next = from;
    for (RecordBatch batch : RecordBatches.parse(batches)) {
      next = Math.max(next, batch.lastOffset() + 1);
    }
    return next;
  }
}
