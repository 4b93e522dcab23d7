package io.logbus.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdempotentProducerTest {
  @TempDir Path dir;
  final MutableClock clock = new MutableClock(0);
  PartitionLog log;

  PartitionLog reopen() {
    if (log != null) {
      log.close();
    }
    log =
        PartitionLog.open(
            "t-0", dir, LogConfig.defaults().with(LogConfig.FLUSH, "never"), clock, null);
    return log;
  }

  @AfterEach
  void close() {
    if (log != null) {
      log.close();
    }
  }

  @Test
  void retriedBatchIsStoredOnceAndAnsweredWithOriginalOffsets() {
    reopen();
    log.appendAsLeader(TestBatches.batch(2, 1), 0);
    LogAppendInfo first = log.appendAsLeader(TestBatches.idempotent(7, (short) 0, 0, 3), 0);
    LogAppendInfo retry = log.appendAsLeader(TestBatches.idempotent(7, (short) 0, 0, 3), 0);
    assertThat(retry.duplicate()).isTrue();
    assertThat(retry.firstOffset()).isEqualTo(first.firstOffset()).isEqualTo(2);
    assertThat(retry.lastOffset()).isEqualTo(first.lastOffset()).isEqualTo(4);
    assertThat(retry.validBytes()).isZero();
    assertThat(log.logEndOffset()).isEqualTo(5);
  }

  @Test
  void anyOfTheLastFiveBatchesIsRecognisedAsDuplicate() {
    reopen();
    for (int i = 0; i < 6; i++) {
      log.appendAsLeader(TestBatches.idempotent(7, (short) 0, i * 2, 2), 0);
    }
    assertThat(log.appendAsLeader(TestBatches.idempotent(7, (short) 0, 2, 2), 0).duplicate())
        .isTrue();
  }

  @Test
  void retryOlderThanTheRememberedBatchesIsADuplicateNotAGap() {
    reopen();
    for (int i = 0; i < 6; i++) {
      log.appendAsLeader(TestBatches.idempotent(7, (short) 0, i * 2, 2), 0);
    }
    long end = log.logEndOffset();
    assertThatThrownBy(() -> log.appendAsLeader(TestBatches.idempotent(7, (short) 0, 0, 2), 0))
        .isInstanceOf(DuplicateSequenceException.class)
        .isNotInstanceOf(OutOfOrderSequenceException.class)
        .hasMessageContaining("offset unknown");
    assertThat(log.logEndOffset()).isEqualTo(end);
  }

  @Test
  void batchOverlappingTheRememberedBatchesOrAboveTheNextSequenceIsOutOfOrder() {
    reopen();
    for (int i = 0; i < 6; i++) {
      log.appendAsLeader(TestBatches.idempotent(7, (short) 0, i * 2, 2), 0);
    }
    // 1..2 straddles the oldest remembered batch (2..3): not a batch the log holds as sent.
    assertThatThrownBy(() -> log.appendAsLeader(TestBatches.idempotent(7, (short) 0, 1, 2), 0))
        .isInstanceOf(OutOfOrderSequenceException.class);
    assertThatThrownBy(() -> log.appendAsLeader(TestBatches.idempotent(7, (short) 0, 13, 1), 0))
        .isInstanceOf(OutOfOrderSequenceException.class)
        .hasMessageContaining("sequence 13 but expected 12");
  }

  @Test
  void oldSequenceOfAnOlderEpochIsFencedNotADuplicate() {
    reopen();
    log.appendAsLeader(TestBatches.idempotent(7, (short) 0, 0, 2), 0);
    for (int i = 0; i < 6; i++) {
      log.appendAsLeader(TestBatches.idempotent(7, (short) 1, i * 2, 2), 0);
    }
    assertThatThrownBy(() -> log.appendAsLeader(TestBatches.idempotent(7, (short) 0, 0, 2), 0))
        .isInstanceOf(InvalidProducerEpochException.class);
  }

  @Test
  void sequenceGapIsRejectedAndNothingWritten() {
    reopen();
    log.appendAsLeader(TestBatches.idempotent(7, (short) 0, 0, 3), 0);
    long size = log.sizeInBytes();
    assertThatThrownBy(() -> log.appendAsLeader(TestBatches.idempotent(7, (short) 0, 5, 1), 0))
        .isInstanceOf(OutOfOrderSequenceException.class)
        .hasMessageContaining("expected 3");
    assertThat(log.sizeInBytes()).isEqualTo(size);
  }

  @Test
  void staleEpochIsFencedAndNewEpochMustStartAtZero() {
    reopen();
    log.appendAsLeader(TestBatches.idempotent(7, (short) 2, 0, 1), 0);
    assertThatThrownBy(() -> log.appendAsLeader(TestBatches.idempotent(7, (short) 1, 1, 1), 0))
        .isInstanceOf(InvalidProducerEpochException.class);
    assertThatThrownBy(() -> log.appendAsLeader(TestBatches.idempotent(7, (short) 3, 4, 1), 0))
        .isInstanceOf(OutOfOrderSequenceException.class);
    assertThat(log.appendAsLeader(TestBatches.idempotent(7, (short) 3, 0, 1), 0).duplicate())
        .isFalse();
  }

  @Test
  void duplicateDetectionSurvivesCleanReopen() {
    reopen();
    LogAppendInfo first = log.appendAsLeader(TestBatches.idempotent(9, (short) 0, 0, 2), 0);
    reopen();
    LogAppendInfo retry = log.appendAsLeader(TestBatches.idempotent(9, (short) 0, 0, 2), 0);
    assertThat(retry.duplicate()).isTrue();
    assertThat(retry.firstOffset()).isEqualTo(first.firstOffset());
  }

  @Test
  void followerAppendsUpdateStateSoANewLeaderDetectsRetries() {
    reopen();
    // The old leader wrote the batch; this replica copied it as a follower ...
    java.nio.ByteBuffer replicated = TestBatches.idempotent(11, (short) 0, 0, 2);
    io.logbus.record.RecordBatchFormat.setBaseOffset(replicated, 0, 0);
    log.appendAsFollower(replicated);
    // ... then became leader and receives the producer's retry.
    LogAppendInfo retry = log.appendAsLeader(TestBatches.idempotent(11, (short) 0, 0, 2), 1);
    assertThat(retry.duplicate()).isTrue();
    assertThat(retry.lastOffset()).isEqualTo(1);
  }

  @Test
  void truncationForgetsTruncatedBatches() {
    reopen();
    log.appendAsLeader(TestBatches.idempotent(7, (short) 0, 0, 2), 0);
    log.appendAsLeader(TestBatches.idempotent(7, (short) 0, 2, 2), 0);
    log.truncateTo(2);
    LogAppendInfo again = log.appendAsLeader(TestBatches.idempotent(7, (short) 0, 2, 2), 1);
    assertThat(again.duplicate()).isFalse();
    assertThat(again.firstOffset()).isEqualTo(2);
  }

  @Test
  void truncationKeepsTheBatchesBelowTheCut() {
    reopen();
    log.appendAsLeader(TestBatches.idempotent(7, (short) 0, 0, 2), 0);
    log.appendAsLeader(TestBatches.idempotent(7, (short) 0, 2, 2), 0);
    log.truncateTo(2);
    assertThat(log.appendAsLeader(TestBatches.idempotent(7, (short) 0, 0, 2), 1).duplicate())
        .isTrue();
    assertThatThrownBy(() -> log.appendAsLeader(TestBatches.idempotent(7, (short) 0, 3, 1), 1))
        .isInstanceOf(OutOfOrderSequenceException.class);
    log.truncateFullyAndStartAt(50);
    assertThat(log.appendAsLeader(TestBatches.idempotent(7, (short) 0, 9, 1), 1).firstOffset())
        .isEqualTo(50);
  }
}
