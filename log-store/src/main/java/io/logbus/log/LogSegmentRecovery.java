package io.logbus.log;

import io.logbus.record.RecordBatchFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The validating scan of a segment after an unclean shutdown: walks the batches from position 0,
 * checks each (length in bounds, magic 2, CRC-32C over attributes..end, lastOffsetDelta not
 * negative, offsets increasing and not below the segment base offset), re-indexes the valid ones,
 * and stops at the first invalid one. Everything from there on is a torn or corrupt tail: the
 * caller truncates it. Runs on the opening thread before the log is visible to anyone.
 */
final class LogSegmentRecovery {
  static final Logger LOG = LoggerFactory.getLogger(LogSegmentRecovery.class);

  private LogSegmentRecovery() {}

  /** Sees each valid batch's header (61 bytes at index 0) during recovery. */
  interface BatchVisitor {
    void onBatch(ByteBuffer header);
  }

  /** Returns the number of valid bytes from the start of the segment. */
  static int scan(LogSegment segment, BatchVisitor visitor) throws IOException {
    FileBatchScanner scan = new FileBatchScanner(segment.channel(), 0, segment.size(), true);
    long previousLast = segment.baseOffset() - 1;
    String problem = null;
    while (scan.next()) {
      ByteBuffer b = scan.batch();
      long base = RecordBatchFormat.baseOffset(b, 0);
      int lastDelta = RecordBatchFormat.lastOffsetDelta(b, 0);
      long stored = RecordBatchFormat.crc(b, 0);
      long computed = RecordBatchFormat.computeCrc(b, 0, scan.size());
      if (stored != computed) {
        problem = "CRC-32C stored " + stored + " but computed " + computed;
      } else if (lastDelta < 0) {
        problem = "negative lastOffsetDelta " + lastDelta;
      } else if (base <= previousLast) {
        problem = "baseOffset " + base + " not above the previous last offset " + previousLast;
      } else if (base + lastDelta - segment.baseOffset() > Integer.MAX_VALUE) {
        problem = "offset " + (base + lastDelta) + " too far from the segment base offset";
      }
      if (problem != null) {
        break;
      }
      segment.indexRecovered(b, (int) scan.position(), scan.size());
      if (visitor != null) {
        visitor.onBatch(b);
      }
      previousLast = base + lastDelta;
    }
    if (problem == null && scan.stop() != FileBatchScanner.Stop.END) {
      problem = scan.problem();
    }
    int valid = (int) scan.position();
    if (problem != null) {
      LOG.warn(
          "{}: invalid batch at position {} ({}); cutting {} bytes from there",
          segment.logFile(),
          valid,
          problem,
          segment.size() - valid);
    }
    return valid;
  }
}
