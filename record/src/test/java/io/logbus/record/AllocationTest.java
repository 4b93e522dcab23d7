package io.logbus.record;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Allocation review of the hot paths without JMH: HotSpot's per-thread allocation counter around
 * many appends and reads. Appending allocates nothing per record; reading allocates one small
 * {@link Record} view per record and nothing else unless the caller copies a key or value.
 */
class AllocationTest {
  private static final int RECORDS = 20_000;
  private static final byte[] KEY = "key-0123456789".getBytes(UTF_8);
  private static final byte[] VALUE = new byte[100];
  private static final List<Header> HEADERS = List.of(new Header("trace", KEY));

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  private static long allocated() {
    return THREADS.getThreadAllocatedBytes(Thread.currentThread().getId());
  }

  private static ByteBuffer build(RecordBatchBuilder builder) {
    for (int i = 0; i < RECORDS; i++) {
      builder.append(1_000L + i, KEY, VALUE, HEADERS);
    }
    return builder.build();
  }

  @Test
  void appendingToAPresizedBuilderAllocatesNothingPerRecord() {
    build(new RecordBatchBuilder(CompressionType.NONE, 0L, 4 << 20)); // warm up
    RecordBatchBuilder builder = new RecordBatchBuilder(CompressionType.NONE, 0L, 4 << 20);
    long before = allocated();
    for (int i = 0; i < RECORDS; i++) {
      builder.append(1_000L + i, KEY, VALUE, HEADERS);
    }
    long perRecord = (allocated() - before) / RECORDS;
    assertThat(perRecord).as("bytes allocated per append").isZero();
  }

  @Test
  void readingAllocatesOneSmallViewPerRecord() {
    ByteBuffer batch = build(new RecordBatchBuilder(CompressionType.NONE, 0L, 4 << 20));
    RecordBatch view = new RecordBatch(batch);
    long checksum = readAll(view); // warm up
    long before = allocated();
    checksum += readAll(view);
    long perRecord = (allocated() - before) / RECORDS;
    assertThat(checksum).isNotZero();
    // A Record is a 12-byte header, one reference, two longs and seven ints: about 64 bytes.
    assertThat(perRecord).as("bytes allocated per record read").isLessThanOrEqualTo(72);
  }

  @Test
  void validatingRecordsAllocatesNothingPerRecord() {
    RecordBatch view = new RecordBatch(build(new RecordBatchBuilder(CompressionType.NONE, 0L)));
    view.ensureRecordsValid(); // warm up
    long before = allocated();
    view.ensureRecordsValid();
    assertThat((allocated() - before) / RECORDS).as("bytes per record validated").isZero();
  }

  private static long readAll(RecordBatch batch) {
    long sum = 0;
    for (Iterator<Record> it = batch.records().iterator(); it.hasNext(); ) {
      Record r = it.next();
      sum += r.offset() + r.timestamp() + r.keySize() + r.valueSize() + r.headerCount();
    }
    return sum;
  }
}
