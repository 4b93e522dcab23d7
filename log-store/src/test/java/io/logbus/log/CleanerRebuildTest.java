package io.logbus.log;

import static org.assertj.core.api.Assertions.assertThat;

import io.logbus.record.CompressionType;
import io.logbus.record.Header;
import io.logbus.record.Record;
import io.logbus.record.RecordBatch;
import io.logbus.record.RecordBatchBuilder;
import io.logbus.record.RecordBatchFormat;
import io.logbus.record.TimestampType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.utils.internals.BufferSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A partly cleaned batch keeps its header as Kafka's cleaner keeps it: Kafka's own {@code
 * MemoryRecords.filterTo}, given the same batch and the same surviving records, is the oracle (byte
 * for byte: uncompressed batches without tombstones, where Kafka sets no delete horizon).
 */
class CleanerRebuildTest {
  @TempDir Path dir;
  PartitionLog log;

  @AfterEach
  void close() {
    if (log != null) {
      log.close();
    }
  }

  /** Five keyed records at offsets 100..104 with distinct timestamps and a header. */
  static RecordBatchBuilder fiveRecords() {
    RecordBatchBuilder b =
        new RecordBatchBuilder(CompressionType.NONE, 100).partitionLeaderEpoch(7);
    for (int i = 0; i < 5; i++) {
      b.append(
          1_000 + i * 10,
          ("k" + i).getBytes(StandardCharsets.UTF_8),
          ("v" + i).getBytes(StandardCharsets.UTF_8),
          List.of(new Header("h", new byte[] {(byte) i})));
    }
    return b;
  }

  /**
   * A copy of {@code batch} with header fields the builder refuses (as a Kafka producer or broker
   * may write them).
   */
  static ByteBuffer patch(ByteBuffer batch, int attributesOr, Long producerId, Long maxTimestamp) {
    ByteBuffer b = ByteBuffer.allocate(batch.remaining()).put(batch.duplicate()).flip();
    b.putShort(
        RecordBatchFormat.ATTRIBUTES_OFFSET,
        (short) (RecordBatchFormat.attributes(b, 0) | attributesOr));
    if (producerId != null) {
      b.putLong(RecordBatchFormat.PRODUCER_ID_OFFSET, producerId);
      b.putShort(RecordBatchFormat.PRODUCER_EPOCH_OFFSET, (short) 3);
    }
    if (maxTimestamp != null) {
      b.putLong(RecordBatchFormat.MAX_TIMESTAMP_OFFSET, maxTimestamp);
    }
    RecordBatchFormat.writeCrc(b, 0, b.limit());
    return b;
  }

  static ByteBuffer ours(ByteBuffer batch, Set<Long> keepOffsets) {
    RecordBatch original = new RecordBatch(batch.duplicate());
    List<Record> keep = new ArrayList<>();
    for (Record r : original.records()) {
      if (keepOffsets.contains(r.offset())) {
        keep.add(r);
      }
    }
    return CleanedBatches.rebuild(original, keep);
  }

  static ByteBuffer kafkas(ByteBuffer batch, Set<Long> keepOffsets) {
    return kafkas(batch, keepOffsets, MemoryRecords.RecordFilter.BatchRetention.DELETE_EMPTY);
  }

  static ByteBuffer kafkas(
      ByteBuffer batch,
      Set<Long> keepOffsets,
      MemoryRecords.RecordFilter.BatchRetention retention) {
    ByteBuffer out = ByteBuffer.allocate(batch.remaining() * 2);
    MemoryRecords.readableRecords(batch.duplicate())
        .filterTo(
            new MemoryRecords.RecordFilter(0, 0) {
              @Override
              protected BatchRetentionResult checkBatchRetention(
                  org.apache.kafka.common.record.internal.RecordBatch b) {
                return new BatchRetentionResult(retention, false);
              }

              @Override
              protected boolean shouldRetainRecord(
                  org.apache.kafka.common.record.internal.RecordBatch b,
                  org.apache.kafka.common.record.internal.Record r) {
                return keepOffsets.contains(r.offset());
              }
            },
            out,
            BufferSupplier.create(),
            1 << 20);
    out.flip();
    return out;
  }

  static void assertSameAsKafka(ByteBuffer batch, Set<Long> keep) {
    ByteBuffer ours = ours(batch, keep);
    assertThat(new RecordBatch(ours.duplicate()).isValid()).isTrue();
    assertThat(ours).isEqualTo(kafkas(batch, keep));
  }

  /**
   * Kafka's builder refuses to write such a header ("Invalid negative sequence number"), and a
   * logbus leader refuses such a batch, but a follower stores what it is given: the cleaner must
   * not fail on it. The oracle is Kafka's rebuild of the batch without the producer id, with the
   * same producer fields set afterwards.
   */
  @Test
  void producerIdWithoutSequenceIsKept() {
    ByteBuffer plain = fiveRecords().build();
    ByteBuffer batch = patch(plain, 0, 42L, null);
    assertThat(RecordBatchFormat.baseSequence(batch, 0)).isEqualTo(RecordBatchFormat.NO_SEQUENCE);
    ByteBuffer rebuilt = ours(batch, Set.of(101L, 103L));
    RecordBatch r = new RecordBatch(rebuilt);
    assertThat(r.producerId()).isEqualTo(42);
    assertThat(r.producerEpoch()).isEqualTo((short) 3);
    assertThat(r.baseSequence()).isEqualTo(RecordBatchFormat.NO_SEQUENCE);
    assertThat(rebuilt).isEqualTo(patch(kafkas(plain, Set.of(101L, 103L)), 0, 42L, null));
  }

  @Test
  void logAppendTimeWithoutATimestampIsKept() {
    ByteBuffer batch = patch(fiveRecords().build(), 0x08, null, -1L);
    RecordBatch r = new RecordBatch(ours(batch, Set.of(100L, 104L)));
    assertThat(r.timestampType()).isEqualTo(TimestampType.LOG_APPEND_TIME);
    assertThat(r.maxTimestamp()).isEqualTo(-1);
    assertSameAsKafka(batch, Set.of(100L, 104L));
  }

  @Test
  void logAppendTimeKeepsTheAppendTimeEvenWhenItsRecordIsGone() {
    ByteBuffer batch = fiveRecords().logAppendTime(9_999).build();
    RecordBatch r = new RecordBatch(ours(batch, Set.of(100L)));
    assertThat(r.maxTimestamp()).isEqualTo(9_999);
    assertSameAsKafka(batch, Set.of(100L));
  }

  @Test
  void createTimeMaxTimestampIsTheSurvivorsLargest() {
    ByteBuffer batch = fiveRecords().build();
    RecordBatch r = new RecordBatch(ours(batch, Set.of(100L, 102L)));
    assertThat(r.maxTimestamp()).isEqualTo(1_020);
    assertSameAsKafka(batch, Set.of(100L, 102L));
  }

  @Test
  void transactionalFlagAndSequencesAreKept() {
    ByteBuffer batch = fiveRecords().producer(7, (short) 1, 10).transactional(true).build();
    RecordBatch r = new RecordBatch(ours(batch, Set.of(101L, 102L)));
    assertThat(r.isTransactional()).isTrue();
    assertThat(r.baseOffset()).isEqualTo(100);
    assertThat(r.baseSequence()).isEqualTo(10);
    assertThat(r.lastOffset()).isEqualTo(104);
    assertThat(r.lastSequence()).isEqualTo(14);
    assertThat(r.recordCount()).isEqualTo(2);
    assertSameAsKafka(batch, Set.of(101L, 102L));
  }

  @Test
  void controlFlagIsKept() {
    ByteBuffer batch =
        patch(
            fiveRecords().producer(7, (short) 1, 0).transactional(true).build(),
            RecordBatchFormat.CONTROL_FLAG_MASK,
            null,
            null);
    RecordBatch r = new RecordBatch(ours(batch, Set.of(104L)));
    assertThat(r.isControlBatch()).isTrue();
    assertThat(r.isTransactional()).isTrue();
    assertSameAsKafka(batch, Set.of(104L));
  }

  @Test
  void compressedBatchKeepsItsCodecAndRecords() {
    RecordBatchBuilder b =
        new RecordBatchBuilder(CompressionType.GZIP, 100).producer(7, (short) 0, 0);
    for (int i = 0; i < 5; i++) {
      b.append(1_000 + i, ("k" + i).getBytes(StandardCharsets.UTF_8), new byte[] {1}, null);
    }
    ByteBuffer batch = b.build();
    RecordBatch r = new RecordBatch(ours(batch, Set.of(103L)));
    assertThat(r.compression()).isEqualTo(CompressionType.GZIP);
    assertThat(r.lastOffset()).isEqualTo(104);
    List<Long> offsets = new ArrayList<>();
    r.records().forEach(rec -> offsets.add(rec.offset()));
    assertThat(offsets).containsExactly(103L);
    RecordBatch k = new RecordBatch(kafkas(batch, Set.of(103L)));
    assertThat(r.attributes()).isEqualTo(k.attributes());
    assertThat(r.lastOffset()).isEqualTo(k.lastOffset());
  }

  @Test
  void emptiedProducerBatchKeepsItsHeaderAsKafkasRetainEmpty() {
    for (io.logbus.record.CompressionType codec :
        List.of(io.logbus.record.CompressionType.NONE, io.logbus.record.CompressionType.GZIP)) {
      RecordBatchBuilder b =
          new RecordBatchBuilder(codec, 100)
              .partitionLeaderEpoch(4)
              .producer(7, (short) 2, 10)
              .transactional(true);
      for (int i = 0; i < 3; i++) {
        b.append(1_000 + i, ("k" + i).getBytes(StandardCharsets.UTF_8), new byte[] {1}, null);
      }
      ByteBuffer batch = b.build();
      ByteBuffer ours = CleanedBatches.emptyOf(new RecordBatch(batch.duplicate()));
      RecordBatch r = new RecordBatch(ours.duplicate());
      assertThat(r.isValid()).isTrue();
      assertThat(r.recordCount()).isZero();
      assertThat(r.lastOffset()).isEqualTo(102);
      assertThat(r.lastSequence()).isEqualTo(12);
      ByteBuffer k =
          kafkas(batch, Set.of(), MemoryRecords.RecordFilter.BatchRetention.RETAIN_EMPTY);
      assertThat(ours).isEqualTo(k);
    }
  }

  /**
   * The producer's last batch loses all its records, an earlier one of the same producer too: the
   * last keeps its header, the earlier one goes, and the state rebuilt after a crash still expects
   * the sequence after the last batch.
   */
  @Test
  void emptiedLastBatchOfAProducerKeepsItsSequenceAcrossARebuild() throws Exception {
    MutableClock clock = new MutableClock(1_000_000);
    log = PartitionLog.open("t-0", dir.resolve("t-0"), CompactionTest.CONFIG, clock, null);
    log.appendAsLeader(keyedIdempotent(9, 0, clock.millis(), "a", "b"), 0);
    log.appendAsLeader(keyedIdempotent(9, 2, clock.millis(), "c", "d"), 0);
    log.appendAsLeader(
        TestBatches.keyed(clock.millis(), "a", "x", "b", "x", "c", "x", "d", "x"), 0);
    log.roll();
    log.updateHighWatermark(log.logEndOffset());
    assertThat(new LogCleaner(clock).clean(log)).isPositive();
    List<RecordBatch> left = TestBatches.batches(log.read(0, 1 << 16, 8).records());
    assertThat(left).extracting(RecordBatch::baseOffset).containsExactly(2L, 4L);
    assertThat(left.get(0).recordCount()).isZero();
    assertThat(left.get(0).lastSequence()).isEqualTo(3);
    // Cleaning again keeps the empty header as it is.
    assertThat(new LogCleaner(clock).clean(log)).isZero();
    Path crashed = crashCopy(dir.resolve("t-0"));
    log.close();
    log = PartitionLog.open("t-0", crashed, CompactionTest.CONFIG, clock, null);
    assertThat(log.producerState().batchesOf(9)).extracting(b -> b.lastSeq()).containsExactly(3);
    assertThat(log.appendAsLeader(TestBatches.idempotent(9, (short) 0, 4, 1), 0).duplicate())
        .isFalse();
  }

  static ByteBuffer keyedIdempotent(long pid, int baseSequence, long timestamp, String... keys) {
    RecordBatchBuilder b =
        new RecordBatchBuilder(io.logbus.record.CompressionType.NONE, 0)
            .producer(pid, (short) 0, baseSequence);
    for (String k : keys) {
      b.append(timestamp, k.getBytes(StandardCharsets.UTF_8), new byte[] {1}, null);
    }
    return b.build();
  }

  Path crashCopy(Path from) throws java.io.IOException {
    return CrashCopy.of(from, dir.resolve("crashed-" + System.nanoTime()));
  }

  /**
   * The producer's last batch loses its last record to compaction; after a crash the producer state
   * is rebuilt from the cleaned log and must still expect the sequence after the batch.
   */
  @Test
  void producerStateRebuiltFromACleanedBatchKeepsTheLastSequence() throws Exception {
    LogConfig cfg = CompactionTest.CONFIG;
    MutableClock clock = new MutableClock(1_000_000);
    log = PartitionLog.open("t-0", dir.resolve("t-0"), cfg, clock, null);
    RecordBatchBuilder idem =
        new RecordBatchBuilder(CompressionType.NONE, 0).producer(9, (short) 0, 0);
    idem.append(clock.millis(), "a".getBytes(StandardCharsets.UTF_8), new byte[] {1}, null);
    idem.append(clock.millis(), "b".getBytes(StandardCharsets.UTF_8), new byte[] {2}, null);
    log.appendAsLeader(idem.build(), 0);
    log.appendAsLeader(TestBatches.keyed(clock.millis(), "b", "newer"), 0);
    log.roll();
    log.updateHighWatermark(log.logEndOffset());
    assertThat(new LogCleaner(clock).clean(log)).isEqualTo(1);
    RecordBatch cleaned = TestBatches.batches(log.read(0, 1 << 16, 2).records()).get(0);
    assertThat(cleaned.recordCount()).isEqualTo(1);
    assertThat(cleaned.lastSequence()).isEqualTo(1);
    // Crash copy: producer state is rebuilt from the batch headers.
    Path crashed = crashCopy(dir.resolve("t-0"));
    log.close();
    log = PartitionLog.open("t-0", crashed, cfg, clock, null);
    assertThat(log.producerState().batchesOf(9)).hasSize(1);
    assertThat(log.producerState().batchesOf(9).get(0).lastSeq()).isEqualTo(1);
    assertThat(log.appendAsLeader(TestBatches.idempotent(9, (short) 0, 2, 1), 0).duplicate())
        .isFalse();
  }
}
