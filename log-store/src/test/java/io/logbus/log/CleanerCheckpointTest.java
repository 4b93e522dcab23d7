package io.logbus.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** cleaner-offset-checkpoint: compaction progress survives a restart; damage falls back safely. */
class CleanerCheckpointTest {
  @TempDir Path dir;
  final MutableClock clock = new MutableClock(1_000_000);
  PartitionLog log;

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
    log = PartitionLog.open("t-0", dir, CompactionTest.CONFIG, clock, null);
    return log;
  }

  Path checkpoint() {
    return dir.resolve(LogFileNames.CLEANER_OFFSET_CHECKPOINT);
  }

  /** Several closed segments of keyed records, all committed, cleaned once; returns the offset. */
  long writeAndClean() {
    open();
    for (int i = 0; i < 40; i++) {
      log.appendAsLeader(TestBatches.keyed(clock.millis(), "k" + (i % 3), "v" + i), 0);
    }
    log.updateHighWatermark(log.logEndOffset());
    LogCleaner cleaner = new LogCleaner(clock);
    assertThat(cleaner.maybeClean(log)).isPositive();
    return cleaner.firstDirtyOffset(log);
  }

  @Test
  void cleaningWritesTheCheckpointAtomically() throws IOException {
    long cleanedTo = writeAndClean();
    assertThat(cleanedTo).isEqualTo(log.segments.lastKey());
    assertThat(Files.readAllLines(checkpoint()))
        .containsExactly("0", "1", Long.toString(cleanedTo));
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
    }
  }

  @Test
  void restartReadsTheCheckpointAndDoesNotCleanAgain() {
    long cleanedTo = writeAndClean();
    open();
    LogCleaner fresh = new LogCleaner(clock);
    assertThat(fresh.firstDirtyOffset(log)).isEqualTo(cleanedTo);
    assertThat(fresh.maybeClean(log)).isZero();
    assertThat(fresh.cleaningsRun()).isZero();
  }

  @Test
  void withoutACheckpointTheWholeLogIsDirty() throws IOException {
    writeAndClean();
    open();
    Files.delete(checkpoint());
    LogCleaner fresh = new LogCleaner(clock);
    assertThat(fresh.firstDirtyOffset(log)).isEqualTo(log.logStartOffset());
    fresh.maybeClean(log);
    assertThat(fresh.cleaningsRun()).isEqualTo(1);
  }

  @Test
  void garbageCheckpointFallsBackToACompleteCleaningAndIsRewritten() throws IOException {
    long cleanedTo = writeAndClean();
    open();
    Files.write(checkpoint(), new byte[] {0x00, (byte) 0xff, '\n', 'x', 0x7f, '\n', '?'});
    LogCleaner fresh = new LogCleaner(clock);
    assertThat(fresh.firstDirtyOffset(log)).isEqualTo(log.logStartOffset());
    fresh.maybeClean(log);
    assertThat(fresh.cleaningsRun()).isEqualTo(1);
    assertThat(Files.readAllLines(checkpoint()))
        .containsExactly("0", "1", Long.toString(cleanedTo));
  }

  @Test
  void checkpointWithTheWrongEntryCountFallsBack() throws IOException {
    writeAndClean();
    open();
    Files.writeString(checkpoint(), "0\n2\n5\n6\n");
    assertThat(new LogCleaner(clock).firstDirtyOffset(log)).isEqualTo(log.logStartOffset());
  }

  @Test
  void checkpointBeyondTheLogEndFallsBack() throws IOException {
    writeAndClean();
    open();
    Files.write(checkpoint(), List.of("0", "1", Long.toString(log.logEndOffset() + 1)));
    assertThat(new LogCleaner(clock).firstDirtyOffset(log)).isEqualTo(log.logStartOffset());
  }

  @Test
  void checkpointBelowTheLogStartCountsFromTheStart() throws IOException {
    writeAndClean();
    log.truncateFullyAndStartAt(500);
    Files.write(checkpoint(), List.of("0", "1", "3"));
    assertThat(new LogCleaner(clock).firstDirtyOffset(log)).isEqualTo(500);
  }

  @Test
  void deletedLogIsForgottenByTheManagersCleaner() {
    try (LogManager manager =
        LogManager.open(dir.resolve("logs"), CompactionTest.CONFIG, clock, null)) {
      PartitionLog l = manager.getOrCreate("c", 0, CompactionTest.CONFIG);
      for (int i = 0; i < 40; i++) {
        l.appendAsLeader(TestBatches.keyed(clock.millis(), "k" + (i % 3), "v" + i), 0);
      }
      l.updateHighWatermark(l.logEndOffset());
      manager.runBackgroundPass();
      assertThat(l.dir().resolve(LogFileNames.CLEANER_OFFSET_CHECKPOINT)).exists();
      manager.delete("c", 0);
      assertThat(l.dir()).doesNotExist();
      PartitionLog again = manager.getOrCreate("c", 0, CompactionTest.CONFIG);
      assertThat(again.dir().resolve(LogFileNames.CLEANER_OFFSET_CHECKPOINT)).doesNotExist();
    }
  }
}
