package io.logbus.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LogManagerTest {
  @TempDir Path dir;
  final MutableClock clock = new MutableClock(1_000_000);
  LogManager manager;
  ExecutorService pool;

  @AfterEach
  void close() throws Exception {
    if (pool != null) {
      pool.shutdownNow();
      pool.awaitTermination(10, TimeUnit.SECONDS);
    }
    if (manager != null) {
      manager.close();
    }
  }

  LogManager open() {
    if (manager != null) {
      manager.close();
    }
    manager = LogManager.open(dir, LogConfig.defaults(), clock, null);
    return manager;
  }

  @Test
  void createsOneDirectoryPerPartitionAndReopensThem() {
    open();
    PartitionLog a = manager.getOrCreate("orders", 3, LogConfig.defaults());
    a.appendAsLeader(TestBatches.batch(4, 1), 0);
    manager.getOrCreate("my-topic.v2", 0, LogConfig.defaults());
    assertThat(dir.resolve("orders-3")).isDirectory();
    assertThat(a.name()).isEqualTo("orders-3");
    assertThat(a.dir()).isEqualTo(dir.resolve("orders-3"));
    open();
    assertThat(manager.logs()).hasSize(2);
    assertThat(manager.get("orders", 3))
        .get()
        .satisfies(l -> assertThat(l.logEndOffset()).isEqualTo(4));
    assertThat(manager.get("my-topic.v2", 0)).isPresent();
    assertThat(manager.get("orders", 4)).isEmpty();
  }

  @Test
  void getOrCreateReturnsTheSameLogAndAppliesTheConfig() {
    open();
    PartitionLog a = manager.getOrCreate("t", 0, LogConfig.defaults());
    LogConfig compact = LogConfig.defaults().with(LogConfig.CLEANUP_POLICY, "compact");
    assertThat(manager.getOrCreate("t", 0, compact)).isSameAs(a);
    assertThat(a.config()).isEqualTo(compact);
    manager.updateConfig("t", 0, LogConfig.defaults());
    assertThat(a.config()).isEqualTo(LogConfig.defaults());
  }

  @Test
  void deleteRemovesTheFiles() {
    open();
    manager.getOrCreate("t", 1, LogConfig.defaults()).appendAsLeader(TestBatches.batch(1, 1), 0);
    manager.delete("t", 1);
    assertThat(dir.resolve("t-1")).doesNotExist();
    assertThat(manager.get("t", 1)).isEmpty();
    manager.delete("t", 1);
  }

  @Test
  void badNamesAndPartitionsAreRejected() {
    open();
    for (String bad : new String[] {"", ".", "..", "a/b", "x y", "a".repeat(250)}) {
      assertThatThrownBy(() -> manager.getOrCreate(bad, 0, LogConfig.defaults()))
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> manager.getOrCreate(null, 0, LogConfig.defaults()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> manager.getOrCreate("t", -1, LogConfig.defaults()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> manager.getOrCreate("t", 0, null))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> manager.updateConfig("absent", 0, LogConfig.defaults()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> LogManager.open(dir, LogConfig.defaults(), clock, java.time.Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /** One flusher, and several whose fsyncs of one log overlap (the default). */
  @ParameterizedTest
  @ValueSource(ints = {1, LogManager.FLUSHER_THREADS})
  void groupFlushWithConcurrentAppendersCompletesEveryFutureInOffsetOrder(int flusherThreads)
      throws Exception {
    manager = LogManager.open(dir, LogConfig.defaults(), clock, null, flusherThreads);
    PartitionLog log = manager.getOrCreate("g", 0, LogConfig.defaults());
    int appenders = 8;
    int perAppender = 200;
    pool = Executors.newFixedThreadPool(appenders);
    CountDownLatch start = new CountDownLatch(1);
    java.util.concurrent.ConcurrentSkipListMap<Long, CompletableFuture<Void>> byOffset =
        new java.util.concurrent.ConcurrentSkipListMap<>();
    List<Long> outOfOrder = java.util.Collections.synchronizedList(new ArrayList<>());
    List<Future<List<LogAppendInfo>>> results = new ArrayList<>();
    for (int t = 0; t < appenders; t++) {
      results.add(
          pool.submit(
              () -> {
                start.await();
                List<LogAppendInfo> infos = new ArrayList<>();
                for (int i = 0; i < perAppender; i++) {
                  LogAppendInfo info = log.appendAsLeader(TestBatches.batch(2, 1, 100), 0);
                  byOffset.put(info.lastOffset(), info.durable());
                  info.durable()
                      .thenRun(
                          () -> {
                            // Completed in offset order: nothing earlier may still be waiting.
                            if (!byOffset.headMap(info.lastOffset()).values().stream()
                                .allMatch(CompletableFuture::isDone)) {
                              outOfOrder.add(info.lastOffset());
                            }
                          });
                  infos.add(info);
                }
                return infos;
              }));
    }
    start.countDown();
    List<LogAppendInfo> all = new ArrayList<>();
    for (Future<List<LogAppendInfo>> f : results) {
      all.addAll(f.get(60, TimeUnit.SECONDS));
    }
    all.sort((a, b) -> Long.compare(a.firstOffset(), b.firstOffset()));
    CompletableFuture.allOf(
            all.stream().map(LogAppendInfo::durable).toArray(CompletableFuture[]::new))
        .get(60, TimeUnit.SECONDS);
    assertThat(outOfOrder).isEmpty();
    assertThat(log.logEndOffset()).isEqualTo(2L * appenders * perAppender);
    assertThat(log.recoveryPoint()).isEqualTo(log.logEndOffset());
    for (int i = 1; i < all.size(); i++) {
      assertThat(all.get(i).firstOffset()).isEqualTo(all.get(i - 1).lastOffset() + 1);
    }
    assertThat(TestBatches.allOffsets(log)).hasSize(2 * appenders * perAppender);
  }

  @Test
  void flusherThreadCountBelowOneIsRejected() {
    assertThatThrownBy(() -> LogManager.open(dir, LogConfig.defaults(), clock, null, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 1, not 0");
  }

  @Test
  void backgroundPassRunsRetentionAndWritesCheckpoints() throws Exception {
    open();
    LogConfig cfg =
        LogConfig.defaults()
            .with(LogConfig.SEGMENT_BYTES, "300")
            .with(LogConfig.RETENTION_MS, "1000")
            .with(LogConfig.FLUSH, "never");
    PartitionLog log = manager.getOrCreate("r", 0, cfg);
    for (int i = 0; i < 6; i++) {
      log.appendAsLeader(TestBatches.batch(2, clock.millis(), 50), 0);
    }
    log.updateHighWatermark(log.logEndOffset());
    clock.advance(5000);
    manager.runBackgroundPass();
    assertThat(log.logStartOffset()).isPositive();
    assertThat(
            Files.readAllLines(dir.resolve("r-0").resolve(LogFileNames.HIGH_WATERMARK_CHECKPOINT)))
        .containsExactly("0", "1", Long.toString(log.logEndOffset()));
  }

  @Test
  void closeWritesCleanShutdownMarkers() {
    open();
    manager.getOrCreate("c", 0, LogConfig.defaults()).appendAsLeader(TestBatches.batch(1, 1), 0);
    manager.close();
    assertThat(dir.resolve("c-0").resolve(LogFileNames.CLEAN_SHUTDOWN_MARKER)).exists();
    assertThatThrownBy(() -> manager.getOrCreate("c", 0, LogConfig.defaults()))
        .isInstanceOf(IllegalStateException.class);
    manager = null;
  }

  @Test
  void flushNeverStillFsyncsRolledSegmentsInTheBackground() {
    open();
    LogConfig cfg =
        LogConfig.defaults().with(LogConfig.FLUSH, "never").with(LogConfig.SEGMENT_BYTES, "300");
    PartitionLog log = manager.getOrCreate("n", 0, cfg);
    LogAppendInfo first = log.appendAsLeader(TestBatches.batch(2, 1, 50), 0);
    assertThat(first.durable()).isDone();
    assertThat(log.recoveryPoint()).isZero();
    for (int i = 0; i < 3; i++) {
      log.appendAsLeader(TestBatches.batch(2, 1, 50), 0);
    }
    assertThat(log.segmentCount()).isGreaterThan(1);
    long rolledEnd = log.segments.lastKey();
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(10))
        .until(() -> log.recoveryPoint() >= rolledEnd);
  }

  @Test
  void deletingALogWithPendingFlushesFailsThemAndLeavesTheFlusherIdle() throws Exception {
    open();
    PartitionLog log = manager.getOrCreate("d", 0, LogConfig.defaults());
    List<CompletableFuture<Void>> futures = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      futures.add(log.appendAsLeader(TestBatches.batch(1, 1), 0).durable());
    }
    manager.delete("d", 0);
    for (CompletableFuture<Void> f : futures) {
      // Either flushed before the delete or failed by it; none is left waiting.
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(f::isDone);
    }
    long fsyncs = log.groupFsyncCount();
    PartitionLog other = manager.getOrCreate("d", 1, LogConfig.defaults());
    other.appendAsLeader(TestBatches.batch(1, 1), 0).durable().get(10, TimeUnit.SECONDS);
    assertThat(log.groupFsyncCount()).isEqualTo(fsyncs);
  }
}
