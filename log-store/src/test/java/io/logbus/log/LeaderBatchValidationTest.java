package io.logbus.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.logbus.record.InvalidRecordException;
import io.logbus.record.RecordBatchFormat;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A batch whose CRC matches but whose contents do not make sense must be refused by the leader: the
 * CRC only proves the producer's bytes arrived intact. Stored, such a batch would later throw in
 * every reader and in the cleaner.
 */
class LeaderBatchValidationTest {
  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(1_000_000);
  private PartitionLog log;

  @AfterEach
  void close() {
    if (log != null) {
      log.close();
    }
  }

  private PartitionLog open() {
    log = PartitionLog.open("t-0", dir, LogConfig.defaults(), clock, null);
    return log;
  }

  /** Rewrites the CRC after a test changed covered bytes, so only the deeper checks can fail. */
  private static void resealCrc(ByteBuffer batch) {
    CRC32C crc = new CRC32C();
    ByteBuffer covered = batch.duplicate();
    covered.position(RecordBatchFormat.CRC_COVERED_OFFSET);
    crc.update(covered);
    batch.putInt(RecordBatchFormat.CRC_OFFSET, (int) crc.getValue());
  }

  @Test
  void recordsThatDoNotParseAreRefusedAndNothingIsWritten() {
    open();
    ByteBuffer batch = TestBatches.batch(3, clock.millis());
    // The first record's length varint: make it claim far more bytes than the batch holds.
    batch.put(RecordBatchFormat.RECORDS_OFFSET, (byte) 0x7e);
    resealCrc(batch);

    assertThatThrownBy(() -> log.appendAsLeader(batch, 0))
        .isInstanceOf(InvalidRecordException.class);
    assertThat(log.logEndOffset()).isZero();
    assertThat(log.sizeInBytes()).isZero();
  }

  @Test
  void producerIdWithoutSequenceIsRefused() {
    open();
    ByteBuffer batch = TestBatches.batch(2, clock.millis());
    batch.putLong(RecordBatchFormat.PRODUCER_ID_OFFSET, 42L);
    batch.putShort(RecordBatchFormat.PRODUCER_EPOCH_OFFSET, (short) 0);
    batch.putInt(RecordBatchFormat.BASE_SEQUENCE_OFFSET, RecordBatchFormat.NO_SEQUENCE);
    resealCrc(batch);

    assertThatThrownBy(() -> log.appendAsLeader(batch, 0))
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("producer id 42");
    assertThat(log.logEndOffset()).isZero();
  }
}
