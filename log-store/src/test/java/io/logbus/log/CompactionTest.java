package io.logbus.log;

import static org.assertj.core.api.Assertions.assertThat;

import io.logbus.record.Record;
import io.logbus.record.RecordBatch;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompactionTest {
  @TempDir Path dir;
  final MutableClock clock = new MutableClock(1_000_000);
  PartitionLog log;
  final LogCleaner cleaner = new LogCleaner(clock);

  static final LogConfig CONFIG =
      LogConfig.defaults()
          .with(LogConfig.FLUSH, "never")
          .with(LogConfig.SEGMENT_BYTES, "400")
          .with(LogConfig.CLEANUP_POLICY, "compact")
          .with(LogConfig.DELETE_RETENTION_MS, "10000");

  @AfterEach
  void close() {
    if (log != null) {
      log.close();
    }
  }

  PartitionLog open() {
    if (log != null) {
      log.close();
    }
    log = PartitionLog.open("t-0", dir, CONFIG, clock, null);
    return log;
  }

  /**
   * Cleans after every record is committed (the high watermark at the log end), as a leader would.
   */
  int cleanCommitted() {
    log.updateHighWatermark(log.logEndOffset());
    return cleaner.clean(log);
  }

  /** key -> (offset, value) of every record in the log, in offset order. */
  static List<String[]> contents(PartitionLog log) {
    List<String[]> out = new ArrayList<>();
    long next = log.logStartOffset();
    while (next < log.logEndOffset()) {
      List<RecordBatch> bs = TestBatches.batches(log.read(next, 1 << 16, Long.MAX_VALUE).records());
      if (bs.isEmpty()) {
        break;
      }
      for (RecordBatch b : bs) {
        for (Record r : b.records()) {
          out.add(
              new String[] {
                Long.toString(r.offset()),
                new String(r.key(), StandardCharsets.UTF_8),
                r.hasValue() ? new String(r.value(), StandardCharsets.UTF_8) : null
              });
        }
        next = b.lastOffset() + 1;
      }
    }
    return out;
  }

  @Test
  void latestValuePerKeyWinsAndOffsetsAreKept() {
    open();
    Random rnd = new Random(5);
    Map<String, Long> latestOffset = new LinkedHashMap<>();
    Map<String, String> latestValue = new LinkedHashMap<>();
    for (int i = 0; i < 60; i++) {
      String k1 = "key" + rnd.nextInt(6);
      String k2 = "key" + rnd.nextInt(6);
      LogAppendInfo info =
          log.appendAsLeader(
              TestBatches.keyed(clock.millis(), k1, "v" + i + "a", k2, "v" + i + "b"), 0);
      latestOffset.put(k1, info.firstOffset());
      latestValue.put(k1, "v" + i + "a");
      latestOffset.put(k2, info.lastOffset());
      latestValue.put(k2, "v" + i + "b");
    }
    long activeBase = log.segments.lastKey();
    long end = log.logEndOffset();
    long sizeBefore = log.sizeInBytes();
    assertThat(cleanCommitted()).isPositive();
    assertThat(log.logEndOffset()).isEqualTo(end);
    assertThat(log.sizeInBytes()).isLessThan(sizeBefore);
    List<String[]> after = contents(log);
    // Every key's latest record is still there at its offset with its value.
    for (Map.Entry<String, Long> e : latestOffset.entrySet()) {
      assertThat(after)
          .anySatisfy(
              r -> {
                assertThat(r[0]).isEqualTo(Long.toString(e.getValue()));
                assertThat(r[1]).isEqualTo(e.getKey());
                assertThat(r[2]).isEqualTo(latestValue.get(e.getKey()));
              });
    }
    // In the closed segments no key appears twice.
    List<String> closedKeys = new ArrayList<>();
    for (String[] r : after) {
      if (Long.parseLong(r[0]) < activeBase) {
        closedKeys.add(r[1]);
      }
    }
    assertThat(closedKeys).doesNotHaveDuplicates();
    // Offsets strictly increase (gaps allowed), and every offset read from a gap finds the next.
    for (int i = 1; i < after.size(); i++) {
      assertThat(Long.parseLong(after.get(i)[0]))
          .isGreaterThan(Long.parseLong(after.get(i - 1)[0]));
    }
  }

  @Test
  void segmentsAboveTheHighWatermarkAreNotCleaned() {
    open();
    for (int i = 0; i < 20; i++) {
      log.appendAsLeader(TestBatches.keyed(clock.millis(), "same", "v" + i), 0);
    }
    List<String[]> before = contents(log);
    // Nothing is committed yet: a leader change could still truncate these records, so none of
    // them may be used to drop an older value of their key.
    log.updateHighWatermark(0);

    assertThat(cleaner.clean(log)).isZero();
    assertThat(contents(log)).hasSameSizeAs(before);
  }

  @Test
  void tombstonesExpireAfterDeleteRetention() {
    open();
    log.appendAsLeader(TestBatches.keyed(clock.millis(), "a", "1", "b", "1"), 0);
    log.appendAsLeader(TestBatches.keyed(clock.millis(), "a", null), 0);
    for (int i = 0; i < 8; i++) {
      log.appendAsLeader(TestBatches.keyed(clock.millis(), "c", "x" + i), 0);
    }
    cleanCommitted();
    assertThat(contents(log)).anySatisfy(r -> assertThat(r[1]).isEqualTo("a"));
    assertThat(contents(log))
        .filteredOn(r -> r[1].equals("a"))
        .singleElement()
        .satisfies(r -> assertThat(r[2]).isNull());
    clock.advance(10_001);
    cleanCommitted();
    assertThat(contents(log)).noneSatisfy(r -> assertThat(r[1]).isEqualTo("a"));
    assertThat(contents(log)).anySatisfy(r -> assertThat(r[1]).isEqualTo("b"));
  }

  @Test
  void readFromCompactedGapReturnsNextBatch() {
    open();
    for (int i = 0; i < 20; i++) {
      log.appendAsLeader(TestBatches.keyed(clock.millis(), "same", "v" + i), 0);
    }
    cleanCommitted();
    LogReadInfo r = log.read(0, 1 << 16, Long.MAX_VALUE);
    assertThat(r.firstOffset()).isPositive();
    assertThat(TestBatches.records(r.records()).get(0).offset()).isEqualTo(r.firstOffset());
  }

  @Test
  void compactedLogSurvivesReopenAndUnfinishedSwapIsCompleted() throws Exception {
    open();
    for (int i = 0; i < 30; i++) {
      log.appendAsLeader(TestBatches.keyed(clock.millis(), "k" + (i % 3), "v" + i), 0);
    }
    cleanCommitted();
    List<String[]> expected = contents(log);
    open();
    assertThat(contents(log)).usingRecursiveComparison().isEqualTo(expected);
    // A crash after the commit point: the .swap file replaces the segment on open.
    log.close();
    long base = 0;
    Path seg = dir.resolve(LogFileNames.baseName(base) + ".log");
    Path swap = dir.resolve(LogFileNames.baseName(base) + ".log.swap");
    Files.copy(seg, swap);
    Files.write(seg, new byte[] {1, 2, 3});
    Files.write(dir.resolve(LogFileNames.baseName(base) + ".index.cleaned"), new byte[8]);
    log = PartitionLog.open("t-0", dir, CONFIG, clock, null);
    assertThat(contents(log)).usingRecursiveComparison().isEqualTo(expected);
    assertThat(swap).doesNotExist();
    assertThat(dir.resolve(LogFileNames.baseName(base) + ".index.cleaned")).doesNotExist();
  }

  @Test
  void appendsAndReadsContinueWhileCleaning() throws Exception {
    open();
    for (int i = 0; i < 40; i++) {
      log.appendAsLeader(TestBatches.keyed(clock.millis(), "k" + (i % 4), "v" + i), 0);
    }
    Thread t =
        new Thread(
            () -> {
              for (int i = 0; i < 5; i++) {
                cleanCommitted();
              }
            });
    t.start();
    for (int i = 0; i < 40; i++) {
      log.appendAsLeader(TestBatches.keyed(clock.millis(), "k" + (i % 4), "w" + i), 0);
      assertThat(contents(log)).isNotEmpty();
    }
    t.join(30_000);
    assertThat(t.isAlive()).isFalse();
    assertThat(log.logEndOffset()).isEqualTo(80);
    assertThat(contents(log)).filteredOn(r -> r[2].startsWith("w")).isNotEmpty();
  }
}
