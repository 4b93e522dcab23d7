package io.logbus.log;

import java.nio.ByteBuffer;

/**
 * The {@code .timeindex} file of a segment: a sparse map from the largest timestamp seen so far to
 * the batch holding it, so {@code offsetForTimestamp} can skip the part of a segment whose records
 * are all older than the target.
 *
 * <pre>
 *  0               8       12  byte ruler (one entry; entry i starts at i * ENTRY_SIZE)
 *  +---------------+-------+
 *  | timestamp     |relOff.|
 *  | i64           | i32   |
 *  +---------------+-------+
 * </pre>
 *
 * <p>timestamp = the largest batch maxTimestamp of the segment up to this entry; relativeOffset =
 * baseOffset of the batch that carries it, minus the segment baseOffset. Entries are written at the
 * same interval as the offset index, and only when the timestamp grew, so both fields strictly
 * increase. Every record before relativeOffset has a timestamp at most the entry's. A final entry
 * with the segment's largest timestamp is written when the segment is closed or rolled, so a
 * reopened closed segment knows its largest timestamp (retention.ms) from the last entry.
 * Preallocated, trimmed, unversioned and rebuilt exactly as {@link OffsetIndexFormat} describes.
 */
public final class TimeIndexFormat {
  private TimeIndexFormat() {}

  public static final int TIMESTAMP_OFFSET = 0;
  public static final int TIMESTAMP_LENGTH = 8;
  public static final int RELATIVE_OFFSET_OFFSET = TIMESTAMP_OFFSET + TIMESTAMP_LENGTH;
  public static final int RELATIVE_OFFSET_LENGTH = 4;
  public static final int ENTRY_SIZE = RELATIVE_OFFSET_OFFSET + RELATIVE_OFFSET_LENGTH;

  public static long timestamp(ByteBuffer index, int entry) {
    return index.getLong(entry * ENTRY_SIZE + TIMESTAMP_OFFSET);
  }

  public static int relativeOffset(ByteBuffer index, int entry) {
    return index.getInt(entry * ENTRY_SIZE + RELATIVE_OFFSET_OFFSET);
  }

  public static void write(ByteBuffer index, int entry, long timestamp, int relativeOffset) {
    index.putLong(entry * ENTRY_SIZE + TIMESTAMP_OFFSET, timestamp);
    index.putInt(entry * ENTRY_SIZE + RELATIVE_OFFSET_OFFSET, relativeOffset);
  }
}
