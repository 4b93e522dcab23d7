package io.logbus.log;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * What a crash leaves of a live log: its directory's files copied as they are while the log is open
 * (no clean-shutdown marker, checkpoints as last written).
 */
final class CrashCopy {
  private CrashCopy() {}

  /** Copies every file of {@code from} into a new directory {@code to}; returns {@code to}. */
  static Path of(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    try (Stream<Path> files = Files.list(from)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.copy(f, to.resolve(f.getFileName()));
      }
    }
    return to;
  }
}
