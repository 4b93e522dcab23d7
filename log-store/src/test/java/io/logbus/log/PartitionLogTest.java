package io.logbus.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.logbus.record.CorruptRecordException;
import io.logbus.record.InvalidRecordException;
import io.logbus.record.RecordBatch;
import io.logbus.record.RecordBatchFormat;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PartitionLogTest {
  @TempDir Path dir;
  final MutableClock clock = new MutableClock(1_000_000);
  PartitionLog log;

  PartitionLog open(LogConfig config) {
    if (log != null) {
      log.close();
    }
    log = PartitionLog.open("t-0", dir, config, clock, null);
    return log;
  }

  static LogConfig config(String... kv) {
    LogConfig c = LogConfig.defaults().with(LogConfig.FLUSH, "never");
    for (int i = 0; i < kv.length; i += 2) {
      c = c.with(kv[i], kv[i + 1]);
    }
    return c;
  }

  @AfterEach
  void closeLog() {
    if (log != null) {
      log.close();
    }
  }

  @Test
  void leaderAppendAssignsDenseOffsetsAndStampsEpoch() {
    open(config());
    LogAppendInfo a = log.appendAsLeader(TestBatches.batch(3, 5000), 7);
    LogAppendInfo b = log.appendAsLeader(TestBatches.batch(2, 6000), 7);
    assertThat(a.firstOffset()).isEqualTo(0);
    assertThat(a.lastOffset()).isEqualTo(2);
    assertThat(b.firstOffset()).isEqualTo(3);
    assertThat(b.lastOffset()).isEqualTo(4);
    assertThat(log.logEndOffset()).isEqualTo(5);
    List<RecordBatch> read = TestBatches.batches(log.read(0, 1 << 20, Long.MAX_VALUE).records());
    assertThat(read).hasSize(2);
    assertThat(read.get(1).baseOffset()).isEqualTo(3);
    assertThat(read.get(1).partitionLeaderEpoch()).isEqualTo(7);
    assertThat(read.get(1).isValid()).isTrue();
  }

  @Test
  void readStartsAtBatchContainingOffsetAndStopsBeforeMaxOffset() {
    open(config());
    for (int i = 0; i < 5; i++) {
      log.appendAsLeader(TestBatches.batch(4, 1000), 0);
    }
    LogReadInfo r = log.read(6, 1 << 20, 12);
    List<RecordBatch> bs = TestBatches.batches(r.records());
    assertThat(r.firstOffset()).isEqualTo(4);
    assertThat(bs).extracting(RecordBatch::baseOffset).containsExactly(4L, 8L);
  }

  @Test
  void readReturnsOneWholeBatchEvenIfLargerThanMaxBytes() {
    open(config());
    log.appendAsLeader(TestBatches.batch(10, 1000, 100), 0);
    log.appendAsLeader(TestBatches.batch(10, 1000, 100), 0);
    List<RecordBatch> bs = TestBatches.batches(log.read(0, 10, Long.MAX_VALUE).records());
    assertThat(bs).hasSize(1);
    assertThat(bs.get(0).recordCount()).isEqualTo(10);
  }

  @Test
  void readOutsideLogThrowsOffsetOutOfRange() {
    open(config());
    log.appendAsLeader(TestBatches.batch(2, 1000), 0);
    assertThatThrownBy(() -> log.read(3, 100, Long.MAX_VALUE))
        .isInstanceOf(OffsetOutOfRangeException.class)
        .hasMessageContaining("offset 3");
    assertThatThrownBy(() -> log.read(-1, 100, Long.MAX_VALUE))
        .isInstanceOf(OffsetOutOfRangeException.class);
    assertThat(log.read(2, 100, Long.MAX_VALUE).records().remaining()).isZero();
    assertThatThrownBy(() -> log.read(0, -1, Long.MAX_VALUE))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rollsAtSegmentBytesWithTwentyDigitNames() throws Exception {
    open(config(LogConfig.SEGMENT_BYTES, "300"));
    for (int i = 0; i < 6; i++) {
      log.appendAsLeader(TestBatches.batch(2, 1000, 50), 0);
    }
    assertThat(log.segmentCount()).isGreaterThan(2);
    assertThat(dir.resolve("00000000000000000000.log")).exists();
    assertThat(dir.resolve("00000000000000000000.index")).exists();
    assertThat(dir.resolve("00000000000000000000.timeindex")).exists();
    assertThat(TestBatches.allOffsets(log))
        .containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L);
  }

  @Test
  void rollsAfterSegmentMs() {
    open(config(LogConfig.SEGMENT_MS, "1000"));
    log.appendAsLeader(TestBatches.batch(1, 1000), 0);
    log.appendAsLeader(TestBatches.batch(1, 1000), 0);
    assertThat(log.segmentCount()).isEqualTo(1);
    clock.advance(1000);
    log.appendAsLeader(TestBatches.batch(1, 1000), 0);
    assertThat(log.segmentCount()).isEqualTo(2);
    assertThat(log.segments.lastKey()).isEqualTo(2);
  }

  @Test
  void corruptCrcIsRejectedAndNothingIsWritten() {
    open(config());
    log.appendAsLeader(TestBatches.batch(1, 1000), 0);
    long size = log.sizeInBytes();
    ByteBuffer good = TestBatches.batch(2, 1000);
    ByteBuffer bad = TestBatches.batch(2, 1000);
    bad.put(bad.limit() - 1, (byte) (bad.get(bad.limit() - 1) ^ 1));
    assertThatThrownBy(() -> log.appendAsLeader(TestBatches.concat(good, bad), 0))
        .isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("CRC");
    assertThat(log.sizeInBytes()).isEqualTo(size);
    assertThat(log.logEndOffset()).isEqualTo(1);
  }

  @Test
  void badMagicWrongLengthAndEmptyRequestAreRejected() {
    open(config());
    ByteBuffer magic = TestBatches.batch(1, 1000);
    magic.put(RecordBatchFormat.MAGIC_OFFSET, (byte) 1);
    assertThatThrownBy(() -> log.appendAsLeader(magic, 0))
        .isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("magic");
    ByteBuffer length = TestBatches.batch(1, 1000);
    length.putInt(RecordBatchFormat.BATCH_LENGTH_OFFSET, length.limit());
    assertThatThrownBy(() -> log.appendAsLeader(length, 0))
        .isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("batchLength");
    ByteBuffer truncated = TestBatches.batch(1, 1000);
    truncated.limit(30);
    assertThatThrownBy(() -> log.appendAsFollower(truncated))
        .isInstanceOf(CorruptRecordException.class);
    assertThatThrownBy(() -> log.appendAsLeader(ByteBuffer.allocate(0), 0))
        .isInstanceOf(InvalidRecordException.class);
    assertThatThrownBy(() -> log.appendAsLeader(TestBatches.batch(1, 1), -1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(log.sizeInBytes()).isZero();
  }

  @Test
  void batchLargerThanMaxMessageBytesIsRejected() {
    open(config(LogConfig.MAX_MESSAGE_BYTES, "500"));
    ByteBuffer small = TestBatches.batch(1, 1000);
    ByteBuffer big = TestBatches.batch(10, 1000, 100);
    assertThatThrownBy(() -> log.appendAsLeader(TestBatches.concat(small, big), 0))
        .isInstanceOf(RecordTooLargeException.class)
        .hasMessageContaining("max.message.bytes=500");
    assertThat(log.sizeInBytes()).isZero();
  }

  @Test
  void followerAppendKeepsOffsetsAndRejectsOffsetsBelowEnd() {
    open(config());
    log.appendAsFollower(
        TestBatches.concat(TestBatches.atOffset(0, 3, 1), TestBatches.atOffset(3, 2, 2)));
    assertThat(log.logEndOffset()).isEqualTo(5);
    assertThat(log.latestEpoch()).hasValue(2);
    assertThatThrownBy(() -> log.appendAsFollower(TestBatches.atOffset(4, 1, 2)))
        .isInstanceOf(UnexpectedAppendOffsetException.class);
    log.appendAsFollower(TestBatches.atOffset(10, 1, 2));
    assertThat(log.logEndOffset()).isEqualTo(11);
    assertThat(TestBatches.allOffsets(log)).containsExactly(0L, 1L, 2L, 3L, 4L, 10L);
  }

  @Test
  void endOffsetForEpochFollowsKip101() {
    open(config());
    log.appendAsLeader(TestBatches.batch(3, 1), 1);
    log.appendAsLeader(TestBatches.batch(2, 1), 3);
    log.appendAsLeader(TestBatches.batch(1, 1), 5);
    assertThat(log.endOffsetForEpoch(0)).isEqualTo(EpochEndOffset.UNDEFINED);
    assertThat(log.endOffsetForEpoch(1)).isEqualTo(new EpochEndOffset(1, 3));
    assertThat(log.endOffsetForEpoch(2)).isEqualTo(new EpochEndOffset(1, 3));
    assertThat(log.endOffsetForEpoch(3)).isEqualTo(new EpochEndOffset(3, 5));
    assertThat(log.endOffsetForEpoch(5)).isEqualTo(new EpochEndOffset(5, 6));
    assertThat(log.endOffsetForEpoch(9)).isEqualTo(new EpochEndOffset(5, 6));
    assertThat(log.endOffsetForEpoch(-4)).isEqualTo(EpochEndOffset.UNDEFINED);
  }

  @Test
  void truncateToRemovesTailSegmentsAndEpochs() {
    open(config(LogConfig.SEGMENT_BYTES, "300"));
    for (int i = 0; i < 8; i++) {
      log.appendAsLeader(TestBatches.batch(2, 1000, 50), i < 4 ? 1 : 2);
    }
    log.updateHighWatermark(16);
    log.truncateTo(6);
    assertThat(log.logEndOffset()).isEqualTo(6);
    assertThat(log.highWatermark()).isEqualTo(6);
    assertThat(log.latestEpoch()).hasValue(1);
    assertThat(TestBatches.allOffsets(log)).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
    LogAppendInfo next = log.appendAsLeader(TestBatches.batch(1, 1000), 3);
    assertThat(next.firstOffset()).isEqualTo(6);
    assertThat(log.endOffsetForEpoch(1)).isEqualTo(new EpochEndOffset(1, 6));
    assertThatThrownBy(() -> log.truncateTo(-1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void truncateFullyRestartsTheLogAtAnOffset() {
    open(config());
    log.appendAsLeader(TestBatches.batch(5, 1000), 1);
    log.truncateFullyAndStartAt(100);
    assertThat(log.logStartOffset()).isEqualTo(100);
    assertThat(log.logEndOffset()).isEqualTo(100);
    assertThat(log.latestEpoch()).isEmpty();
    assertThat(log.appendAsLeader(TestBatches.batch(1, 1000), 2).firstOffset()).isEqualTo(100);
    assertThatThrownBy(() -> log.read(50, 100, Long.MAX_VALUE))
        .isInstanceOf(OffsetOutOfRangeException.class);
  }

  @Test
  void cleanReopenKeepsEverything() {
    open(config(LogConfig.SEGMENT_BYTES, "300"));
    for (int i = 0; i < 8; i++) {
      log.appendAsLeader(TestBatches.batch(2, 1000 + i, 50), 1);
    }
    log.updateHighWatermark(10);
    log.close();
    assertThat(dir.resolve(LogFileNames.CLEAN_SHUTDOWN_MARKER)).exists();
    log = null;
    open(config(LogConfig.SEGMENT_BYTES, "300"));
    assertThat(dir.resolve(LogFileNames.CLEAN_SHUTDOWN_MARKER)).doesNotExist();
    assertThat(log.logEndOffset()).isEqualTo(16);
    assertThat(log.highWatermark()).isEqualTo(10);
    assertThat(log.latestEpoch()).hasValue(1);
    assertThat(TestBatches.allOffsets(log)).hasSize(16);
  }

  @Test
  void offsetForTimestampFindsFirstRecordAtOrAfter() {
    open(config(LogConfig.SEGMENT_BYTES, "300", LogConfig.INDEX_INTERVAL_BYTES, "1"));
    for (int i = 0; i < 10; i++) {
      log.appendAsLeader(TestBatches.batch(2, 1000 + 10 * i, 30), 0);
    }
    assertThat(log.offsetForTimestamp(1035)).contains(new TimestampOffset(1040, 8));
    assertThat(log.offsetForTimestamp(0)).contains(new TimestampOffset(1000, 0));
    assertThat(log.offsetForTimestamp(5000)).isEmpty();
  }

  @Test
  void logAppendTimeStampsTheBatch() {
    open(config(LogConfig.MESSAGE_TIMESTAMP_TYPE, "LogAppendTime"));
    LogAppendInfo info = log.appendAsLeader(TestBatches.batch(2, 5), 0);
    assertThat(info.logAppendTimeMs()).isEqualTo(clock.millis());
    RecordBatch b = TestBatches.batches(log.read(0, 1000, Long.MAX_VALUE).records()).get(0);
    assertThat(b.maxTimestamp()).isEqualTo(clock.millis());
    assertThat(b.isValid()).isTrue();
  }

  @Test
  void highWatermarkIsClampedAndValidated() {
    open(config());
    log.appendAsLeader(TestBatches.batch(3, 1), 0);
    log.updateHighWatermark(10);
    assertThat(log.highWatermark()).isEqualTo(3);
    assertThatThrownBy(() -> log.updateHighWatermark(-1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void groupFlushCompletesDurableFutureAndAdvancesRecoveryPoint() throws Exception {
    log = PartitionLog.open("t-0", dir, LogConfig.defaults(), clock, null);
    LogAppendInfo info = log.appendAsLeader(TestBatches.batch(3, 1), 0);
    info.durable().get();
    assertThat(log.recoveryPoint()).isEqualTo(3);
    assertThat(Files.size(dir.resolve("00000000000000000000.log"))).isEqualTo(info.validBytes());
  }

  @Test
  void rollsWhenTheIndexIsFull() {
    open(config(LogConfig.SEGMENT_INDEX_BYTES, "24", LogConfig.INDEX_INTERVAL_BYTES, "0"));
    for (int i = 0; i < 10; i++) {
      log.appendAsLeader(TestBatches.batch(1, 1000 + i), 0);
    }
    assertThat(log.segmentCount()).isGreaterThanOrEqualTo(4);
    assertThat(TestBatches.allOffsets(log)).hasSize(10);
  }

  @Test
  void readBoundedByMaxOffsetBelowStartIsEmpty() {
    open(config());
    log.appendAsLeader(TestBatches.batch(3, 1000), 0);
    assertThat(log.read(1, 1000, 1).records().remaining()).isZero();
    assertThat(log.read(0, 1000, 2).records().remaining()).isZero();
    assertThat(log.read(0, 1000, 3).records().remaining()).isPositive();
  }
}
