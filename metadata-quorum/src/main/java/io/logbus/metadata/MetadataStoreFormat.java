package io.logbus.metadata;

import io.logbus.proto.metadata.Endpoint;
import io.logbus.proto.metadata.StoredBroker;
import io.logbus.proto.metadata.StoredPartition;
import io.logbus.proto.metadata.StoredTopic;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The RocksDB layout of the metadata state: one column family per kind, keys ordered so that a
 * topic's partitions are one contiguous range.
 *
 * <pre>
 * column family  key                                         value
 * -------------  ------------------------------------------  ---------------------------------
 * meta           "last_applied"                              term i64 | index i64   (16 bytes)
 * meta           "next_producer_id"                          next id i64            (8 bytes)
 * brokers        broker id i32 (big endian)                  StoredBroker (protobuf)
 * topics         topic name (UTF-8)                          StoredTopic (protobuf)
 * partitions     topic name (UTF-8) | 0x00 | partition i32   StoredPartition (protobuf)
 *
 * last_applied value:
 *  0       8       16
 *  +-------+-------+
 *  | term  | index |
 *  +-------+-------+
 * </pre>
 *
 * Topic names are {@code [a-zA-Z0-9._-]}, so the 0x00 separator never occurs inside a name and
 * sorts before every name character: "a"'s partitions sort before "a.b"'s.
 */
final class MetadataStoreFormat {
  static final String CF_META = "meta";
  static final String CF_BROKERS = "brokers";
  static final String CF_TOPICS = "topics";
  static final String CF_PARTITIONS = "partitions";
  static final List<String> COLUMN_FAMILIES =
      List.of(CF_META, CF_BROKERS, CF_TOPICS, CF_PARTITIONS);

  static final byte[] KEY_LAST_APPLIED = "last_applied".getBytes(StandardCharsets.US_ASCII);
  static final byte[] KEY_NEXT_PRODUCER_ID = "next_producer_id".getBytes(StandardCharsets.US_ASCII);

  static final int LAST_APPLIED_TERM_OFFSET = 0;
  static final int LAST_APPLIED_TERM_LENGTH = Long.BYTES;
  static final int LAST_APPLIED_INDEX_OFFSET = LAST_APPLIED_TERM_OFFSET + LAST_APPLIED_TERM_LENGTH;
  static final int LAST_APPLIED_INDEX_LENGTH = Long.BYTES;
  static final int LAST_APPLIED_LENGTH = LAST_APPLIED_INDEX_OFFSET + LAST_APPLIED_INDEX_LENGTH;

  static final byte PARTITION_KEY_SEPARATOR = 0;
  static final int PARTITION_INDEX_LENGTH = Integer.BYTES;

  private MetadataStoreFormat() {}

  static byte[] lastAppliedValue(long term, long index) {
    return ByteBuffer.allocate(LAST_APPLIED_LENGTH)
        .putLong(LAST_APPLIED_TERM_OFFSET, term)
        .putLong(LAST_APPLIED_INDEX_OFFSET, index)
        .array();
  }

  static long lastAppliedTerm(byte[] value) {
    checkLength(value, LAST_APPLIED_LENGTH, "last_applied");
    return ByteBuffer.wrap(value).getLong(LAST_APPLIED_TERM_OFFSET);
  }

  static long lastAppliedIndex(byte[] value) {
    checkLength(value, LAST_APPLIED_LENGTH, "last_applied");
    return ByteBuffer.wrap(value).getLong(LAST_APPLIED_INDEX_OFFSET);
  }

  static byte[] longValue(long v) {
    return ByteBuffer.allocate(Long.BYTES).putLong(0, v).array();
  }

  static long longOf(byte[] value, String what) {
    checkLength(value, Long.BYTES, what);
    return ByteBuffer.wrap(value).getLong(0);
  }

  static byte[] brokerKey(int id) {
    return ByteBuffer.allocate(Integer.BYTES).putInt(0, id).array();
  }

  static byte[] topicKey(String name) {
    return name.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] partitionKey(String topic, int partition) {
    byte[] name = topicKey(topic);
    return ByteBuffer.allocate(name.length + 1 + PARTITION_INDEX_LENGTH)
        .put(name)
        .put(PARTITION_KEY_SEPARATOR)
        .putInt(partition)
        .array();
  }

  /** The first key after every partition key of {@code topic} (exclusive end of its range). */
  static byte[] partitionRangeEnd(String topic) {
    byte[] name = topicKey(topic);
    byte[] end = Arrays.copyOf(name, name.length + 1);
    end[name.length] = PARTITION_KEY_SEPARATOR + 1;
    return end;
  }

  static StoredBroker toStored(BrokerRegistration b) {
    return StoredBroker.newBuilder()
        .setBrokerId(b.id())
        .addEndpoints(Endpoint.newBuilder().setName("CLIENT").setHost(b.host()).setPort(b.port()))
        .setIncarnationId(b.incarnationId())
        .setBrokerEpoch(b.epoch())
        .setFenced(b.fenced())
        .build();
  }

  static BrokerRegistration fromStored(StoredBroker s) {
    Endpoint ep = s.getEndpointsCount() > 0 ? s.getEndpoints(0) : Endpoint.getDefaultInstance();
    return new BrokerRegistration(
        s.getBrokerId(),
        ep.getHost(),
        ep.getPort(),
        s.getBrokerEpoch(),
        s.getIncarnationId(),
        s.getFenced());
  }

  static StoredTopic toStored(TopicImage t) {
    return StoredTopic.newBuilder()
        .setName(t.name())
        .setTopicId(t.id().toString())
        .putAllConfigs(t.configs())
        .setPartitionCount(t.partitionCount())
        .build();
  }

  static StoredPartition toStored(PartitionState p) {
    return StoredPartition.newBuilder()
        .setPartition(p.partition())
        .setLeader(p.leader())
        .setLeaderEpoch(p.leaderEpoch())
        .setPartitionEpoch(p.partitionEpoch())
        .addAllReplicas(p.replicas())
        .addAllIsr(p.isr())
        .build();
  }

  static PartitionState fromStored(StoredPartition s) {
    return new PartitionState(
        s.getPartition(),
        s.getLeader(),
        s.getLeaderEpoch(),
        s.getPartitionEpoch(),
        s.getReplicasList(),
        s.getIsrList());
  }

  private static void checkLength(byte[] value, int expected, String what) {
    if (value.length != expected) {
      throw new MetadataStorageException(
          what + ": value is " + value.length + " bytes, expected " + expected);
    }
  }
}
