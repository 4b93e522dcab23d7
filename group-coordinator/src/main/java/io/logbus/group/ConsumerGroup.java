package io.logbus.group;

import io.logbus.proto.ConsumerGroupHeartbeatRequest;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.GroupState;
import io.logbus.proto.TopicPartitions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * One consumer group's membership state machine, the model of Kafka's KIP-848.
 *
 * <p>The group epoch bumps when membership, a subscription or a subscribed topic's partition count
 * changes; the target assignment is then recomputed at that epoch by the group's assignor. Each
 * member moves towards its target incrementally on its own heartbeats: partitions it must give up
 * are first dropped from its assignment while it keeps its old epoch ({@code
 * UNREVOKED_PARTITIONS}); once a heartbeat no longer lists them they are released, the member takes
 * the new epoch and every target partition that is free, and waits ({@code UNRELEASED_PARTITIONS})
 * for the rest. So a partition never has two owners, and members whose target did not change keep
 * their partitions throughout.
 *
 * <p>Not thread-safe: the {@link OffsetsShard} that holds the group guards it with its lock. {@link
 * #version()} grows on every change that must be persisted.
 */
final class ConsumerGroup {

  /** Epoch values of ConsumerGroupHeartbeatRequest.member_epoch with a meaning of their own. */
  static final int JOIN_EPOCH = 0;

  static final int LEAVE_EPOCH = -1;

  /** Longest member id, client id, host or rack accepted (chars; UTF-8 may triple it). */
  static final int MAX_STRING_LENGTH = 1024;

  /** Topic names are at most 249 chars (DESIGN.md data model). */
  static final int MAX_TOPIC_LENGTH = 249;

  static final int MAX_SUBSCRIBED_TOPICS = 1000;

  private final String groupId;
  private final GroupConfig config;
  private final Map<String, PartitionAssignor> assignors;
  private final Supplier<String> memberIds;
  private final Map<String, GroupMember> members = new TreeMap<>();
  private final Map<String, Set<TopicPartition>> target = new TreeMap<>();
  // partition -> member that owns it now (assigned or not yet released)
  private final Map<TopicPartition, String> owners = new HashMap<>();
  private Map<String, Integer> subscriptionMetadata = Map.of();
  private int groupEpoch;
  private int assignmentEpoch;
  private long version;

  ConsumerGroup(
      String groupId,
      GroupConfig config,
      Map<String, PartitionAssignor> assignors,
      Supplier<String> memberIds) {
    this.groupId = groupId;
    this.config = config;
    this.assignors = assignors;
    this.memberIds = memberIds;
  }

  String groupId() {
    return groupId;
  }

  int groupEpoch() {
    return groupEpoch;
  }

  int assignmentEpoch() {
    return assignmentEpoch;
  }

  long version() {
    return version;
  }

  boolean isEmpty() {
    return members.isEmpty();
  }

  Map<String, GroupMember> members() {
    return Collections.unmodifiableMap(members);
  }

  Set<TopicPartition> targetOf(String memberId) {
    return target.getOrDefault(memberId, Set.of());
  }

  /** The member that owns a partition now, or null. */
  String ownerOf(TopicPartition tp) {
    return owners.get(tp);
  }

  GroupState state() {
    if (members.isEmpty()) {
      return GroupState.EMPTY;
    }
    if (groupEpoch > assignmentEpoch) {
      return GroupState.ASSIGNING;
    }
    for (GroupMember m : members.values()) {
      if (m.memberEpoch != assignmentEpoch || m.state != GroupMember.State.STABLE) {
        return GroupState.RECONCILING;
      }
    }
    return GroupState.STABLE;
  }

  /** The assignor the members ask for most (ties by name), else the configured default. */
  String assignorName() {
    Map<String, Integer> votes = new TreeMap<>();
    for (GroupMember m : members.values()) {
      if (!m.serverAssignor.isEmpty()) {
        votes.merge(m.serverAssignor, 1, Integer::sum);
      }
    }
    String best = config.defaultAssignor();
    int bestVotes = 0;
    for (Map.Entry<String, Integer> e : votes.entrySet()) {
      if (e.getValue() > bestVotes) {
        best = e.getKey();
        bestVotes = e.getValue();
      }
    }
    return best;
  }

  /**
   * Handles one heartbeat and returns the member as it stands afterwards (for the response), or
   * null when the member left. Throws {@link GroupException} with UNKNOWN_MEMBER_ID,
   * FENCED_MEMBER_EPOCH or INVALID_REQUEST; a refused heartbeat changes nothing.
   *
   * @param partitionCounts the broker's current partition count per topic (absent = no such topic)
   */
  GroupMember heartbeat(
      ConsumerGroupHeartbeatRequest request, long nowMs, Map<String, Integer> partitionCounts) {
    validate(request);
    int epoch = request.getMemberEpoch();
    if (epoch == LEAVE_EPOCH) {
      GroupMember gone = members.get(request.getMemberId());
      if (gone == null) {
        throw new GroupException(
            ErrorCode.UNKNOWN_MEMBER_ID,
            "group " + groupId + " has no member " + request.getMemberId() + " to leave");
      }
      removeMember(gone.memberId, partitionCounts);
      return null;
    }
    GroupMember member;
    boolean bump = false;
    if (epoch == JOIN_EPOCH) {
      String id = request.getMemberId().isEmpty() ? memberIds.get() : request.getMemberId();
      GroupMember previous = members.get(id);
      if (previous == null && members.size() >= config.maxGroupSize()) {
        throw new GroupException(
            ErrorCode.INVALID_REQUEST,
            "group " + groupId + " is full: " + members.size() + " members");
      }
      if (previous != null) {
        // A fenced member rejoining under its id: it lost whatever it owned.
        release(previous);
      }
      member = new GroupMember(id);
      members.put(id, member);
      bump = true;
    } else {
      member = members.get(request.getMemberId());
      if (member == null) {
        throw new GroupException(
            ErrorCode.UNKNOWN_MEMBER_ID,
            "group " + groupId + " has no member " + request.getMemberId());
      }
      Set<TopicPartition> owned = toSet(request.getOwnedPartitionsList());
      boolean current = epoch == member.memberEpoch;
      // The member missed our last answer: it may retry with its previous epoch as long as it
      // does not claim anything we did not give it.
      boolean retry = epoch == member.previousMemberEpoch && member.assigned.containsAll(owned);
      if (!current && !retry) {
        throw new GroupException(
            ErrorCode.FENCED_MEMBER_EPOCH,
            "member "
                + member.memberId
                + " of group "
                + groupId
                + " sent epoch "
                + epoch
                + ", current is "
                + member.memberEpoch);
      }
    }
    bump |= updateMember(member, request);
    member.lastHeartbeatMs = nowMs;
    Map<String, Integer> metadata = subscribedMetadata(partitionCounts);
    bump |= !metadata.equals(subscriptionMetadata);
    if (bump) {
      bumpAndAssign(metadata);
    }
    reconcile(member, toSet(request.getOwnedPartitionsList()), nowMs);
    return member;
  }

  /**
   * Re-checks subscribed partition counts against the broker's metadata (new partitions, deleted
   * topics) and recomputes the target if they changed. Returns whether the epoch moved.
   */
  boolean onMetadataChange(Map<String, Integer> partitionCounts) {
    Map<String, Integer> metadata = subscribedMetadata(partitionCounts);
    if (members.isEmpty() || metadata.equals(subscriptionMetadata)) {
      return false;
    }
    bumpAndAssign(metadata);
    return true;
  }

  /**
   * Removes members whose session expired or that did not revoke within their rebalance timeout.
   * Returns the ids removed.
   */
  List<String> expireMembers(long nowMs, Map<String, Integer> partitionCounts) {
    List<String> expired = new ArrayList<>();
    for (GroupMember m : members.values()) {
      if (nowMs - m.lastHeartbeatMs >= config.sessionTimeoutMs()
          || nowMs >= m.revocationDeadlineMs) {
        expired.add(m.memberId);
      }
    }
    for (String id : expired) {
      removeMember(id, partitionCounts);
    }
    return expired;
  }

  private void validate(ConsumerGroupHeartbeatRequest request) {
    int epoch = request.getMemberEpoch();
    if (epoch < LEAVE_EPOCH) {
      throw new GroupException(ErrorCode.INVALID_REQUEST, "member_epoch " + epoch + " < -1");
    }
    if (epoch != JOIN_EPOCH && request.getMemberId().isEmpty()) {
      throw new GroupException(
          ErrorCode.UNKNOWN_MEMBER_ID, "member_id is empty with member_epoch " + epoch);
    }
    if (request.getRebalanceTimeoutMs() < 0) {
      throw new GroupException(
          ErrorCode.INVALID_REQUEST,
          "rebalance_timeout_ms must be >= 0, got " + request.getRebalanceTimeoutMs());
    }
    String assignor = request.getServerAssignor();
    if (!assignor.isEmpty() && !assignors.containsKey(assignor)) {
      throw new GroupException(
          ErrorCode.INVALID_REQUEST,
          "unknown server_assignor " + assignor + ", known: " + assignors.keySet());
    }
    checkLength("member_id", request.getMemberId());
    checkLength("client_id", request.getClientId());
    checkLength("client_host", request.getClientHost());
    checkLength("rack_id", request.getRackId());
    if (request.getSubscribedTopicNamesCount() > MAX_SUBSCRIBED_TOPICS) {
      throw new GroupException(
          ErrorCode.INVALID_REQUEST,
          request.getSubscribedTopicNamesCount() + " subscribed topics > " + MAX_SUBSCRIBED_TOPICS);
    }
    for (String topic : request.getSubscribedTopicNamesList()) {
      if (topic.isEmpty() || topic.length() > MAX_TOPIC_LENGTH) {
        throw new GroupException(
            ErrorCode.INVALID_TOPIC,
            "subscribed topic name of "
                + topic.length()
                + " chars: must be 1.."
                + MAX_TOPIC_LENGTH);
      }
    }
    for (TopicPartitions tps : request.getOwnedPartitionsList()) {
      for (int p : tps.getPartitionsList()) {
        if (p < 0 || tps.getTopic().isEmpty()) {
          throw new GroupException(
              ErrorCode.INVALID_REQUEST, "owned partition " + tps.getTopic() + "-" + p);
        }
      }
    }
  }

  /**
   * Client-supplied strings are stored in every group record (i16-length strings, see {@link
   * OffsetsTopicFormat}); bounding them here keeps a bad client from making the record unwritable.
   */
  private static void checkLength(String field, String value) {
    if (value.length() > MAX_STRING_LENGTH) {
      throw new GroupException(
          ErrorCode.INVALID_REQUEST,
          field + " of " + value.length() + " chars is longer than " + MAX_STRING_LENGTH);
    }
  }

  /** Copies the request's fields onto the member; true if the subscription or assignor changed. */
  private boolean updateMember(GroupMember member, ConsumerGroupHeartbeatRequest request) {
    int rebalanceTimeoutMs =
        request.getRebalanceTimeoutMs() > 0
            ? request.getRebalanceTimeoutMs()
            : config.defaultRebalanceTimeoutMs();
    if (!request.getClientId().equals(member.clientId)
        || !request.getClientHost().equals(member.clientHost)
        || !request.getRackId().equals(member.rackId)
        || rebalanceTimeoutMs != member.rebalanceTimeoutMs) {
      member.clientId = request.getClientId();
      member.clientHost = request.getClientHost();
      member.rackId = request.getRackId();
      member.rebalanceTimeoutMs = rebalanceTimeoutMs;
      version++;
    }
    boolean changed = false;
    Set<String> topics = new TreeSet<>(request.getSubscribedTopicNamesList());
    if (!topics.equals(member.subscribedTopics)) {
      member.subscribedTopics = topics;
      changed = true;
    }
    if (!request.getServerAssignor().equals(member.serverAssignor)) {
      String before = assignorName();
      member.serverAssignor = request.getServerAssignor();
      changed |= !before.equals(assignorName());
      version++;
    }
    return changed;
  }

  private void removeMember(String memberId, Map<String, Integer> partitionCounts) {
    GroupMember gone = members.remove(memberId);
    release(gone);
    target.remove(memberId);
    bumpAndAssign(subscribedMetadata(partitionCounts));
  }

  private void release(GroupMember member) {
    for (TopicPartition tp : member.owned()) {
      owners.remove(tp, member.memberId);
    }
    member.assigned = new TreeSet<>();
    member.pendingRevocation = new TreeSet<>();
  }

  /**
   * Partition counts of the subscribed topics; with no broker metadata yet (null) the last known
   * counts stand, so a coordinator that loads before it hears of topics does not empty the groups.
   */
  private Map<String, Integer> subscribedMetadata(Map<String, Integer> partitionCounts) {
    if (partitionCounts == null) {
      return subscriptionMetadata;
    }
    Map<String, Integer> metadata = new TreeMap<>();
    for (GroupMember m : members.values()) {
      for (String topic : m.subscribedTopics) {
        Integer count = partitionCounts.get(topic);
        if (count != null) {
          metadata.put(topic, count);
        }
      }
    }
    return metadata;
  }

  /** A new group epoch and, at once, the target assignment for it. */
  private void bumpAndAssign(Map<String, Integer> metadata) {
    groupEpoch++;
    subscriptionMetadata = Map.copyOf(metadata);
    Map<String, AssignmentSpec.MemberSubscription> specMembers = new TreeMap<>();
    for (GroupMember m : members.values()) {
      specMembers.put(
          m.memberId,
          new AssignmentSpec.MemberSubscription(m.subscribedTopics, targetOf(m.memberId)));
    }
    Map<String, Set<TopicPartition>> next =
        assignors.get(assignorName()).assign(new AssignmentSpec(specMembers, metadata));
    target.clear();
    target.putAll(next);
    assignmentEpoch = groupEpoch;
    version++;
  }

  /**
   * Moves one member as far towards its target as the rules allow (Kafka's
   * CurrentAssignmentBuilder): first revoke, then take the new epoch and the free partitions.
   *
   * @param owned what the member says it owns now
   */
  private void reconcile(GroupMember member, Set<TopicPartition> owned, long nowMs) {
    if (member.state == GroupMember.State.UNREVOKED_PARTITIONS) {
      if (!Collections.disjoint(owned, member.pendingRevocation)) {
        return; // still fetching some revoked partition: nobody else may have it yet
      }
      for (TopicPartition tp : member.pendingRevocation) {
        owners.remove(tp, member.memberId);
      }
      member.pendingRevocation = new TreeSet<>();
      member.revocationDeadlineMs = Long.MAX_VALUE;
      member.state = GroupMember.State.STABLE;
      version++;
    }
    if (member.state == GroupMember.State.STABLE && member.memberEpoch == assignmentEpoch) {
      return;
    }
    Set<TopicPartition> want = targetOf(member.memberId);
    Set<TopicPartition> keep = new TreeSet<>(member.assigned);
    keep.retainAll(want);
    Set<TopicPartition> revoke = new TreeSet<>(member.assigned);
    revoke.removeAll(want);
    if (!revoke.isEmpty()) {
      member.assigned = keep;
      member.pendingRevocation = revoke;
      member.state = GroupMember.State.UNREVOKED_PARTITIONS;
      member.revocationDeadlineMs = nowMs + member.rebalanceTimeoutMs;
      version++;
      return;
    }
    for (TopicPartition tp : want) {
      if (!keep.contains(tp) && owners.putIfAbsent(tp, member.memberId) == null) {
        keep.add(tp);
      }
    }
    if (!keep.equals(member.assigned) || member.memberEpoch != assignmentEpoch) {
      version++;
    }
    member.assigned = keep;
    if (member.memberEpoch != assignmentEpoch) {
      member.previousMemberEpoch = member.memberEpoch;
      member.memberEpoch = assignmentEpoch;
    }
    GroupMember.State next =
        keep.equals(want) ? GroupMember.State.STABLE : GroupMember.State.UNRELEASED_PARTITIONS;
    if (next != member.state) {
      member.state = next;
      version++;
    }
  }

  // ---------------------------------------------------------------- persistence

  GroupMetadataValue toValue() {
    List<GroupMetadataValue.Member> list = new ArrayList<>();
    for (GroupMember m : members.values()) {
      list.add(
          new GroupMetadataValue.Member(
              m.memberId,
              m.clientId,
              m.clientHost,
              m.rackId,
              m.serverAssignor,
              m.rebalanceTimeoutMs,
              m.subscribedTopics,
              m.memberEpoch,
              m.previousMemberEpoch,
              m.state.ordinal(),
              m.assigned,
              m.pendingRevocation,
              targetOf(m.memberId)));
    }
    return new GroupMetadataValue(groupEpoch, assignmentEpoch, subscriptionMetadata, list);
  }

  /**
   * Replaces this group's state with a replayed record. Sessions restart at {@code nowMs}: members
   * get a full session timeout to find the new coordinator.
   */
  void load(GroupMetadataValue value, long nowMs) {
    members.clear();
    target.clear();
    owners.clear();
    groupEpoch = value.groupEpoch();
    assignmentEpoch = value.assignmentEpoch();
    subscriptionMetadata = value.subscriptionMetadata();
    for (GroupMetadataValue.Member v : value.members()) {
      GroupMember m = new GroupMember(v.memberId());
      m.clientId = v.clientId();
      m.clientHost = v.clientHost();
      m.rackId = v.rackId();
      m.serverAssignor = v.serverAssignor();
      m.rebalanceTimeoutMs = v.rebalanceTimeoutMs();
      m.subscribedTopics = new TreeSet<>(v.subscribedTopics());
      m.memberEpoch = v.memberEpoch();
      m.previousMemberEpoch = v.previousMemberEpoch();
      m.state = GroupMember.State.values()[v.state()];
      m.assigned = new TreeSet<>(v.assigned());
      m.pendingRevocation = new TreeSet<>(v.pendingRevocation());
      m.lastHeartbeatMs = nowMs;
      if (m.state == GroupMember.State.UNREVOKED_PARTITIONS) {
        m.revocationDeadlineMs = nowMs + m.rebalanceTimeoutMs;
      }
      members.put(m.memberId, m);
      target.put(m.memberId, Set.copyOf(v.target()));
      for (TopicPartition tp : m.owned()) {
        owners.put(tp, m.memberId);
      }
    }
  }

  static Set<TopicPartition> toSet(List<TopicPartitions> list) {
    Set<TopicPartition> set = new TreeSet<>();
    for (TopicPartitions tps : list) {
      for (int p : tps.getPartitionsList()) {
        set.add(new TopicPartition(tps.getTopic(), p));
      }
    }
    return set;
  }

  static List<TopicPartitions> toProto(Set<TopicPartition> set) {
    Map<String, TopicPartitions.Builder> byTopic = new TreeMap<>();
    for (TopicPartition tp : new TreeSet<>(set)) {
      byTopic
          .computeIfAbsent(tp.topic(), t -> TopicPartitions.newBuilder().setTopic(t))
          .addPartitions(tp.partition());
    }
    List<TopicPartitions> out = new ArrayList<>();
    byTopic.values().forEach(b -> out.add(b.build()));
    return out;
  }
}
