package io.logbus.log;

import java.nio.ByteBuffer;

/**
 * The {@code .index} file of a segment: a sparse, sorted map from offset to the file position of
 * the batch starting there. One entry per {@code index.interval.bytes} of appended data.
 *
 * <pre>
 *  0       4       8   byte ruler (one entry; entry i starts at i * ENTRY_SIZE)
 *  +-------+-------+
 *  |relOff.|posit. |
 *  | i32   | i32   |
 *  +-------+-------+
 * </pre>
 *
 * <p>relativeOffset = batch baseOffset - segment baseOffset (a segment rolls before it would exceed
 * Integer.MAX_VALUE); position = byte position of that batch in the {@code .log} file. Both big
 * endian; entries strictly increase in both fields. The file of the active segment is preallocated
 * to {@code segment.index.bytes} (zeros past the last entry) and trimmed to the entries on roll and
 * on clean close, so the entry count of a closed index is {@code fileLength / ENTRY_SIZE}. The
 * layout is Kafka's; like Kafka, the file has no header: the file suffix names the format, and a
 * future layout would take a new suffix. The index is derived data: after an unclean shutdown it is
 * rebuilt from the {@code .log}, never trusted.
 */
public final class OffsetIndexFormat {
  private OffsetIndexFormat() {}

  public static final int RELATIVE_OFFSET_OFFSET = 0;
  public static final int RELATIVE_OFFSET_LENGTH = 4;
  public static final int POSITION_OFFSET = RELATIVE_OFFSET_OFFSET + RELATIVE_OFFSET_LENGTH;
  public static final int POSITION_LENGTH = 4;
  public static final int ENTRY_SIZE = POSITION_OFFSET + POSITION_LENGTH;

  public static int relativeOffset(ByteBuffer index, int entry) {
    return index.getInt(entry * ENTRY_SIZE + RELATIVE_OFFSET_OFFSET);
  }

  public static int position(ByteBuffer index, int entry) {
    return index.getInt(entry * ENTRY_SIZE + POSITION_OFFSET);
  }

  public static void write(ByteBuffer index, int entry, int relativeOffset, int position) {
    index.putInt(entry * ENTRY_SIZE + RELATIVE_OFFSET_OFFSET, relativeOffset);
    index.putInt(entry * ENTRY_SIZE + POSITION_OFFSET, position);
  }
}
