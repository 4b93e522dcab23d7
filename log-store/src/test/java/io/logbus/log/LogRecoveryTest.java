package io.logbus.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.logbus.record.CorruptRecordException;
import io.logbus.record.RecordBatchFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash tests: a log's directory is copied while the log is open (what a crash leaves: no
 * clean-shutdown marker, checkpoints as last written), damaged, and reopened.
 */
class LogRecoveryTest {
  @TempDir Path tmp;
  final MutableClock clock = new MutableClock(1_000_000);
  final List<PartitionLog> opened = new ArrayList<>();
  static final LogConfig CONFIG =
      LogConfig.defaults()
          .with(LogConfig.SEGMENT_BYTES, "2000")
          .with(LogConfig.INDEX_INTERVAL_BYTES, "100")
          .with(LogConfig.FLUSH, "group");

  /** A stored batch: where it is and what offsets it holds. */
  record Stored(long segmentBase, long position, int size, long baseOffset, long lastOffset) {}

  @AfterEach
  void closeAll() {
    for (PartitionLog l : opened) {
      l.close();
    }
  }

  PartitionLog open(Path dir) {
    PartitionLog l = PartitionLog.open("t-0", dir, CONFIG, clock, null);
    opened.add(l);
    return l;
  }

  /** Writes random batches; returns where each went. Checkpoints are written at checkpointAt. */
  List<Stored> fill(PartitionLog log, Random rnd, int batches, int checkpointAt) {
    List<Stored> stored = new ArrayList<>();
    for (int i = 0; i < batches; i++) {
      long segBefore = log.segments.lastKey();
      LogAppendInfo info =
          log.appendAsLeader(TestBatches.batch(1 + rnd.nextInt(4), 1000 + i, rnd.nextInt(120)), 1);
      long seg = log.segments.lastKey();
      int size = info.validBytes();
      long pos = log.segments.get(seg).size() - size;
      stored.add(new Stored(seg, pos, size, info.firstOffset(), info.lastOffset()));
      assertThat(seg).isGreaterThanOrEqualTo(segBefore);
      if (i == checkpointAt) {
        log.flushCheckpoints();
      }
    }
    return stored;
  }

  Path crashCopy(Path from) throws IOException {
    return CrashCopy.of(from, tmp.resolve("crashed-" + System.nanoTime()));
  }

  static List<Long> offsetsOf(List<Stored> stored) {
    List<Long> out = new ArrayList<>();
    for (Stored s : stored) {
      for (long o = s.baseOffset(); o <= s.lastOffset(); o++) {
        out.add(o);
      }
    }
    return out;
  }

  /** Every index entry must point at a batch with the offset it names. */
  static void assertIndexesAgreeWithData(PartitionLog log) throws IOException {
    for (LogSegment s : log.segments.values()) {
      OffsetIndex idx = s.offsetIndex();
      ByteBuffer header = ByteBuffer.allocate(RecordBatchFormat.RECORD_BATCH_OVERHEAD);
      for (int i = 0; i < idx.entries(); i++) {
        int pos = OffsetIndexFormat.position(idx.buffer(), i);
        long offset = s.baseOffset() + OffsetIndexFormat.relativeOffset(idx.buffer(), i);
        header.clear();
        s.channel().read(header, pos);
        assertThat(RecordBatchFormat.baseOffset(header, 0))
            .as("%s entry %d", s, i)
            .isEqualTo(offset);
      }
      TimeIndex t = s.timeIndex();
      for (int i = 0; i < t.entries(); i++) {
        long offset = s.baseOffset() + TimeIndexFormat.relativeOffset(t.buffer(), i);
        assertThat(offset).isLessThan(s.nextOffset());
      }
    }
  }

  @RepeatedTest(8)
  void cutAtRandomPositionKeepsExactlyTheWholeBatchesBefore() throws Exception {
    Random rnd = new Random();
    Path dir = tmp.resolve("log");
    PartitionLog log = open(dir);
    List<Stored> stored = fill(log, rnd, 60, -1);
    Path crashed = crashCopy(dir);
    long lastSeg = log.segments.lastKey();
    Path file = crashed.resolve(LogFileNames.baseName(lastSeg) + ".log");
    long cut = rnd.nextInt((int) Files.size(file) + 1);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.truncate(cut);
    }
    List<Stored> expected = new ArrayList<>();
    for (Stored s : stored) {
      if (s.segmentBase() < lastSeg || s.position() + s.size() <= cut) {
        expected.add(s);
      }
    }
    PartitionLog reopened = open(crashed);
    assertThat(TestBatches.allOffsets(reopened)).isEqualTo(offsetsOf(expected));
    long expectedEnd = expected.isEmpty() ? 0 : expected.get(expected.size() - 1).lastOffset() + 1;
    assertThat(reopened.logEndOffset()).isEqualTo(Math.max(expectedEnd, lastSeg));
    long tornBytes =
        cut
            - stored.stream()
                .filter(s -> s.segmentBase() == lastSeg && s.position() + s.size() <= cut)
                .mapToLong(Stored::size)
                .sum();
    assertThat(reopened.bytesTruncatedOnOpen()).isEqualTo(tornBytes);
    assertIndexesAgreeWithData(reopened);
    // The log is usable: the next append continues at the end.
    assertThat(reopened.appendAsLeader(TestBatches.batch(1, 1), 2).firstOffset())
        .isEqualTo(reopened.logEndOffset() - 1);
  }

  @RepeatedTest(8)
  void flippedByteAfterRecoveryPointCutsFromItsBatch() throws Exception {
    Random rnd = new Random();
    Path dir = tmp.resolve("log");
    PartitionLog log = open(dir);
    List<Stored> stored = fill(log, rnd, 60, 20);
    long recoveryPoint = stored.get(20).lastOffset() + 1;
    Path crashed = crashCopy(dir);
    long recoverFrom = log.segments.floorKey(recoveryPoint);
    List<Stored> candidates = stored.stream().filter(s -> s.segmentBase() >= recoverFrom).toList();
    Stored victim = candidates.get(rnd.nextInt(candidates.size()));
    // Bytes 0-7 (baseOffset) and 12-15 (leader epoch) are outside the CRC by design.
    int within;
    do {
      within = rnd.nextInt(victim.size());
    } while (within < 8 || (within >= 12 && within < 16));
    Path file = crashed.resolve(LogFileNames.baseName(victim.segmentBase()) + ".log");
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer one = ByteBuffer.allocate(1);
      ch.read(one, victim.position() + within);
      one.put(0, (byte) (one.get(0) ^ (1 << rnd.nextInt(8))));
      one.clear();
      ch.write(one, victim.position() + within);
    }
    List<Stored> expected = stored.subList(0, stored.indexOf(victim));
    PartitionLog reopened = open(crashed);
    assertThat(TestBatches.allOffsets(reopened)).isEqualTo(offsetsOf(expected));
    assertThat(reopened.bytesTruncatedOnOpen()).isPositive();
    assertIndexesAgreeWithData(reopened);
  }

  @Test
  void segmentsBeforeRecoveryPointAreTrustedButCorruptBatchesAreNeverServed() throws Exception {
    Path dir = tmp.resolve("log");
    PartitionLog log = open(dir);
    List<Stored> stored = fill(log, new Random(1), 60, 59);
    Path crashed = crashCopy(dir);
    // A flip in the first segment, below the recovery point, is not rescanned on open ...
    Stored first = stored.get(0);
    Path file = crashed.resolve(LogFileNames.baseName(first.segmentBase()) + ".log");
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {0x55}), first.position() + first.size() - 1);
    }
    PartitionLog reopened = open(crashed);
    assertThat(reopened.bytesTruncatedOnOpen()).isZero();
    // ... but the read path checks every CRC and names the file and position.
    assertThatThrownBy(() -> reopened.read(0, 1 << 20, Long.MAX_VALUE))
        .isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining(LogFileNames.baseName(first.segmentBase()) + ".log")
        .hasMessageContaining("position " + first.position());
    Stored second = stored.get(1);
    assertThat(reopened.read(second.baseOffset(), 1, Long.MAX_VALUE).firstOffset())
        .isEqualTo(second.baseOffset());
  }

  @Test
  void deletedOrGarbledIndexesAreRebuilt() throws Exception {
    Path dir = tmp.resolve("log");
    PartitionLog log = open(dir);
    List<Stored> stored = fill(log, new Random(2), 80, 79);
    log.close();
    opened.remove(log);
    long[] bases = log.segments.keySet().stream().mapToLong(Long::longValue).toArray();
    assertThat(bases.length).isGreaterThan(3);
    Files.delete(dir.resolve(LogFileNames.baseName(bases[0]) + ".index"));
    Files.write(dir.resolve(LogFileNames.baseName(bases[1]) + ".index"), new byte[1003]);
    byte[] garbage = new byte[64];
    new Random(3).nextBytes(garbage);
    Files.write(dir.resolve(LogFileNames.baseName(bases[2]) + ".index"), garbage);
    Files.delete(dir.resolve(LogFileNames.baseName(bases[3]) + ".timeindex"));
    PartitionLog reopened = open(dir);
    assertThat(TestBatches.allOffsets(reopened)).isEqualTo(offsetsOf(stored));
    assertIndexesAgreeWithData(reopened);
    for (Stored s : stored) {
      assertThat(reopened.read(s.lastOffset(), 1, Long.MAX_VALUE).firstOffset())
          .isEqualTo(s.baseOffset());
    }
  }

  @Test
  void uncleanOpenRebuildsProducerStateAndEpochs() throws Exception {
    Path dir = tmp.resolve("log");
    PartitionLog log = open(dir);
    log.appendAsLeader(TestBatches.idempotent(42, (short) 0, 0, 3), 4);
    log.appendAsLeader(TestBatches.batch(2, 1), 6);
    Path crashed = crashCopy(dir);
    Files.deleteIfExists(crashed.resolve(LogFileNames.LEADER_EPOCH_CHECKPOINT));
    PartitionLog reopened = open(crashed);
    assertThat(reopened.latestEpoch()).hasValue(6);
    assertThat(reopened.endOffsetForEpoch(4)).isEqualTo(new EpochEndOffset(4, 3));
    LogAppendInfo dup = reopened.appendAsLeader(TestBatches.idempotent(42, (short) 0, 0, 3), 7);
    assertThat(dup.duplicate()).isTrue();
    assertThat(dup.firstOffset()).isZero();
    assertThat(dup.lastOffset()).isEqualTo(2);
    assertThat(reopened.logEndOffset()).isEqualTo(5);
  }

  @Test
  void damagedCheckpointsAreRebuiltFromTheLog() throws Exception {
    Path dir = tmp.resolve("log");
    PartitionLog log = open(dir);
    log.appendAsLeader(TestBatches.idempotent(5, (short) 0, 0, 2), 3);
    log.appendAsLeader(TestBatches.batch(2, 1), 4);
    log.updateHighWatermark(4);
    log.close();
    opened.remove(log);
    for (String f :
        new String[] {
          LogFileNames.LEADER_EPOCH_CHECKPOINT,
          LogFileNames.RECOVERY_POINT_CHECKPOINT,
          LogFileNames.HIGH_WATERMARK_CHECKPOINT,
          LogFileNames.PRODUCER_STATE_CHECKPOINT
        }) {
      Files.writeString(dir.resolve(f), "0\n1\nnot a number\n");
    }
    PartitionLog reopened = open(dir);
    assertThat(reopened.logEndOffset()).isEqualTo(4);
    assertThat(reopened.epochEntries()).containsExactly(new long[] {3, 0}, new long[] {4, 2});
    assertThat(reopened.highWatermark()).isZero();
    assertThat(reopened.appendAsLeader(TestBatches.idempotent(5, (short) 0, 0, 2), 4).duplicate())
        .isTrue();
  }
}
