package io.logbus.metadata;

import io.logbus.metadata.SnapshotManifestFormat.FileEntry;
import io.logbus.metadata.SnapshotManifestFormat.Manifest;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The snapshots of the metadata state in one directory (Ratis' state machine directory, so Ratis
 * can ship them to a lagging voter file by file). Layout in {@link SnapshotManifestFormat}.
 *
 * <p>Taking a snapshot: RocksDB checkpoint into a temporary directory, manifest with per-file
 * SHA-256, fsync, atomic rename to {@code snapshot.<term>_<index>}. A crash before the rename
 * leaves a temporary directory that is ignored and deleted later. Loading verifies every digest
 * first; a corrupt snapshot fails loudly rather than seeding a wrong state.
 *
 * <p>Called only from the state machine's apply thread (take, restore) and from Ratis threads that
 * read {@link #latest()}.
 */
final class SnapshotStore {
  private static final Logger LOG = LoggerFactory.getLogger(SnapshotStore.class);
  private static final String TMP_PREFIX = "tmp-";

  /** A snapshot directory with its term and index, as named on disk. */
  record SnapshotRef(long term, long index, Path dir) {
    Path manifestFile() {
      return dir.resolve(SnapshotManifestFormat.MANIFEST_NAME);
    }
  }

  private final Path dir;

  SnapshotStore(Path dir) {
    this.dir = dir;
  }

  Path dir() {
    return dir;
  }

  SnapshotRef take(ClusterState state, long term, long index) {
    Path target = dir.resolve(SnapshotManifestFormat.dirName(term, index));
    if (Files.isDirectory(target)) {
      return new SnapshotRef(term, index, target);
    }
    Path tmp = dir.resolve(TMP_PREFIX + SnapshotManifestFormat.dirName(term, index));
    try {
      Files.createDirectories(dir);
      deleteRecursively(tmp);
      state.checkpoint(tmp);
      List<FileEntry> files = new ArrayList<>();
      try (Stream<Path> s = Files.list(tmp)) {
        for (Path f : s.sorted().toList()) {
          if (Files.isRegularFile(f)) {
            files.add(
                new FileEntry(
                    f.getFileName().toString(),
                    Files.size(f),
                    SnapshotManifestFormat.sha256Hex(f)));
          }
        }
      }
      Path manifest = tmp.resolve(SnapshotManifestFormat.MANIFEST_NAME);
      Files.writeString(
          manifest,
          SnapshotManifestFormat.render(new Manifest(term, index, files)),
          StandardCharsets.UTF_8);
      fsync(manifest);
      fsync(tmp);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      fsync(dir);
    } catch (IOException e) {
      throw new MetadataStorageException("snapshot " + target + " failed: " + e, e);
    }
    LOG.info("[metadata] took snapshot {}", target.getFileName());
    return new SnapshotRef(term, index, target);
  }

  /** The snapshot with the highest index by name (not yet verified), if any. */
  Optional<SnapshotRef> latest() {
    return all().stream().max(Comparator.comparingLong(SnapshotRef::index));
  }

  List<SnapshotRef> all() {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<SnapshotRef> refs = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.toList()) {
        long[] ti = SnapshotManifestFormat.parseDirName(p.getFileName().toString());
        if (ti != null && Files.isDirectory(p)) {
          refs.add(new SnapshotRef(ti[0], ti[1], p));
        }
      }
    } catch (IOException e) {
      throw new MetadataStorageException("cannot list snapshots in " + dir + ": " + e, e);
    }
    return refs;
  }

  /** The checkpoint files of a snapshot (the ones Ratis ships), manifest included. */
  List<Path> files(SnapshotRef ref) {
    Manifest m = SnapshotManifestFormat.parse(ref.manifestFile());
    List<Path> files = new ArrayList<>();
    for (FileEntry f : m.files()) {
      files.add(ref.dir().resolve(f.name()));
    }
    files.add(ref.manifestFile());
    return files;
  }

  /** Checks the manifest digest, the term and index against the name, and every file. */
  Manifest verify(SnapshotRef ref) {
    Manifest m = SnapshotManifestFormat.parse(ref.manifestFile());
    if (m.term() != ref.term() || m.index() != ref.index()) {
      throw new MetadataStorageException(
          ref.manifestFile()
              + ": records term "
              + m.term()
              + " index "
              + m.index()
              + " but the directory is named for "
              + ref.term()
              + "_"
              + ref.index());
    }
    for (FileEntry f : m.files()) {
      Path p = ref.dir().resolve(f.name());
      try {
        long size = Files.size(p);
        if (size != f.size()) {
          throw new MetadataStorageException(
              p + ": " + size + " bytes, the manifest records " + f.size());
        }
      } catch (IOException e) {
        throw new MetadataStorageException("snapshot file " + p + " unreadable: " + e, e);
      }
      String digest = SnapshotManifestFormat.sha256Hex(p);
      if (!digest.equals(f.sha256())) {
        throw new MetadataStorageException(
            p + ": SHA-256 " + digest + " does not match the manifest's " + f.sha256());
      }
    }
    return m;
  }

  /** Verifies {@code ref} and replaces {@code dbDir} with a copy of its checkpoint. */
  void restoreInto(SnapshotRef ref, Path dbDir) {
    Manifest m = verify(ref);
    try {
      deleteRecursively(dbDir);
      Files.createDirectories(dbDir);
      for (FileEntry f : m.files()) {
        // A copy, not a link: the live database must never modify a snapshot's files.
        Files.copy(ref.dir().resolve(f.name()), dbDir.resolve(f.name()));
      }
      fsync(dbDir);
    } catch (FileAlreadyExistsException e) {
      throw new MetadataStorageException("restore into " + dbDir + " found " + e.getFile(), e);
    } catch (IOException e) {
      throw new MetadataStorageException("restore of " + ref.dir() + " failed: " + e, e);
    }
    LOG.info("[metadata] restored state from snapshot {}", ref.dir().getFileName());
  }

  /**
   * Deletes snapshots beyond the newest {@code keep} once they are older than {@code minAge}, and
   * leftover temporary directories. The age bound exists because Ratis may be streaming an older
   * snapshot to a follower while newer ones are taken; deleting it would fail that transfer.
   */
  void retain(int keep, Duration minAge) {
    List<SnapshotRef> refs = new ArrayList<>(all());
    refs.sort(Comparator.comparingLong(SnapshotRef::index).reversed());
    long cutoff = System.currentTimeMillis() - minAge.toMillis();
    try {
      for (int i = Math.max(1, keep); i < refs.size(); i++) {
        Path d = refs.get(i).dir();
        if (Files.getLastModifiedTime(d).toMillis() < cutoff) {
          deleteRecursively(d);
        }
      }
      try (Stream<Path> s = Files.list(dir)) {
        for (Path p : s.toList()) {
          if (p.getFileName().toString().startsWith(TMP_PREFIX)) {
            deleteRecursively(p);
          }
        }
      }
    } catch (IOException e) {
      throw new MetadataStorageException("cannot delete old snapshots in " + dir + ": " + e, e);
    }
  }

  static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(x);
      }
    }
  }

  private static void fsync(Path p) throws IOException {
    if (Files.isDirectory(p)) {
      try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
        ch.force(true);
      }
    } else {
      try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
    }
  }
}
