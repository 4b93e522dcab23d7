package io.logbus.group;

import io.logbus.proto.ErrorCode;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The record keys and values of the internal compacted topic {@code __consumer_offsets}, drawn once
 * here. Records travel in ordinary RecordBatch v2 batches (see {@link OffsetsBatches}); compaction
 * keeps the latest record per key, and a record with a null value (tombstone) deletes the key: an
 * offset on group deletion or expiry, a group on deletion.
 *
 * <p>All integers big-endian. {@code str} is an i16 byte length followed by that many bytes of
 * UTF-8. The key's leading version tells the record kinds apart (the numbers follow Kafka: 1 for
 * offset commits, 2 for group metadata). Value versions start at 0; a reader refuses a version it
 * does not know rather than guess.
 *
 * <pre>
 * Offset-commit key (version 1)
 *  0        2                     2+g                       4+g+t
 *  +--------+---------------------+-------------------------+-----------+
 *  |version | group: str          | topic: str              | partition |
 *  |  i16=1 | i16 len + utf-8     | i16 len + utf-8         |   i32     |
 *  +--------+---------------------+-------------------------+-----------+
 *
 * Offset-commit value (version 0); null = tombstone (offset deleted or expired)
 *  0        2               10             14                   22         24
 *  +--------+---------------+--------------+--------------------+----------+----------+
 *  |version | offset        | leader epoch | commit timestamp   | meta len | metadata |
 *  |  i16=0 |   i64         |   i32        |   i64 (ms)         |   i16    |  utf-8   |
 *  +--------+---------------+--------------+--------------------+----------+----------+
 *
 * Group-metadata key (version 2)
 *  0        2
 *  +--------+---------------------+
 *  |version | group: str          |
 *  |  i16=2 | i16 len + utf-8     |
 *  +--------+---------------------+
 *
 * Group-metadata value (version 0); null = tombstone (group deleted). Variable length:
 *  0        2             6                  10
 *  +--------+-------------+------------------+--------------------------+---------------------+
 *  |version | group epoch | assignment epoch | subscription metadata    | members             |
 *  |  i16=0 |   i32       |   i32            | i32 n, n x (str, i32)    | i32 n, n x member   |
 *  +--------+-------------+------------------+--------------------------+---------------------+
 *  member     = member id str, client id str, client host str, rack str, server assignor str,
 *               rebalance timeout i32, member epoch i32, previous member epoch i32, state i8,
 *               subscribed topics (i32 n, n x str),
 *               assigned partitions, pending-revocation partitions, target partitions
 *  partitions = i32 topics, topics x (topic str, i32 n, n x partition i32)
 * </pre>
 */
public final class OffsetsTopicFormat {

  public static final short OFFSET_COMMIT_KEY_VERSION = 1;
  public static final short GROUP_METADATA_KEY_VERSION = 2;
  public static final short OFFSET_COMMIT_VALUE_VERSION = 0;
  public static final short GROUP_METADATA_VALUE_VERSION = 0;

  public static final int VERSION_OFFSET = 0;
  public static final int VERSION_LENGTH = 2;
  public static final int KEY_GROUP_OFFSET = VERSION_OFFSET + VERSION_LENGTH;

  public static final int VALUE_OFFSET_OFFSET = VERSION_OFFSET + VERSION_LENGTH;
  public static final int VALUE_OFFSET_LENGTH = 8;
  public static final int VALUE_LEADER_EPOCH_OFFSET = VALUE_OFFSET_OFFSET + VALUE_OFFSET_LENGTH;
  public static final int VALUE_LEADER_EPOCH_LENGTH = 4;
  public static final int VALUE_COMMIT_TIMESTAMP_OFFSET =
      VALUE_LEADER_EPOCH_OFFSET + VALUE_LEADER_EPOCH_LENGTH;
  public static final int VALUE_COMMIT_TIMESTAMP_LENGTH = 8;
  public static final int VALUE_METADATA_LENGTH_OFFSET =
      VALUE_COMMIT_TIMESTAMP_OFFSET + VALUE_COMMIT_TIMESTAMP_LENGTH;
  public static final int VALUE_METADATA_LENGTH_LENGTH = 2;
  public static final int VALUE_METADATA_OFFSET =
      VALUE_METADATA_LENGTH_OFFSET + VALUE_METADATA_LENGTH_LENGTH;

  public static final int GROUP_EPOCH_OFFSET = VERSION_OFFSET + VERSION_LENGTH;
  public static final int GROUP_EPOCH_LENGTH = 4;
  public static final int ASSIGNMENT_EPOCH_OFFSET = GROUP_EPOCH_OFFSET + GROUP_EPOCH_LENGTH;
  public static final int ASSIGNMENT_EPOCH_LENGTH = 4;
  public static final int SUBSCRIPTION_METADATA_OFFSET =
      ASSIGNMENT_EPOCH_OFFSET + ASSIGNMENT_EPOCH_LENGTH;

  /** Longest str: its length is an i16. Offset metadata is held well below (see validation). */
  public static final int MAX_STRING_BYTES = Short.MAX_VALUE;

  private OffsetsTopicFormat() {}

  /** A decoded key: which record kind it is and what it names. */
  public sealed interface Key permits OffsetKey, GroupKey {
    String group();
  }

  public record OffsetKey(String group, TopicPartition partition) implements Key {}

  public record GroupKey(String group) implements Key {}

  // ---------------------------------------------------------------- encode

  public static byte[] offsetKey(String group, TopicPartition tp) {
    byte[] g = utf8(group);
    byte[] t = utf8(tp.topic());
    ByteBuffer b = ByteBuffer.allocate(VERSION_LENGTH + 2 + g.length + 2 + t.length + 4);
    b.putShort(OFFSET_COMMIT_KEY_VERSION);
    putStr(b, g);
    putStr(b, t);
    b.putInt(tp.partition());
    return b.array();
  }

  public static byte[] groupKey(String group) {
    byte[] g = utf8(group);
    ByteBuffer b = ByteBuffer.allocate(VERSION_LENGTH + 2 + g.length);
    b.putShort(GROUP_METADATA_KEY_VERSION);
    putStr(b, g);
    return b.array();
  }

  public static byte[] offsetValue(OffsetAndMetadata v) {
    byte[] m = utf8(v.metadata());
    ByteBuffer b = ByteBuffer.allocate(VALUE_METADATA_OFFSET + m.length);
    b.putShort(VERSION_OFFSET, OFFSET_COMMIT_VALUE_VERSION);
    b.putLong(VALUE_OFFSET_OFFSET, v.offset());
    b.putInt(VALUE_LEADER_EPOCH_OFFSET, v.leaderEpoch());
    b.putLong(VALUE_COMMIT_TIMESTAMP_OFFSET, v.commitTimestampMs());
    b.putShort(VALUE_METADATA_LENGTH_OFFSET, (short) m.length);
    b.put(VALUE_METADATA_OFFSET, m);
    return b.array();
  }

  public static byte[] groupValue(GroupMetadataValue v) {
    Writer w = new Writer();
    w.i16(GROUP_METADATA_VALUE_VERSION);
    w.i32(v.groupEpoch());
    w.i32(v.assignmentEpoch());
    Map<String, Integer> sorted = new TreeMap<>(v.subscriptionMetadata());
    w.i32(sorted.size());
    sorted.forEach(
        (topic, count) -> {
          w.str(topic);
          w.i32(count);
        });
    w.i32(v.members().size());
    for (GroupMetadataValue.Member m : v.members()) {
      w.str(m.memberId());
      w.str(m.clientId());
      w.str(m.clientHost());
      w.str(m.rackId());
      w.str(m.serverAssignor());
      w.i32(m.rebalanceTimeoutMs());
      w.i32(m.memberEpoch());
      w.i32(m.previousMemberEpoch());
      w.i8(m.state());
      Set<String> topics = new TreeSet<>(m.subscribedTopics());
      w.i32(topics.size());
      topics.forEach(w::str);
      w.partitions(m.assigned());
      w.partitions(m.pendingRevocation());
      w.partitions(m.target());
    }
    return w.toArray();
  }

  // ---------------------------------------------------------------- decode

  /** Decodes a key; throws GroupException(CORRUPT_MESSAGE) on an unknown version or short data. */
  public static Key decodeKey(ByteBuffer key) {
    ByteBuffer b = key.duplicate();
    try {
      short version = b.getShort();
      switch (version) {
        case OFFSET_COMMIT_KEY_VERSION -> {
          String group = getStr(b);
          String topic = getStr(b);
          int partition = b.getInt();
          if (partition < 0) {
            throw corrupt("offset key partition " + partition);
          }
          return new OffsetKey(group, new TopicPartition(topic, partition));
        }
        case GROUP_METADATA_KEY_VERSION -> {
          return new GroupKey(getStr(b));
        }
        default -> throw corrupt("unknown key version " + version);
      }
    } catch (BufferUnderflowException e) {
      throw corrupt("key of " + key.remaining() + " bytes is truncated");
    }
  }

  public static OffsetAndMetadata decodeOffsetValue(ByteBuffer value) {
    ByteBuffer b = value.slice();
    if (b.remaining() < VALUE_METADATA_OFFSET) {
      throw corrupt(
          "offset value of " + b.remaining() + " bytes is shorter than " + VALUE_METADATA_OFFSET);
    }
    try {
      short version = b.getShort(VERSION_OFFSET);
      if (version != OFFSET_COMMIT_VALUE_VERSION) {
        throw corrupt("unknown offset value version " + version);
      }
      long offset = b.getLong(VALUE_OFFSET_OFFSET);
      if (offset < 0) {
        throw corrupt("negative committed offset " + offset);
      }
      b.position(VALUE_METADATA_LENGTH_OFFSET);
      return new OffsetAndMetadata(
          offset,
          b.getInt(VALUE_LEADER_EPOCH_OFFSET),
          getStr(b),
          b.getLong(VALUE_COMMIT_TIMESTAMP_OFFSET));
    } catch (BufferUnderflowException | IndexOutOfBoundsException e) {
      throw corrupt("offset value of " + value.remaining() + " bytes is truncated");
    }
  }

  public static GroupMetadataValue decodeGroupValue(ByteBuffer value) {
    ByteBuffer b = value.duplicate();
    try {
      short version = b.getShort();
      if (version != GROUP_METADATA_VALUE_VERSION) {
        throw corrupt("unknown group value version " + version);
      }
      int groupEpoch = b.getInt();
      int assignmentEpoch = b.getInt();
      Map<String, Integer> metadata = new TreeMap<>();
      int topics = count(b);
      for (int i = 0; i < topics; i++) {
        metadata.put(getStr(b), b.getInt());
      }
      List<GroupMetadataValue.Member> members = new ArrayList<>();
      int memberCount = count(b);
      for (int i = 0; i < memberCount; i++) {
        String memberId = getStr(b);
        String clientId = getStr(b);
        String clientHost = getStr(b);
        String rack = getStr(b);
        String assignor = getStr(b);
        int rebalanceTimeout = b.getInt();
        int memberEpoch = b.getInt();
        int previousEpoch = b.getInt();
        int state = b.get();
        if (state < 0 || state >= GroupMember.State.values().length) {
          throw corrupt("member " + memberId + " has unknown state " + state);
        }
        Set<String> subscribed = new TreeSet<>();
        int n = count(b);
        for (int j = 0; j < n; j++) {
          subscribed.add(getStr(b));
        }
        members.add(
            new GroupMetadataValue.Member(
                memberId,
                clientId,
                clientHost,
                rack,
                assignor,
                rebalanceTimeout,
                subscribed,
                memberEpoch,
                previousEpoch,
                state,
                getPartitions(b),
                getPartitions(b),
                getPartitions(b)));
      }
      return new GroupMetadataValue(groupEpoch, assignmentEpoch, metadata, members);
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw corrupt("group value of " + value.remaining() + " bytes: " + e);
    }
  }

  // ---------------------------------------------------------------- helpers

  static byte[] utf8(String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    if (bytes.length > MAX_STRING_BYTES) {
      throw new IllegalArgumentException(
          "string of " + bytes.length + " bytes is longer than " + MAX_STRING_BYTES);
    }
    return bytes;
  }

  private static void putStr(ByteBuffer b, byte[] bytes) {
    b.putShort((short) bytes.length);
    b.put(bytes);
  }

  private static String getStr(ByteBuffer b) {
    int length = b.getShort();
    if (length < 0 || length > b.remaining()) {
      throw corrupt("string length " + length + " with " + b.remaining() + " bytes left");
    }
    byte[] bytes = new byte[length];
    b.get(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /** An element count, checked against what is left so garbage cannot ask for a huge list. */
  private static int count(ByteBuffer b) {
    int n = b.getInt();
    if (n < 0 || n > b.remaining()) {
      throw corrupt("count " + n + " with " + b.remaining() + " bytes left");
    }
    return n;
  }

  private static Set<TopicPartition> getPartitions(ByteBuffer b) {
    Set<TopicPartition> set = new TreeSet<>();
    int topics = count(b);
    for (int i = 0; i < topics; i++) {
      String topic = getStr(b);
      int n = count(b);
      for (int j = 0; j < n; j++) {
        set.add(new TopicPartition(topic, b.getInt()));
      }
    }
    return set;
  }

  private static GroupException corrupt(String facts) {
    return new GroupException(ErrorCode.CORRUPT_MESSAGE, "__consumer_offsets record: " + facts);
  }

  /** Grows as needed; values are small (a group of a few hundred members is a few tens of KiB). */
  private static final class Writer {
    private ByteBuffer b = ByteBuffer.allocate(256);

    private void ensure(int n) {
      if (b.remaining() < n) {
        ByteBuffer bigger = ByteBuffer.allocate(Math.max(b.capacity() * 2, b.position() + n));
        b.flip();
        bigger.put(b);
        b = bigger;
      }
    }

    void i8(int v) {
      ensure(1);
      b.put((byte) v);
    }

    void i16(short v) {
      ensure(2);
      b.putShort(v);
    }

    void i32(int v) {
      ensure(4);
      b.putInt(v);
    }

    void str(String s) {
      byte[] bytes = utf8(s);
      ensure(2 + bytes.length);
      putStr(b, bytes);
    }

    void partitions(Set<TopicPartition> set) {
      Map<String, List<Integer>> byTopic = new TreeMap<>();
      for (TopicPartition tp : new TreeSet<>(set)) {
        byTopic.computeIfAbsent(tp.topic(), t -> new ArrayList<>()).add(tp.partition());
      }
      i32(byTopic.size());
      byTopic.forEach(
          (topic, partitions) -> {
            str(topic);
            i32(partitions.size());
            partitions.forEach(this::i32);
          });
    }

    byte[] toArray() {
      byte[] out = new byte[b.position()];
      b.flip();
      b.get(out);
      return out;
    }
  }
}
