package io.logbus.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * A segment's sparse timestamp to offset index, laid out as {@link TimeIndexFormat}. Appends come
 * from the log's writer only; lookups from any thread (see {@link MappedIndex}).
 */
final class TimeIndex extends MappedIndex {
  private final long baseOffset;

  TimeIndex(Path file, long baseOffset, int maxIndexBytes, boolean writable) throws IOException {
    super(file, TimeIndexFormat.ENTRY_SIZE, maxIndexBytes, writable);
    this.baseOffset = baseOffset;
  }

  /** Adds (timestamp, offset) if the timestamp grew and the offset moved on; else does nothing. */
  void maybeAppend(long timestamp, long offset) {
    int n = entries();
    ByteBuffer b = buffer();
    if (n > 0
        && (TimeIndexFormat.timestamp(b, n - 1) >= timestamp
            || TimeIndexFormat.relativeOffset(b, n - 1) >= offset - baseOffset)) {
      return;
    }
    if (isFull()) {
      return;
    }
    TimeIndexFormat.write(b, n, timestamp, Math.toIntExact(offset - baseOffset));
    publishAppended();
  }

  /**
   * Offset of the last entry whose timestamp is below {@code timestamp}: every record before it is
   * older than the target, so a search may start at its batch. The segment base offset if none.
   */
  long lookupBelow(long timestamp) {
    int n = entries();
    ByteBuffer b = buffer();
    int lo = 0;
    int hi = n - 1;
    int found = -1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (TimeIndexFormat.timestamp(b, mid) < timestamp) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? baseOffset : baseOffset + TimeIndexFormat.relativeOffset(b, found);
  }

  /** The last entry's timestamp, or -1 if empty. */
  long lastTimestamp() {
    int n = entries();
    return n == 0 ? -1 : TimeIndexFormat.timestamp(buffer(), n - 1);
  }

  /** The last entry's offset, or -1 if empty. */
  long lastOffset() {
    int n = entries();
    return n == 0 ? -1 : baseOffset + TimeIndexFormat.relativeOffset(buffer(), n - 1);
  }

  /** Drops entries at or past {@code offset}. */
  void truncateToOffset(long offset) {
    int n = entries();
    ByteBuffer b = buffer();
    int keep = n;
    while (keep > 0 && baseOffset + TimeIndexFormat.relativeOffset(b, keep - 1) >= offset) {
      keep--;
    }
    truncateEntries(keep);
  }

  /** Null if entries increase and lie below {@code nextOffset}, else the first problem. */
  String checkConsistency(long nextOffset) {
    if (damage() != null) {
      return damage();
    }
    int n = entries();
    ByteBuffer b = buffer();
    for (int i = 0; i < n; i++) {
      long ts = TimeIndexFormat.timestamp(b, i);
      int rel = TimeIndexFormat.relativeOffset(b, i);
      if (rel < 0 || baseOffset + rel >= nextOffset) {
        return file() + ": entry " + i + " offset " + (baseOffset + rel) + " past " + nextOffset;
      }
      if (i > 0
          && (ts <= TimeIndexFormat.timestamp(b, i - 1)
              || rel <= TimeIndexFormat.relativeOffset(b, i - 1))) {
        return file() + ": entry " + i + " (" + ts + ", " + rel + ") does not increase";
      }
    }
    return null;
  }
}
