package io.logbus.metadata;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The layout of a metadata snapshot on disk: a directory {@code snapshot.<term>_<index>} holding a
 * RocksDB checkpoint plus a text manifest that names every checkpoint file with its size and
 * SHA-256, closed by the SHA-256 of the manifest lines above it.
 *
 * <pre>
 * snapshot.3_1042/
 *   MANIFEST-000005, OPTIONS-000007, CURRENT, 000012.sst, ...   (RocksDB checkpoint)
 *   *.md5                                   (written by Ratis when the snapshot was installed
 *                                            from a leader; not part of the manifest)
 *   LOGBUS-SNAPSHOT                         (this manifest):
 *     logbus-metadata-snapshot 1\n
 *     term 3\n
 *     index 1042\n
 *     file &lt;sha256 hex&gt; &lt;size&gt; &lt;name&gt;\n    (one per checkpoint file, sorted by name)
 *     digest &lt;sha256 hex of every byte above&gt;\n
 * </pre>
 *
 * A snapshot whose manifest is missing, malformed, or disagrees with a file is corrupt and is never
 * loaded.
 */
final class SnapshotManifestFormat {
  static final String MANIFEST_NAME = "LOGBUS-SNAPSHOT";
  static final String HEADER = "logbus-metadata-snapshot 1";
  static final String DIR_PREFIX = "snapshot.";
  static final Pattern DIR_PATTERN = Pattern.compile("snapshot\\.(\\d+)_(\\d+)");

  private SnapshotManifestFormat() {}

  record FileEntry(String name, long size, String sha256) {}

  record Manifest(long term, long index, List<FileEntry> files) {}

  static String dirName(long term, long index) {
    return DIR_PREFIX + term + "_" + index;
  }

  /** Term and index from a directory name, or null if the name is not a snapshot's. */
  static long[] parseDirName(String name) {
    Matcher m = DIR_PATTERN.matcher(name);
    if (!m.matches()) {
      return null;
    }
    return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
  }

  static String render(Manifest m) {
    StringBuilder body = new StringBuilder();
    body.append(HEADER).append('\n');
    body.append("term ").append(m.term()).append('\n');
    body.append("index ").append(m.index()).append('\n');
    for (FileEntry f : m.files()) {
      body.append("file ")
          .append(f.sha256())
          .append(' ')
          .append(f.size())
          .append(' ')
          .append(f.name())
          .append('\n');
    }
    String digest = sha256Hex(body.toString().getBytes(StandardCharsets.UTF_8));
    return body + "digest " + digest + "\n";
  }

  /** Parses and checks the closing digest; throws naming the file and the fault. */
  static Manifest parse(Path manifestFile) {
    String text;
    try {
      text = Files.readString(manifestFile, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new MetadataStorageException("cannot read " + manifestFile + ": " + e, e);
    }
    int digestAt = text.lastIndexOf("digest ");
    if (digestAt < 0 || !text.startsWith(HEADER + "\n") || !text.endsWith("\n")) {
      throw new MetadataStorageException(manifestFile + ": not a complete snapshot manifest");
    }
    String body = text.substring(0, digestAt);
    String expected = text.substring(digestAt + "digest ".length(), text.length() - 1).trim();
    String actual = sha256Hex(body.getBytes(StandardCharsets.UTF_8));
    if (!actual.equals(expected)) {
      throw new MetadataStorageException(
          manifestFile + ": manifest digest " + actual + " does not match recorded " + expected);
    }
    long term = -1;
    long index = -1;
    List<FileEntry> files = new ArrayList<>();
    try {
      for (String line : body.split("\n")) {
        if (line.startsWith("term ")) {
          term = Long.parseLong(line.substring(5));
        } else if (line.startsWith("index ")) {
          index = Long.parseLong(line.substring(6));
        } else if (line.startsWith("file ")) {
          String[] parts = line.split(" ", 4);
          files.add(new FileEntry(parts[3], Long.parseLong(parts[2]), parts[1]));
        }
      }
    } catch (RuntimeException e) {
      throw new MetadataStorageException(manifestFile + ": malformed line: " + e.getMessage(), e);
    }
    if (term < 0 || index < 0 || files.isEmpty()) {
      throw new MetadataStorageException(manifestFile + ": missing term, index or files");
    }
    return new Manifest(term, index, files);
  }

  static String sha256Hex(byte[] bytes) {
    return HexFormat.of().formatHex(ClusterState.sha256().digest(bytes));
  }

  static String sha256Hex(Path file) {
    MessageDigest md = ClusterState.sha256();
    try (var in = Files.newInputStream(file)) {
      byte[] buf = new byte[64 * 1024];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    } catch (IOException e) {
      throw new MetadataStorageException("cannot read " + file + ": " + e, e);
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
