package io.logbus.group;

import io.logbus.proto.ConsumerGroupHeartbeatRequest;
import io.logbus.proto.ConsumerGroupHeartbeatResponse;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.GroupState;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator state of one partition of {@code __consumer_offsets}: its groups and their
 * committed offsets, rebuilt by replaying the partition and kept current by writing every change to
 * it through {@link OffsetsLog} before answering.
 *
 * <p>Writes: a change is appended (one batch per request) while holding this shard's lock, so the
 * log order is the order of the changes; committed offsets become visible to OffsetFetch only when
 * the append completed (acks=all). Membership changes are applied in memory first and the heartbeat
 * is answered after the group record is written (the whole group, so the latest record is the
 * group); a failed write answers COORDINATOR_NOT_AVAILABLE (or the broker's own code) and puts the
 * group back to its last written state unless a newer write was issued meanwhile (that write
 * carries the whole group and settles it either way). An answer that changed the group waits for
 * its own write, so no member acts on a state that is later undone.
 *
 * <p>Thread-safe: every method synchronizes on the shard; append callbacks do too.
 */
final class OffsetsShard {

  private static final Logger log = LoggerFactory.getLogger(OffsetsShard.class);

  /**
   * The heartbeat interval told to members while their group is not STABLE. A move of partitions
   * takes two heartbeats in a row (the owner learns it must revoke, then the next owner learns it
   * may take them); at the steady interval (5 s) a member joining would wait about two intervals,
   * so during a rebalance members are asked back sooner, and return to the steady interval once the
   * group is stable.
   */
  static final int REBALANCE_HEARTBEAT_INTERVAL_MS = 250;

  /** A cached committed offset and the log offset of the record that wrote it. */
  record Committed(OffsetAndMetadata value, long logOffset) {}

  private final int partition;
  private final String logPrefix;
  private final GroupConfig config;
  private final OffsetsLog offsetsLog;
  private final Clock clock;
  private final Map<String, PartitionAssignor> assignors;
  private final Supplier<String> memberIds;
  private final Map<String, ConsumerGroup> groups = new TreeMap<>();
  private final Map<String, Map<TopicPartition, Committed>> offsets = new TreeMap<>();
  // group -> version of its last issued group write (memory == log once that write succeeds)
  private final Map<String, Long> writtenVersion = new HashMap<>();
  // group -> the state of its last successful write: what a failed write reverts to
  private final Map<String, Written> lastWritten = new HashMap<>();

  private record Written(long version, GroupMetadataValue value) {}

  OffsetsShard(
      int partition,
      GroupConfig config,
      OffsetsLog offsetsLog,
      Clock clock,
      Map<String, PartitionAssignor> assignors,
      Supplier<String> memberIds) {
    this.partition = partition;
    this.logPrefix = "[" + GroupConfig.OFFSETS_TOPIC + "-" + partition + "] ";
    this.config = config;
    this.offsetsLog = offsetsLog;
    this.clock = clock;
    this.assignors = assignors;
    this.memberIds = memberIds;
  }

  int partition() {
    return partition;
  }

  // ---------------------------------------------------------------- load

  /** Applies one record read back from the partition (load after a leadership change). */
  synchronized void replay(OffsetsBatches.LoadedEntry entry) {
    OffsetsTopicFormat.Key key = OffsetsTopicFormat.decodeKey(ByteBuffer.wrap(entry.key()));
    if (key instanceof OffsetsTopicFormat.OffsetKey k) {
      if (entry.value() == null) {
        removeOffset(k.group(), k.partition());
      } else {
        OffsetAndMetadata v = OffsetsTopicFormat.decodeOffsetValue(ByteBuffer.wrap(entry.value()));
        offsets
            .computeIfAbsent(k.group(), g -> new TreeMap<>())
            .put(k.partition(), new Committed(v, entry.offset()));
      }
    } else if (key instanceof OffsetsTopicFormat.GroupKey k) {
      if (entry.value() == null) {
        forget(k.group());
      } else {
        ConsumerGroup group = newGroup(k.group());
        GroupMetadataValue value =
            OffsetsTopicFormat.decodeGroupValue(ByteBuffer.wrap(entry.value()));
        group.load(value, clock.millis());
        groups.put(k.group(), group);
        writtenVersion.put(k.group(), group.version());
        lastWritten.put(k.group(), new Written(group.version(), value));
      }
    }
  }

  // ---------------------------------------------------------------- membership

  synchronized CompletableFuture<ConsumerGroupHeartbeatResponse> heartbeat(
      ConsumerGroupHeartbeatRequest request, Map<String, Integer> partitionCounts) {
    String groupId = request.getGroupId();
    ConsumerGroup group = groups.get(groupId);
    if (group == null) {
      if (request.getMemberEpoch() != ConsumerGroup.JOIN_EPOCH) {
        throw new GroupException(
            ErrorCode.UNKNOWN_MEMBER_ID,
            "group " + groupId + " does not exist; join with member_epoch 0");
      }
      group = newGroup(groupId);
    }
    GroupMember member = group.heartbeat(request, clock.millis(), partitionCounts);
    groups.putIfAbsent(groupId, group);
    int interval =
        group.state() == GroupState.STABLE || group.state() == GroupState.EMPTY
            ? config.heartbeatIntervalMs()
            : Math.min(config.heartbeatIntervalMs(), REBALANCE_HEARTBEAT_INTERVAL_MS);
    ConsumerGroupHeartbeatResponse.Builder response =
        ConsumerGroupHeartbeatResponse.newBuilder().setHeartbeatIntervalMs(interval);
    if (member == null) {
      response.setMemberId(request.getMemberId()).setMemberEpoch(ConsumerGroup.LEAVE_EPOCH);
    } else {
      response
          .setMemberId(member.memberId)
          .setMemberEpoch(member.memberEpoch)
          .addAllAssignment(ConsumerGroup.toProto(member.assigned));
    }
    ConsumerGroupHeartbeatResponse answer = response.build();
    return writeGroupIfChanged(group).thenApply(ignored -> answer);
  }

  /** Session and revocation timeouts, and offsets retention. Called by the coordinator's tick. */
  synchronized void expire(Map<String, Integer> partitionCounts) {
    long now = clock.millis();
    for (ConsumerGroup group : new ArrayList<>(groups.values())) {
      List<String> gone = group.expireMembers(now, partitionCounts);
      if (!gone.isEmpty()) {
        log.info(
            "{}group {}: removed members {} (session or rebalance timeout)",
            logPrefix,
            group.groupId(),
            gone);
        writeGroupIfChanged(group);
      }
    }
    List<OffsetsBatches.Entry> tombstones = new ArrayList<>();
    for (String groupId : groupIds()) {
      ConsumerGroup group = groups.get(groupId);
      if (group != null && !group.isEmpty()) {
        continue; // offsets of an active group never expire
      }
      Map<TopicPartition, Committed> committed = offsets.getOrDefault(groupId, Map.of());
      int expired = 0;
      for (Map.Entry<TopicPartition, Committed> o : committed.entrySet()) {
        if (now - o.getValue().value().commitTimestampMs() >= config.offsetsRetentionMs()) {
          tombstones.add(
              new OffsetsBatches.Entry(OffsetsTopicFormat.offsetKey(groupId, o.getKey()), null));
          expired++;
        }
      }
      // As in Kafka: an empty group whose offsets are all gone is deleted with them.
      if (group != null && expired == committed.size()) {
        tombstones.add(new OffsetsBatches.Entry(OffsetsTopicFormat.groupKey(groupId), null));
      }
    }
    if (!tombstones.isEmpty()) {
      log.info(
          "{}expiring {} records (offsets older than {} ms, empty groups without offsets)",
          logPrefix,
          tombstones.size(),
          config.offsetsRetentionMs());
      append(tombstones)
          .thenAccept(
              offset -> {
                synchronized (this) {
                  for (OffsetsBatches.Entry e : tombstones) {
                    OffsetsTopicFormat.Key key =
                        OffsetsTopicFormat.decodeKey(ByteBuffer.wrap(e.key()));
                    if (key instanceof OffsetsTopicFormat.OffsetKey k) {
                      removeOffset(k.group(), k.partition());
                    } else {
                      ConsumerGroup group = groups.get(key.group());
                      if (group != null && group.isEmpty()) {
                        forget(key.group());
                      }
                    }
                  }
                }
              });
    }
  }

  synchronized void onMetadataChange(Map<String, Integer> partitionCounts) {
    for (ConsumerGroup group : groups.values()) {
      if (group.onMetadataChange(partitionCounts)) {
        log.info(
            "{}group {}: subscribed partitions changed, epoch {}",
            logPrefix,
            group.groupId(),
            group.groupEpoch());
        writeGroupIfChanged(group);
      }
    }
  }

  // ---------------------------------------------------------------- offsets

  /**
   * Checks that a member may commit for the group. member_id empty with epoch -1 is a commit from
   * outside the group (admin tools, manual assignment): allowed only while the group has no
   * members.
   */
  synchronized void checkCommitter(String groupId, String memberId, int memberEpoch) {
    ConsumerGroup group = groups.get(groupId);
    if (memberId.isEmpty() && memberEpoch < 0) {
      if (group != null && !group.isEmpty()) {
        throw new GroupException(
            ErrorCode.UNKNOWN_MEMBER_ID,
            "group " + groupId + " has members: commits need a member id and epoch");
      }
      return;
    }
    GroupMember member = group == null ? null : group.members().get(memberId);
    if (member == null) {
      throw new GroupException(
          ErrorCode.UNKNOWN_MEMBER_ID, "group " + groupId + " has no member " + memberId);
    }
    if (memberEpoch > member.memberEpoch) {
      throw new GroupException(
          ErrorCode.FENCED_MEMBER_EPOCH,
          "member "
              + memberId
              + " committed with epoch "
              + memberEpoch
              + " > "
              + member.memberEpoch);
    }
    if (memberEpoch < member.memberEpoch) {
      throw new GroupException(
          ErrorCode.STALE_MEMBER_EPOCH,
          "member "
              + memberId
              + " committed with epoch "
              + memberEpoch
              + " < "
              + member.memberEpoch);
    }
  }

  /**
   * Writes committed offsets (already validated) in one batch; the cache takes them when the append
   * completes, unless a later write of the same key got there first.
   */
  synchronized CompletableFuture<Void> commit(
      String groupId, Map<TopicPartition, OffsetAndMetadata> commits) {
    List<OffsetsBatches.Entry> entries = new ArrayList<>();
    commits.forEach(
        (tp, v) ->
            entries.add(
                new OffsetsBatches.Entry(
                    OffsetsTopicFormat.offsetKey(groupId, tp), OffsetsTopicFormat.offsetValue(v))));
    return append(entries)
        .thenAccept(
            logOffset -> {
              synchronized (this) {
                Map<TopicPartition, Committed> cache =
                    offsets.computeIfAbsent(groupId, g -> new TreeMap<>());
                commits.forEach(
                    (tp, v) -> {
                      Committed old = cache.get(tp);
                      if (old == null || old.logOffset() <= logOffset) {
                        cache.put(tp, new Committed(v, logOffset));
                      }
                    });
              }
            });
  }

  synchronized Map<TopicPartition, OffsetAndMetadata> committed(String groupId) {
    Map<TopicPartition, OffsetAndMetadata> out = new TreeMap<>();
    offsets.getOrDefault(groupId, Map.of()).forEach((tp, c) -> out.put(tp, c.value()));
    return out;
  }

  // ---------------------------------------------------------------- admin

  synchronized boolean exists(String groupId) {
    return groups.containsKey(groupId) || offsets.containsKey(groupId);
  }

  synchronized Set<String> groupIds() {
    Set<String> ids = new java.util.TreeSet<>(groups.keySet());
    ids.addAll(offsets.keySet());
    return ids;
  }

  /** Runs {@code reader} on the group under the lock (null group = only offsets exist). */
  synchronized <T> T withGroup(
      String groupId, java.util.function.Function<ConsumerGroup, T> reader) {
    return reader.apply(groups.get(groupId));
  }

  synchronized void checkEmpty(String groupId) {
    ConsumerGroup group = groups.get(groupId);
    if (group != null && !group.isEmpty()) {
      throw new GroupException(
          ErrorCode.GROUP_NOT_EMPTY,
          "group " + groupId + " has " + group.members().size() + " active members");
    }
  }

  /** Deletes an empty group and all its offsets (tombstones), answered after the write. */
  synchronized CompletableFuture<Void> delete(String groupId) {
    if (!exists(groupId)) {
      throw new GroupException(ErrorCode.GROUP_ID_NOT_FOUND, "group " + groupId + " not found");
    }
    checkEmpty(groupId);
    List<OffsetsBatches.Entry> tombstones = new ArrayList<>();
    for (TopicPartition tp : offsets.getOrDefault(groupId, Map.of()).keySet()) {
      tombstones.add(new OffsetsBatches.Entry(OffsetsTopicFormat.offsetKey(groupId, tp), null));
    }
    tombstones.add(new OffsetsBatches.Entry(OffsetsTopicFormat.groupKey(groupId), null));
    return append(tombstones)
        .thenAccept(
            offset -> {
              synchronized (this) {
                ConsumerGroup group = groups.get(groupId);
                if (group == null || group.isEmpty()) {
                  forget(groupId);
                  offsets.remove(groupId);
                }
              }
            });
  }

  // ---------------------------------------------------------------- writes

  private ConsumerGroup newGroup(String groupId) {
    return new ConsumerGroup(groupId, config, assignors, memberIds);
  }

  private void removeOffset(String groupId, TopicPartition tp) {
    Map<TopicPartition, Committed> cache = offsets.get(groupId);
    if (cache != null) {
      cache.remove(tp);
      if (cache.isEmpty()) {
        offsets.remove(groupId);
      }
    }
  }

  private CompletableFuture<Void> writeGroupIfChanged(ConsumerGroup group) {
    long version = group.version();
    Long written = writtenVersion.get(group.groupId());
    if (written != null && written == version) {
      return CompletableFuture.completedFuture(null);
    }
    String groupId = group.groupId();
    writtenVersion.put(groupId, version);
    GroupMetadataValue snapshot = group.toValue();
    byte[] value = OffsetsTopicFormat.groupValue(snapshot);
    CompletableFuture<Long> appended =
        append(List.of(new OffsetsBatches.Entry(OffsetsTopicFormat.groupKey(groupId), value)));
    appended.whenComplete(
        (offset, error) -> {
          synchronized (this) {
            if (error == null) {
              Written before = lastWritten.get(groupId);
              if (before == null || before.version() < version) {
                lastWritten.put(groupId, new Written(version, snapshot));
              }
            } else if (Long.valueOf(version).equals(writtenVersion.get(groupId))
                && groups.get(groupId) == group) {
              // Nothing newer was written after the failed state: undo it, so memory matches the
              // log again. (A newer write carries the whole group and settles it either way.)
              revert(group);
            }
          }
        });
    return appended.thenApply(offset -> null);
  }

  /** Drops a group's membership state (deleted, expired, or never written). */
  private void forget(String groupId) {
    groups.remove(groupId);
    writtenVersion.remove(groupId);
    lastWritten.remove(groupId);
  }

  /** Puts a group back to its last written state, or forgets it if it was never written. */
  private void revert(ConsumerGroup group) {
    Written last = lastWritten.get(group.groupId());
    if (last == null) {
      forget(group.groupId());
    } else {
      group.load(last.value(), clock.millis());
      writtenVersion.put(group.groupId(), group.version());
    }
    log.warn(
        "{}group {}: write failed, back to its last written state", logPrefix, group.groupId());
  }

  /** Appends one batch; a failure surfaces as COORDINATOR_NOT_AVAILABLE with the cause's facts. */
  private CompletableFuture<Long> append(List<OffsetsBatches.Entry> entries) {
    ByteBuffer batch = OffsetsBatches.encode(entries, clock.millis());
    CompletableFuture<Long> appended;
    try {
      appended = offsetsLog.append(partition, batch);
    } catch (RuntimeException e) {
      appended = CompletableFuture.failedFuture(e);
    }
    return appended.handle(
        (offset, error) -> {
          if (error != null) {
            Throwable cause =
                error instanceof java.util.concurrent.CompletionException
                        && error.getCause() != null
                    ? error.getCause()
                    : error;
            log.warn(
                "{}append of {} records failed: {}", logPrefix, entries.size(), cause.toString());
            if (cause instanceof GroupException g) {
              throw g; // the broker's own verdict, e.g. NOT_COORDINATOR after losing leadership
            }
            throw new GroupException(
                ErrorCode.COORDINATOR_NOT_AVAILABLE,
                logPrefix + "write to the offsets log failed: " + cause);
          }
          return offset;
        });
  }

  /** For tests and describe: the cached offsets with log positions. */
  synchronized Map<String, Map<TopicPartition, Committed>> offsetsSnapshot() {
    Map<String, Map<TopicPartition, Committed>> copy = new TreeMap<>();
    offsets.forEach((g, m) -> copy.put(g, Collections.unmodifiableMap(new TreeMap<>(m))));
    return copy;
  }
}
