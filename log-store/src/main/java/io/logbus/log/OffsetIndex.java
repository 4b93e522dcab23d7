package io.logbus.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * A segment's sparse offset to position index, laid out as {@link OffsetIndexFormat}. Appends come
 * from the log's writer only; lookups from any thread (see {@link MappedIndex}).
 */
final class OffsetIndex extends MappedIndex {
  private final long baseOffset;

  OffsetIndex(Path file, long baseOffset, int maxIndexBytes, boolean writable) throws IOException {
    super(file, OffsetIndexFormat.ENTRY_SIZE, maxIndexBytes, writable);
    this.baseOffset = baseOffset;
  }

  /** Adds (offset, position); both must exceed the last entry's. Caller checks {@link #isFull}. */
  void append(long offset, int position) {
    int n = entries();
    ByteBuffer b = buffer();
    if (n > 0
        && (OffsetIndexFormat.relativeOffset(b, n - 1) >= offset - baseOffset
            || OffsetIndexFormat.position(b, n - 1) >= position)) {
      throw new IllegalStateException(
          file() + ": entry (" + offset + ", " + position + ") does not follow the last one");
    }
    OffsetIndexFormat.write(b, n, Math.toIntExact(offset - baseOffset), position);
    publishAppended();
  }

  /** Position of the last indexed batch starting at or before {@code offset}; 0 if none. */
  int lookup(long offset) {
    int n = entries();
    ByteBuffer b = buffer();
    long rel = offset - baseOffset;
    int lo = 0;
    int hi = n - 1;
    int found = -1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (OffsetIndexFormat.relativeOffset(b, mid) <= rel) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? 0 : OffsetIndexFormat.position(b, found);
  }

  /** Drops entries whose position is at or past {@code position} (the log was cut there). */
  void truncateToPosition(int position) {
    int n = entries();
    ByteBuffer b = buffer();
    int keep = n;
    while (keep > 0 && OffsetIndexFormat.position(b, keep - 1) >= position) {
      keep--;
    }
    truncateEntries(keep);
  }

  /**
   * Null if the entries are plausible for a log of {@code logSize} bytes (increasing, inside the
   * file), else a description of the first bad entry.
   */
  String checkConsistency(long logSize) {
    if (damage() != null) {
      return damage();
    }
    int n = entries();
    ByteBuffer b = buffer();
    for (int i = 0; i < n; i++) {
      int rel = OffsetIndexFormat.relativeOffset(b, i);
      int pos = OffsetIndexFormat.position(b, i);
      if (rel < 0 || pos < 0 || pos >= logSize) {
        return file() + ": entry " + i + " (" + rel + ", " + pos + ") outside log of " + logSize;
      }
      if (i > 0
          && (rel <= OffsetIndexFormat.relativeOffset(b, i - 1)
              || pos <= OffsetIndexFormat.position(b, i - 1))) {
        return file() + ": entry " + i + " (" + rel + ", " + pos + ") does not increase";
      }
    }
    return null;
  }

  long baseOffset() {
    return baseOffset;
  }
}
