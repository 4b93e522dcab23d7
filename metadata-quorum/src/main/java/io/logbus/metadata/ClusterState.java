package io.logbus.metadata;

import static io.logbus.metadata.MetadataStoreFormat.CF_BROKERS;
import static io.logbus.metadata.MetadataStoreFormat.CF_META;
import static io.logbus.metadata.MetadataStoreFormat.CF_PARTITIONS;
import static io.logbus.metadata.MetadataStoreFormat.CF_TOPICS;

import com.google.protobuf.InvalidProtocolBufferException;
import io.logbus.proto.metadata.MetadataRecord;
import io.logbus.proto.metadata.StoredBroker;
import io.logbus.proto.metadata.StoredPartition;
import io.logbus.proto.metadata.StoredTopic;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.rocksdb.Checkpoint;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metadata state on one node: a RocksDB database laid out as in {@link MetadataStoreFormat}
 * plus the in-memory {@link MetadataImage} derived from it. Knows nothing of Ratis.
 *
 * <p>{@link #apply} writes the records' effects and the new last-applied (term, index) in ONE write
 * batch, so after a crash the database is either before or after the entry, never half way, and
 * replaying an entry at or below the stored index is a no-op. Writes are not fsynced: the Raft log
 * is the durable copy, and a database that lost its tail replays it from there (checkpoints flush
 * the memtable first, so the database never falls behind a snapshot that let the log be purged).
 *
 * <p>Not thread-safe for writers: the state machine's apply thread is the only writer; {@link
 * #image()} may be read from any thread.
 */
final class ClusterState implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterState.class);

  static {
    RocksDB.loadLibrary();
  }

  private final Path dir;
  private final DBOptions options;
  private final RocksDB db;
  private final List<ColumnFamilyHandle> handles;
  private final Map<String, ColumnFamilyHandle> families = new HashMap<>();
  private final WriteOptions writeOptions = new WriteOptions();
  private volatile MetadataImage image;

  private ClusterState(Path dir, DBOptions options, RocksDB db, List<ColumnFamilyHandle> handles) {
    this.dir = dir;
    this.options = options;
    this.db = db;
    this.handles = handles;
    for (int i = 0; i < MetadataStoreFormat.COLUMN_FAMILIES.size(); i++) {
      families.put(MetadataStoreFormat.COLUMN_FAMILIES.get(i), handles.get(i + 1));
    }
  }

  /** Opens (creating if missing) the database in {@code dir} and loads its image. */
  static ClusterState open(Path dir) {
    DBOptions options =
        new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
    List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
    descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY));
    for (String cf : MetadataStoreFormat.COLUMN_FAMILIES) {
      descriptors.add(new ColumnFamilyDescriptor(cf.getBytes(StandardCharsets.US_ASCII)));
    }
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    try {
      Files.createDirectories(dir);
      RocksDB db = RocksDB.open(options, dir.toString(), descriptors, handles);
      ClusterState state = new ClusterState(dir, options, db, handles);
      state.image = state.load();
      LOG.info("[metadata] opened {} at index {}", dir, state.image.lastAppliedIndex());
      return state;
    } catch (RocksDBException | java.io.IOException e) {
      options.close();
      throw new MetadataStorageException("cannot open metadata store " + dir + ": " + e, e);
    }
  }

  MetadataImage image() {
    return image;
  }

  Path dir() {
    return dir;
  }

  /**
   * Applies one log entry. An entry at or below the last applied index was applied before a restart
   * and is skipped, which makes replay idempotent.
   *
   * @return the image after the entry
   */
  MetadataImage apply(long term, long index, List<MetadataRecord> records) {
    MetadataImage before = image;
    if (index <= before.lastAppliedIndex()) {
      LOG.debug(
          "[metadata] skipping entry {}: already applied up to {}",
          index,
          before.lastAppliedIndex());
      return before;
    }
    ImageBuilder builder = new ImageBuilder(before);
    for (MetadataRecord r : records) {
      builder.apply(r);
    }
    MetadataImage after = builder.build(index, term);
    try (WriteBatch batch = new WriteBatch()) {
      stage(batch, builder, after);
      batch.put(
          cf(CF_META),
          MetadataStoreFormat.KEY_LAST_APPLIED,
          MetadataStoreFormat.lastAppliedValue(term, index));
      db.write(writeOptions, batch);
    } catch (RocksDBException e) {
      throw new MetadataStorageException(
          "write of entry " + index + " to " + dir + " failed: " + e, e);
    }
    image = after;
    return after;
  }

  /** Records that entry (term, index) carried no metadata (a Raft configuration entry). */
  void markApplied(long term, long index) {
    if (index <= image.lastAppliedIndex()) {
      return;
    }
    try {
      db.put(
          cf(CF_META),
          writeOptions,
          MetadataStoreFormat.KEY_LAST_APPLIED,
          MetadataStoreFormat.lastAppliedValue(term, index));
    } catch (RocksDBException e) {
      throw new MetadataStorageException("write of index " + index + " failed: " + e, e);
    }
    image = image.withApplied(index, term);
  }

  private void stage(WriteBatch batch, ImageBuilder b, MetadataImage after)
      throws RocksDBException {
    for (int id : b.dirtyBrokers) {
      BrokerRegistration reg = after.brokers().get(id);
      batch.put(
          cf(CF_BROKERS),
          MetadataStoreFormat.brokerKey(id),
          MetadataStoreFormat.toStored(reg).toByteArray());
    }
    for (Map.Entry<String, Integer> deleted : b.deletedTopics.entrySet()) {
      String name = deleted.getKey();
      batch.delete(cf(CF_TOPICS), MetadataStoreFormat.topicKey(name));
      batch.deleteRange(
          cf(CF_PARTITIONS),
          MetadataStoreFormat.partitionKey(name, 0),
          MetadataStoreFormat.partitionRangeEnd(name));
    }
    for (String name : b.dirtyTopics) {
      TopicImage t = after.topics().get(name);
      if (t != null) {
        batch.put(
            cf(CF_TOPICS),
            MetadataStoreFormat.topicKey(name),
            MetadataStoreFormat.toStored(t).toByteArray());
      }
    }
    for (Map.Entry<String, Set<Integer>> e : b.dirtyPartitions.entrySet()) {
      TopicImage t = after.topics().get(e.getKey());
      if (t == null) {
        continue;
      }
      for (int p : e.getValue()) {
        batch.put(
            cf(CF_PARTITIONS),
            MetadataStoreFormat.partitionKey(t.name(), p),
            MetadataStoreFormat.toStored(t.partition(p)).toByteArray());
      }
    }
    if (b.producerIdsDirty) {
      batch.put(
          cf(CF_META),
          MetadataStoreFormat.KEY_NEXT_PRODUCER_ID,
          MetadataStoreFormat.longValue(after.nextProducerId()));
    }
  }

  /**
   * Writes a consistent RocksDB checkpoint (hard-linked SSTs after a memtable flush) into {@code
   * target}, which must not exist.
   */
  void checkpoint(Path target) {
    try (Checkpoint cp = Checkpoint.create(db)) {
      cp.createCheckpoint(target.toString());
    } catch (RocksDBException e) {
      throw new MetadataStorageException("checkpoint into " + target + " failed: " + e, e);
    }
  }

  /**
   * SHA-256 over every column family's keys and values in key order, except the last-applied
   * position: equal on two nodes iff their stored metadata is equal, even when one of them has also
   * applied a Raft no-op entry (a new leader's first entry) the other has not.
   */
  byte[] contentDigest() {
    MessageDigest md = sha256();
    for (String name : MetadataStoreFormat.COLUMN_FAMILIES) {
      md.update(name.getBytes(StandardCharsets.US_ASCII));
      try (RocksIterator it = db.newIterator(cf(name))) {
        for (it.seekToFirst(); it.isValid(); it.next()) {
          byte[] k = it.key();
          if (name.equals(CF_META) && Arrays.equals(k, MetadataStoreFormat.KEY_LAST_APPLIED)) {
            continue;
          }
          byte[] v = it.value();
          md.update(ByteBuffer.allocate(4).putInt(0, k.length).array());
          md.update(k);
          md.update(ByteBuffer.allocate(4).putInt(0, v.length).array());
          md.update(v);
        }
      }
    }
    return md.digest();
  }

  /** Every stored key and value as "cf key=value" hex lines, for diagnosing a digest mismatch. */
  List<String> dump() {
    List<String> out = new ArrayList<>();
    HexFormat hex = HexFormat.of();
    for (String name : MetadataStoreFormat.COLUMN_FAMILIES) {
      try (RocksIterator it = db.newIterator(cf(name))) {
        for (it.seekToFirst(); it.isValid(); it.next()) {
          out.add(name + " " + hex.formatHex(it.key()) + "=" + hex.formatHex(it.value()));
        }
      }
    }
    return out;
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks SHA-256", e);
    }
  }

  private MetadataImage load() throws RocksDBException {
    long term = 0;
    long index = -1;
    byte[] last = db.get(cf(CF_META), MetadataStoreFormat.KEY_LAST_APPLIED);
    if (last != null) {
      term = MetadataStoreFormat.lastAppliedTerm(last);
      index = MetadataStoreFormat.lastAppliedIndex(last);
    }
    byte[] pid = db.get(cf(CF_META), MetadataStoreFormat.KEY_NEXT_PRODUCER_ID);
    long nextProducerId = pid == null ? 0 : MetadataStoreFormat.longOf(pid, "next_producer_id");
    Map<Integer, BrokerRegistration> brokers = new HashMap<>();
    Map<String, StoredTopic> stored = new HashMap<>();
    Map<String, List<PartitionState>> partitions = new HashMap<>();
    try {
      try (RocksIterator it = db.newIterator(cf(CF_BROKERS))) {
        for (it.seekToFirst(); it.isValid(); it.next()) {
          BrokerRegistration b = MetadataStoreFormat.fromStored(StoredBroker.parseFrom(it.value()));
          brokers.put(b.id(), b);
        }
      }
      try (RocksIterator it = db.newIterator(cf(CF_TOPICS))) {
        for (it.seekToFirst(); it.isValid(); it.next()) {
          StoredTopic t = StoredTopic.parseFrom(it.value());
          stored.put(t.getName(), t);
        }
      }
      try (RocksIterator it = db.newIterator(cf(CF_PARTITIONS))) {
        for (it.seekToFirst(); it.isValid(); it.next()) {
          byte[] key = it.key();
          int sep = key.length - MetadataStoreFormat.PARTITION_INDEX_LENGTH - 1;
          String topic = new String(key, 0, sep, StandardCharsets.UTF_8);
          partitions
              .computeIfAbsent(topic, k -> new ArrayList<>())
              .add(MetadataStoreFormat.fromStored(StoredPartition.parseFrom(it.value())));
        }
      }
    } catch (InvalidProtocolBufferException e) {
      throw new MetadataStorageException("corrupt value in " + dir + ": " + e.getMessage(), e);
    }
    Map<String, TopicImage> topics = new HashMap<>();
    for (StoredTopic t : stored.values()) {
      List<PartitionState> parts = partitions.getOrDefault(t.getName(), List.of());
      if (parts.size() != t.getPartitionCount()) {
        throw new MetadataStorageException(
            dir
                + ": topic "
                + t.getName()
                + " records "
                + t.getPartitionCount()
                + " partitions but "
                + parts.size()
                + " are stored");
      }
      topics.put(
          t.getName(),
          new TopicImage(t.getName(), UUID.fromString(t.getTopicId()), t.getConfigsMap(), parts));
    }
    return new MetadataImage(brokers, topics, nextProducerId, index, term, -1, List.of());
  }

  private ColumnFamilyHandle cf(String name) {
    return families.get(name);
  }

  @Override
  public void close() {
    for (ColumnFamilyHandle h : handles) {
      h.close();
    }
    db.close();
    options.close();
    writeOptions.close();
  }
}
