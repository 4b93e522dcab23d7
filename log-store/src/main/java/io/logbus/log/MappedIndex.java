package io.logbus.log;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A memory-mapped file of fixed-size entries (the common part of {@link OffsetIndex} and {@link
 * TimeIndex}). One writer (the log's append lock) and many readers: the writer fills an entry's
 * bytes, then publishes it by a volatile write of {@link #entries}; a reader that reads {@code
 * entries} first sees every byte of the entries it counts.
 *
 * <p>The mapping is never unmapped by hand (that would need Unsafe): a trimmed or deleted index
 * keeps its old mapping until the garbage collector drops it, and no code touches bytes past the
 * published entries, so a shorter file under a longer mapping is never read past its end.
 */
abstract class MappedIndex {
  private final int entrySize;
  private volatile Path file;
  private volatile MappedByteBuffer mmap;
  private volatile int entries;
  private int maxEntries;

  /** Why the file as found cannot be trusted (set at open), or null. */
  private String damage;

  /**
   * Opens or creates {@code file}. Entries = existing length / entrySize (a trimmed index); the
   * mapping is grown to {@code maxIndexBytes} (rounded down to whole entries) when {@code
   * writable}.
   */
  MappedIndex(Path file, int entrySize, int maxIndexBytes, boolean writable) throws IOException {
    this.entrySize = entrySize;
    this.file = file;
    long existing = Files.exists(file) ? Files.size(file) : 0;
    this.entries = (int) (existing / entrySize);
    if (existing % entrySize != 0) {
      damage = file + ": " + existing + " bytes is not a multiple of " + entrySize;
    }
    map(writable ? Math.max(roundDown(maxIndexBytes), (long) entries * entrySize) : existing);
  }

  private long roundDown(long bytes) {
    return bytes / entrySize * entrySize;
  }

  /** Sets the file length to {@code length} and maps all of it. */
  private void map(long length) throws IOException {
    try (FileChannel ch =
        FileChannel.open(
            file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long rounded = roundDown(length);
      if (ch.size() != rounded) {
        if (ch.size() > rounded) {
          ch.truncate(rounded);
        } else {
          // Extending with zeros; the zeros past the last entry are never read as entries.
          ch.write(java.nio.ByteBuffer.allocate(1), rounded - 1);
        }
      }
      this.mmap = ch.map(FileChannel.MapMode.READ_WRITE, 0, rounded);
      this.maxEntries = (int) (rounded / entrySize);
    }
  }

  /** The mapped bytes; entry i at i * entrySize. Read {@link #entries()} before reading it. */
  final MappedByteBuffer buffer() {
    return mmap;
  }

  final int entries() {
    return entries;
  }

  final boolean isFull() {
    return entries >= maxEntries;
  }

  /** Called by the subclass after writing entry {@code entries()}: publishes it to readers. */
  final void publishAppended() {
    entries = entries + 1;
  }

  /**
   * Drops entries {@code [keep, entries)}; their bytes are zeroed so a crash cannot revive them.
   */
  final void truncateEntries(int keep) {
    if (keep < 0 || keep > entries) {
      throw new IllegalArgumentException("cannot keep " + keep + " of " + entries + " entries");
    }
    int old = entries;
    entries = keep;
    MappedByteBuffer b = mmap;
    for (int i = keep * entrySize; i < old * entrySize; i++) {
      b.put(i, (byte) 0);
    }
  }

  final void reset() {
    truncateEntries(0);
    damage = null;
  }

  final String damage() {
    return damage;
  }

  /** Shrinks the file to its entries (closed segment). */
  final void trimToEntries() throws IOException {
    mmap.force();
    map((long) entries * entrySize);
  }

  /** Grows the mapping back to {@code maxIndexBytes} (a closed segment became active again). */
  final void growTo(int maxIndexBytes) throws IOException {
    map(Math.max(roundDown(maxIndexBytes), (long) entries * entrySize));
  }

  final void flush() {
    mmap.force();
  }

  final Path file() {
    return file;
  }

  final void renameTo(Path target) throws IOException {
    Files.move(
        file,
        target,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    file = target;
  }

  final void deleteFile() {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  final int sizeInBytes() {
    return entries * entrySize;
  }
}
