package io.logbus.log;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The text layout shared by the partition's checkpoint files (Kafka's layout, so an operator can
 * read them with {@code cat}):
 *
 * <pre>
 *  line 1        VERSION            "0"
 *  line 2        N                  number of entries, decimal
 *  line 3..N+2   field field ...    one entry per line, decimal fields separated by one space
 * </pre>
 *
 * <table>
 *   <caption>files</caption>
 *   <tr><td>{@code leader-epoch-checkpoint}</td><td>entries "epoch startOffset", epochs and
 *       offsets increasing</td></tr>
 *   <tr><td>{@code recovery-point-checkpoint}</td><td>one entry "offset": every byte below it was
 *       fsynced</td></tr>
 *   <tr><td>{@code high-watermark-checkpoint}</td><td>one entry "offset"</td></tr>
 *   <tr><td>{@code cleaner-offset-checkpoint}</td><td>one entry "offset": compaction cleaned
 *       every segment below it (written by {@link LogCleaner})</td></tr>
 *   <tr><td>{@code producer-state-checkpoint}</td><td>entries "producerId epoch firstSeq lastSeq
 *       firstOffset lastOffset timestamp" (timestamp: the batch's maxTimestamp, for expiry), plus
 *       a first entry "snapshotOffset -1 -1 -1 -1 -1 -1" (the log end offset it describes). A
 *       six-field file of an older version does not parse and is rebuilt from the log.</td></tr>
 * </table>
 *
 * <p>Files are replaced atomically ({@link CheckpointFile}), so a reader sees the old or the new
 * content, never a mix. A file that does not parse is an error naming file, line and content.
 */
final class CheckpointFormat {
  private CheckpointFormat() {}

  static final int VERSION = 0;
  static final int VERSION_LINE = 0;
  static final int COUNT_LINE = VERSION_LINE + 1;
  static final int FIRST_ENTRY_LINE = COUNT_LINE + 1;
  static final String FIELD_SEPARATOR = " ";

  static List<String> encode(List<long[]> entries) {
    List<String> lines = new ArrayList<>(entries.size() + FIRST_ENTRY_LINE);
    lines.add(Integer.toString(VERSION));
    lines.add(Integer.toString(entries.size()));
    for (long[] e : entries) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < e.length; i++) {
        sb.append(i == 0 ? "" : FIELD_SEPARATOR).append(e[i]);
      }
      lines.add(sb.toString());
    }
    return lines;
  }

  /** Parses lines written by {@link #encode}; every entry must have {@code fields} fields. */
  static List<long[]> decode(Path file, List<String> lines, int fields) {
    if (lines.size() < FIRST_ENTRY_LINE) {
      throw new LogStorageException(file + ": " + lines.size() + " lines, expected a header");
    }
    long version = parse(file, lines, VERSION_LINE, lines.get(VERSION_LINE));
    if (version != VERSION) {
      throw new LogStorageException(file + ": version " + version + ", expected " + VERSION);
    }
    long count = parse(file, lines, COUNT_LINE, lines.get(COUNT_LINE));
    if (count != lines.size() - FIRST_ENTRY_LINE) {
      throw new LogStorageException(
          file + ": header says " + count + " entries, file has " + (lines.size() - 2));
    }
    List<long[]> entries = new ArrayList<>();
    for (int i = FIRST_ENTRY_LINE; i < lines.size(); i++) {
      String[] parts = lines.get(i).trim().split(FIELD_SEPARATOR);
      if (parts.length != fields) {
        throw new LogStorageException(
            file + ": line " + (i + 1) + " '" + lines.get(i) + "' has not " + fields + " fields");
      }
      long[] e = new long[fields];
      for (int f = 0; f < fields; f++) {
        e[f] = parse(file, lines, i, parts[f]);
      }
      entries.add(e);
    }
    return entries;
  }

  private static long parse(Path file, List<String> lines, int line, String text) {
    try {
      return Long.parseLong(text.trim());
    } catch (NumberFormatException e) {
      throw new LogStorageException(
          file + ": line " + (line + 1) + " '" + lines.get(line) + "' is not a number", e);
    }
  }
}
