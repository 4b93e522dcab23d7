package io.logbus.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** producer.id.expiration.ms: idle producers are forgotten, and stay forgotten across restarts. */
class ProducerExpirationTest {
  static final long EXPIRY = 60_000;
  static final long START = 1_000_000;

  @TempDir Path tmp;
  final MutableClock clock = new MutableClock(START);
  PartitionLog log;

  LogConfig config() {
    return LogConfig.defaults()
        .with(LogConfig.FLUSH, "never")
        .with(LogConfig.PRODUCER_ID_EXPIRATION_MS, Long.toString(EXPIRY));
  }

  PartitionLog open(Path dir, LogConfig config) {
    log = PartitionLog.open("t-0", dir, config, clock, null);
    return log;
  }

  @AfterEach
  void close() {
    if (log != null) {
      log.close();
    }
  }

  /** A batch of producer 7, epoch 0, written now by the test clock. */
  LogAppendInfo write(int baseSequence) {
    return log.appendAsLeader(
        TestBatches.idempotent(7, (short) 0, baseSequence, 2, clock.millis()), 0);
  }

  /** A sequence gap is refused for a known producer and accepted for an unknown one. */
  boolean producerKnown() {
    try {
      LogAppendInfo gap = write(1_000);
      assertThat(gap.duplicate()).isFalse();
      return false;
    } catch (OutOfOrderSequenceException e) {
      return true;
    }
  }

  @Test
  void producerIdleForTheExpirationTimeIsForgotten() {
    open(tmp.resolve("t-0"), config());
    write(0);
    clock.advance(EXPIRY - 1);
    assertThat(log.removeExpiredProducers()).isZero();
    assertThat(write(0).duplicate()).isTrue();
    clock.advance(1);
    assertThat(log.removeExpiredProducers()).isEqualTo(1);
    assertThat(log.producerState().producerCount()).isZero();
    assertThat(producerKnown()).isFalse();
  }

  @Test
  void aLaterWriteKeepsTheProducer() {
    open(tmp.resolve("t-0"), config());
    write(0);
    log.appendAsLeader(TestBatches.idempotent(8, (short) 0, 0, 1, clock.millis()), 0);
    clock.advance(EXPIRY / 2);
    write(2);
    clock.advance(EXPIRY / 2);
    assertThat(log.removeExpiredProducers()).isEqualTo(1);
    assertThat(log.producerState().batchesOf(8)).isEmpty();
    assertThat(log.producerState().batchesOf(7)).hasSize(2);
    assertThat(producerKnown()).isTrue();
  }

  @Test
  void logAppendTimeTopicsMeasureFromTheBrokerClock() {
    open(tmp.resolve("t-0"), config().with(LogConfig.MESSAGE_TIMESTAMP_TYPE, "LogAppendTime"));
    // The producer's own timestamp is ancient; the stored one is the append time.
    log.appendAsLeader(TestBatches.idempotent(7, (short) 0, 0, 2, 5), 0);
    assertThat(log.removeExpiredProducers()).isZero();
    clock.advance(EXPIRY);
    assertThat(log.removeExpiredProducers()).isEqualTo(1);
  }

  @Test
  void snapshotKeepsTheLastWriteTimeAcrossACleanRestart() {
    Path dir = tmp.resolve("t-0");
    open(dir, config());
    write(0);
    clock.advance(EXPIRY / 2);
    log.close();
    open(dir, config());
    assertThat(log.removeExpiredProducers()).isZero();
    assertThat(producerKnown()).isTrue();
    clock.advance(EXPIRY / 2);
    // Restarting did not reset the producer's clock: it expires a full period after its write.
    assertThat(log.removeExpiredProducers()).isEqualTo(1);
  }

  @Test
  void producerExpiredBeforeACleanRestartStaysForgotten() {
    Path dir = tmp.resolve("t-0");
    open(dir, config());
    write(0);
    clock.advance(EXPIRY);
    assertThat(log.removeExpiredProducers()).isEqualTo(1);
    log.close();
    open(dir, config());
    assertThat(log.producerState().producerCount()).isZero();
  }

  @Test
  void producerExpiredBeforeACrashStaysForgottenAfterTheRebuild() throws IOException {
    Path dir = tmp.resolve("t-0");
    open(dir, config());
    write(0);
    clock.advance(EXPIRY);
    log.removeExpiredProducers();
    // A crash: the files as they are, no clean-shutdown marker, producer state rebuilt from the
    // batches, which still name producer 7.
    Path crashed = CrashCopy.of(dir, tmp.resolve("crashed-0"));
    log.close();
    open(crashed, config());
    assertThat(log.producerState().producerCount()).isZero();
    assertThat(producerKnown()).isFalse();
  }

  @Test
  void snapshotOfTheOlderSixFieldLayoutIsRebuiltFromTheLog() throws IOException {
    Path dir = tmp.resolve("t-0");
    open(dir, config());
    write(0);
    log.close();
    Path snapshot = dir.resolve(LogFileNames.PRODUCER_STATE_CHECKPOINT);
    long end = 2;
    Files.writeString(snapshot, "0\n2\n" + end + " -1 -1 -1 -1 -1\n7 0 0 1 0 1\n");
    open(dir, config());
    assertThat(log.producerState().batchesOf(7)).hasSize(1);
    assertThat(log.producerState().batchesOf(7).get(0).timestamp()).isEqualTo(START);
  }

  @Test
  void managerBackgroundPassExpiresProducers() {
    try (LogManager manager = LogManager.open(tmp.resolve("logs"), config(), clock, null)) {
      log = manager.getOrCreate("t", 0, config());
      write(0);
      clock.advance(EXPIRY);
      manager.runBackgroundPass();
      assertThat(log.producerState().producerCount()).isZero();
    } finally {
      log = null;
    }
  }

  @Test
  void expiryOnAClosedLogIsRefused() {
    open(tmp.resolve("t-0"), config());
    log.close();
    assertThatThrownBy(() -> log.removeExpiredProducers())
        .isInstanceOf(LogStorageException.class)
        .hasMessageContaining("closed");
    log = null;
  }
}
