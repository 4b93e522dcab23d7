package io.logbus.log;

import java.nio.file.Path;

/**
 * Names of the files in a partition directory. A segment is named by its base offset as 20 zero-
 * padded decimal digits (the width of Long.MAX_VALUE, so names sort as offsets do):
 *
 * <pre>
 *  00000000000000000042.log         record batches, back to back
 *  00000000000000000042.index       {@link OffsetIndexFormat}
 *  00000000000000000042.timeindex   {@link TimeIndexFormat}
 *  00000000000000000042.log.cleaned compaction output being written (deleted on open)
 *  00000000000000000042.log.swap    compaction output complete and fsynced: on open it replaces
 *                                   00000000000000000042.log and the indexes are rebuilt
 * </pre>
 */
final class LogFileNames {
  private LogFileNames() {}

  static final String LOG_SUFFIX = ".log";
  static final String INDEX_SUFFIX = ".index";
  static final String TIME_INDEX_SUFFIX = ".timeindex";
  static final String CLEANED_SUFFIX = ".cleaned";
  static final String SWAP_SUFFIX = ".swap";
  static final int OFFSET_DIGITS = 20;

  static final String LEADER_EPOCH_CHECKPOINT = "leader-epoch-checkpoint";
  static final String RECOVERY_POINT_CHECKPOINT = "recovery-point-checkpoint";
  static final String HIGH_WATERMARK_CHECKPOINT = "high-watermark-checkpoint";
  static final String PRODUCER_STATE_CHECKPOINT = "producer-state-checkpoint";
  static final String CLEANER_OFFSET_CHECKPOINT = "cleaner-offset-checkpoint";

  /** Present only between a clean close and the next open: the files need no recovery scan. */
  static final String CLEAN_SHUTDOWN_MARKER = ".clean-shutdown";

  static String baseName(long baseOffset) {
    if (baseOffset < 0) {
      throw new IllegalArgumentException("negative base offset " + baseOffset);
    }
    String digits = Long.toString(baseOffset);
    return "0".repeat(OFFSET_DIGITS - digits.length()) + digits;
  }

  static Path logFile(Path dir, long baseOffset) {
    return dir.resolve(baseName(baseOffset) + LOG_SUFFIX);
  }

  static Path indexFile(Path dir, long baseOffset) {
    return dir.resolve(baseName(baseOffset) + INDEX_SUFFIX);
  }

  static Path timeIndexFile(Path dir, long baseOffset) {
    return dir.resolve(baseName(baseOffset) + TIME_INDEX_SUFFIX);
  }

  /** Base offset of a file named {@code <20 digits><suffix>}, or -1 if the name is not one. */
  static long parseBaseOffset(String fileName, String suffix) {
    if (!fileName.endsWith(suffix) || fileName.length() != OFFSET_DIGITS + suffix.length()) {
      return -1;
    }
    String digits = fileName.substring(0, OFFSET_DIGITS);
    for (int i = 0; i < digits.length(); i++) {
      if (!Character.isDigit(digits.charAt(i))) {
        return -1;
      }
    }
    try {
      return Long.parseLong(digits);
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
