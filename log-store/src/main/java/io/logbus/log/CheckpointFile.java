package io.logbus.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;

/**
 * One checkpoint file in {@link CheckpointFormat}, replaced atomically: write {@code name.tmp},
 * fsync it, rename over {@code name}, fsync the directory. A crash leaves the old or the new file.
 * Not thread-safe: the owning log serializes writes.
 */
final class CheckpointFile {
  private final Path file;
  private final int fields;

  CheckpointFile(Path file, int fields) {
    this.file = file;
    this.fields = fields;
  }

  Path file() {
    return file;
  }

  void write(List<long[]> entries) {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    byte[] bytes =
        (String.join("\n", CheckpointFormat.encode(entries)) + "\n")
            .getBytes(StandardCharsets.US_ASCII);
    try {
      try (FileChannel ch =
          FileChannel.open(
              tmp,
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE,
              StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      FileUtil.fsyncDirectory(file.getParent());
    } catch (IOException e) {
      throw new LogStorageException("cannot write checkpoint " + file, e);
    }
  }

  /** The entries, or empty if the file does not exist. */
  Optional<List<long[]>> read() {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(
          CheckpointFormat.decode(
              file, Files.readAllLines(file, StandardCharsets.US_ASCII), fields));
    } catch (IOException e) {
      throw new LogStorageException("cannot read checkpoint " + file, e);
    }
  }

  /** Reads a one-entry, one-field checkpoint. */
  Optional<Long> readOffset() {
    return read()
        .map(
            entries -> {
              if (entries.size() != 1) {
                throw new LogStorageException(
                    file + ": " + entries.size() + " entries, expected 1");
              }
              return entries.get(0)[0];
            });
  }

  void writeOffset(long offset) {
    write(List.of(new long[] {offset}));
  }
}
