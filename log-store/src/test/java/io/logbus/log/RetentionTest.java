package io.logbus.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RetentionTest {
  @TempDir Path dir;
  final MutableClock clock = new MutableClock(10_000_000);
  PartitionLog log;

  @AfterEach
  void close() {
    if (log != null) {
      log.close();
    }
  }

  PartitionLog open(String... kv) {
    LogConfig c =
        LogConfig.defaults().with(LogConfig.FLUSH, "never").with(LogConfig.SEGMENT_BYTES, "300");
    for (int i = 0; i < kv.length; i += 2) {
      c = c.with(kv[i], kv[i + 1]);
    }
    log = PartitionLog.open("t-0", dir, c, clock, null);
    return log;
  }

  @Test
  void retentionMsDeletesSegmentsWhoseLargestTimestampExpired() {
    open(LogConfig.RETENTION_MS, "60000");
    for (int i = 0; i < 9; i++) {
      log.appendAsLeader(TestBatches.batch(2, clock.millis() + i * 1000L, 50), 0);
    }
    log.updateHighWatermark(log.logEndOffset());
    int segments = log.segmentCount();
    assertThat(log.deleteOldSegments()).isZero();
    clock.advance(60_000 + 2_500);
    int deleted = log.deleteOldSegments();
    assertThat(deleted).isPositive().isLessThan(segments);
    long start = log.logStartOffset();
    assertThat(start).isPositive();
    assertThat(log.segments.firstEntry().getValue().maxTimestamp())
        .isGreaterThanOrEqualTo(clock.millis() - 60_000);
    assertThatThrownBy(() -> log.read(start - 1, 100, Long.MAX_VALUE))
        .isInstanceOf(OffsetOutOfRangeException.class);
    assertThat(log.read(start, 100, Long.MAX_VALUE).firstOffset()).isEqualTo(start);
    clock.advance(1_000_000);
    log.deleteOldSegments();
    assertThat(log.segmentCount()).as("the active segment stays").isEqualTo(1);
  }

  @Test
  void retentionBytesKeepsTheNewestSegmentsUnderTheLimit() {
    open(LogConfig.RETENTION_BYTES, "700");
    for (int i = 0; i < 12; i++) {
      log.appendAsLeader(TestBatches.batch(2, clock.millis(), 50), 0);
    }
    log.updateHighWatermark(log.logEndOffset());
    log.deleteOldSegments();
    // As Kafka: a segment goes only if what remains still holds retention.bytes.
    assertThat(log.sizeInBytes()).isGreaterThanOrEqualTo(700);
    assertThat(log.sizeInBytes() - log.segments.firstEntry().getValue().size()).isLessThan(700);
    assertThat(log.segmentCount()).isLessThan(12);
    assertThat(TestBatches.allOffsets(log).get(0)).isEqualTo(log.logStartOffset());
  }

  @Test
  void retentionNeverDeletesPastTheHighWatermark() {
    open(LogConfig.RETENTION_MS, "0");
    for (int i = 0; i < 9; i++) {
      log.appendAsLeader(TestBatches.batch(2, 0, 50), 0);
    }
    log.updateHighWatermark(0);
    clock.advance(10);
    assertThat(log.deleteOldSegments()).isZero();
  }

  @Test
  void compactedLogsAreNotDeletedByRetention() {
    open(LogConfig.RETENTION_MS, "0", LogConfig.CLEANUP_POLICY, "compact");
    for (int i = 0; i < 9; i++) {
      log.appendAsLeader(TestBatches.batch(2, 0, 50), 0);
    }
    log.updateHighWatermark(log.logEndOffset());
    clock.advance(10);
    assertThat(log.deleteOldSegments()).isZero();
  }

  @Test
  void retentionMovesTheEpochCacheStart() {
    open(LogConfig.RETENTION_MS, "1000");
    for (int i = 0; i < 9; i++) {
      log.appendAsLeader(TestBatches.batch(2, clock.millis(), 50), i < 3 ? 1 : 2);
    }
    log.updateHighWatermark(log.logEndOffset());
    clock.advance(5000);
    log.deleteOldSegments();
    long start = log.logStartOffset();
    assertThat(log.epochEntries().get(0)[1]).isEqualTo(start);
  }
}
