package io.logbus.log;

import static org.assertj.core.api.Assertions.assertThat;

import io.logbus.record.RecordBatch;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One writer, several readers: a reader never sees half a batch or an offset past the end. */
class ConcurrentReadTest {
  @TempDir Path dir;
  PartitionLog log;
  ExecutorService readers;

  @AfterEach
  void close() throws Exception {
    if (readers != null) {
      readers.shutdownNow();
      readers.awaitTermination(10, TimeUnit.SECONDS);
    }
    if (log != null) {
      log.close();
    }
  }

  @Test
  void readersSeeOnlyWholeValidBatchesWhileTheWriterAppendsAndRolls() throws Exception {
    LogConfig config =
        LogConfig.defaults()
            .with(LogConfig.FLUSH, "never")
            .with(LogConfig.SEGMENT_BYTES, "20000")
            .with(LogConfig.INDEX_INTERVAL_BYTES, "500");
    log = PartitionLog.open("c-0", dir, config, new MutableClock(0), null);
    AtomicBoolean done = new AtomicBoolean();
    readers = Executors.newFixedThreadPool(2);
    List<Future<Long>> results =
        List.of(readers.submit(() -> readUntil(done)), readers.submit(() -> readUntil(done)));
    for (int i = 0; i < 2000; i++) {
      log.appendAsLeader(TestBatches.batch(1 + i % 5, i, 40 + i % 300), 0);
    }
    done.set(true);
    for (Future<Long> f : results) {
      assertThat(f.get(60, TimeUnit.SECONDS)).isPositive();
    }
    assertThat(log.segmentCount()).isGreaterThan(10);
  }

  @Test
  void readersRacingWithTruncationsNeverSeeCorruption() throws Exception {
    LogConfig config =
        LogConfig.defaults()
            .with(LogConfig.FLUSH, "never")
            .with(LogConfig.SEGMENT_BYTES, "5000")
            .with(LogConfig.INDEX_INTERVAL_BYTES, "300");
    log = PartitionLog.open("c-0", dir, config, new MutableClock(0), null);
    AtomicBoolean done = new AtomicBoolean();
    readers = Executors.newFixedThreadPool(2);
    java.util.function.Supplier<Long> reader =
        () -> {
          java.util.Random rnd = new java.util.Random();
          long reads = 0;
          while (!done.get() || reads == 0) {
            long end = log.logEndOffset();
            try {
              LogReadInfo info = log.read((long) (rnd.nextDouble() * end), 4000, Long.MAX_VALUE);
              for (RecordBatch b : TestBatches.batches(info.records())) {
                assertThat(b.isValid()).isTrue();
              }
              reads++;
            } catch (OffsetOutOfRangeException expected) {
              // the end moved back under us: a truncation, not an error
            }
          }
          return reads;
        };
    List<Future<Long>> results = List.of(readers.submit(reader::get), readers.submit(reader::get));
    for (int i = 0; i < 600; i++) {
      log.appendAsLeader(TestBatches.batch(1 + i % 4, i, 30 + i % 200), 0);
      if (i % 7 == 6) {
        log.truncateTo(Math.max(0, log.logEndOffset() - 1 - i % 9));
      }
    }
    done.set(true);
    for (Future<Long> f : results) {
      assertThat(f.get(60, TimeUnit.SECONDS)).isPositive();
    }
  }

  /** Reads from random offsets until told to stop; returns the number of batches checked. */
  private long readUntil(AtomicBoolean done) {
    java.util.Random rnd = new java.util.Random();
    long checked = 0;
    while (!done.get() || checked == 0) {
      long end = log.logEndOffset();
      long from = end == 0 ? 0 : (long) (rnd.nextDouble() * end);
      LogReadInfo info = log.read(from, 1 + rnd.nextInt(30_000), Long.MAX_VALUE);
      List<RecordBatch> batches = TestBatches.batches(info.records());
      long expectedNext = -1;
      for (RecordBatch b : batches) {
        assertThat(b.isValid()).isTrue();
        assertThat(b.lastOffset()).isLessThan(info.logEndOffset());
        if (expectedNext >= 0) {
          assertThat(b.baseOffset()).isEqualTo(expectedNext);
        }
        expectedNext = b.lastOffset() + 1;
        checked++;
      }
      if (from < end) {
        assertThat(batches).isNotEmpty();
        assertThat(batches.get(0).baseOffset()).isLessThanOrEqualTo(from);
        assertThat(batches.get(0).lastOffset()).isGreaterThanOrEqualTo(from);
      }
    }
    return checked;
  }
}
