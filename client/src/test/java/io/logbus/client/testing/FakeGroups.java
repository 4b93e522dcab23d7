package io.logbus.client.testing;

import io.logbus.proto.ErrorCode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The consumer groups of a {@link FakeCluster}, in memory: which broker coordinates each group,
 * members with KIP-848-style epochs and incremental reconciliation (a partition leaves its owner
 * before anyone else gets it), committed offsets. {@link FakeGroupService} serves it on every
 * broker. Tests move coordinators, expire members and inject error codes. Guarded by its monitor.
 */
public final class FakeGroups {
  private final FakeCluster cluster;
  final Map<String, Group> groups = new TreeMap<>();
  private final Map<String, Integer> coordinatorOverride = new ConcurrentHashMap<>();
  private final Map<String, Queue<ErrorCode>> faults = new ConcurrentHashMap<>();
  private final AtomicInteger nextMemberId = new AtomicInteger();
  private final AtomicInteger heartbeats = new AtomicInteger();
  private final AtomicInteger commits = new AtomicInteger();
  volatile int heartbeatIntervalMs = 100;
  volatile long sessionTimeoutMs = 10_000;

  FakeGroups(FakeCluster cluster) {
    this.cluster = cluster;
  }

  /** One group: members, committed offsets, owners of partitions, epoch. */
  static final class Group {
    final String id;
    int epoch;
    String assignor = "uniform";
    final Map<String, Member> members = new TreeMap<>();
    final Map<TP, Long> offsets = new TreeMap<>();
    final Map<TP, String> owners = new TreeMap<>();

    Group(String id) {
      this.id = id;
    }
  }

  /** A member as the fake coordinator sees it. */
  static final class Member {
    final String id;
    String clientId = "";
    String host = "";
    int epoch;
    Set<String> topics = new TreeSet<>();
    Set<TP> assigned = new TreeSet<>();
    long lastHeartbeatMs;

    Member(String id) {
      this.id = id;
    }
  }

  /** A partition key ordered by topic then partition. */
  record TP(String topic, int partition) implements Comparable<TP> {
    @Override
    public int compareTo(TP o) {
      int c = topic.compareTo(o.topic);
      return c != 0 ? c : Integer.compare(partition, o.partition);
    }
  }

  // ---------------------------------------------------------------- test controls

  /** The broker id that coordinates the group now (hash of the id, or the override, if running). */
  public int coordinator(String groupId) {
    int n = cluster.nodes.size();
    int id = coordinatorOverride.getOrDefault(groupId, (groupId.hashCode() & 0x7fffffff) % n + 1);
    if (cluster.nodes.get(id - 1).running()) {
      return id;
    }
    for (FakeCluster.FakeBrokerNode node : cluster.nodes) {
      if (node.running()) {
        return node.id;
      }
    }
    return -1;
  }

  /** Moves the group to another coordinator (the old one answers NOT_COORDINATOR). */
  public void moveCoordinator(String groupId, int brokerId) {
    coordinatorOverride.put(groupId, brokerId);
  }

  /**
   * The next calls of one kind answer these group-level error codes, one per call. Kinds:
   * "findCoordinator", "heartbeat", "commit", "fetch", "describe", "reset", "delete", "list".
   */
  public void failNext(String kind, ErrorCode... codes) {
    faults.computeIfAbsent(kind, k -> new ConcurrentLinkedQueue<>()).addAll(List.of(codes));
  }

  ErrorCode fault(String kind) {
    Queue<ErrorCode> q = faults.get(kind);
    ErrorCode e = q == null ? null : q.poll();
    return e == null ? ErrorCode.NONE : e;
  }

  /** Heartbeat interval the coordinator tells members. */
  public void heartbeatIntervalMs(int ms) {
    heartbeatIntervalMs = ms;
  }

  /** Members silent this long are removed on the next heartbeat of any member. */
  public void sessionTimeoutMs(long ms) {
    sessionTimeoutMs = ms;
  }

  /** Removes a member as if its session expired: its next heartbeat gets UNKNOWN_MEMBER_ID. */
  public synchronized void expireMember(String groupId, String memberId) {
    Group g = groups.get(groupId);
    if (g != null && g.members.containsKey(memberId)) {
      removeMember(g, memberId);
    }
  }

  /** Committed offsets of the group as "topic-partition" -> offset. */
  public synchronized Map<String, Long> committed(String groupId) {
    Map<String, Long> out = new TreeMap<>();
    Group g = groups.get(groupId);
    if (g != null) {
      g.offsets.forEach((tp, o) -> out.put(tp.topic() + "-" + tp.partition(), o));
    }
    return out;
  }

  /** Member ids of the group. */
  public synchronized Set<String> members(String groupId) {
    Group g = groups.get(groupId);
    return g == null ? Set.of() : Set.copyOf(g.members.keySet());
  }

  /** Commits a group's offset directly (setup for tests). */
  public synchronized void commit(String groupId, String topic, int partition, long offset) {
    group(groupId).offsets.put(new TP(topic, partition), offset);
  }

  public int heartbeats() {
    return heartbeats.get();
  }

  public int commits() {
    return commits.get();
  }

  // ---------------------------------------------------------------- coordinator rules

  synchronized Group group(String id) {
    return groups.computeIfAbsent(id, Group::new);
  }

  String newMemberId() {
    return "member-" + nextMemberId.incrementAndGet();
  }

  void countHeartbeat() {
    heartbeats.incrementAndGet();
  }

  void countCommit() {
    commits.incrementAndGet();
  }

  void removeMember(Group g, String memberId) {
    g.members.remove(memberId);
    g.owners.values().removeIf(memberId::equals);
    g.epoch++;
  }

  /** Expires silent members of the group. */
  void expire(Group g, long nowMs) {
    List<String> silent = new ArrayList<>();
    g.members.forEach(
        (id, m) -> {
          if (nowMs - m.lastHeartbeatMs >= sessionTimeoutMs) {
            silent.add(id);
          }
        });
    silent.forEach(id -> removeMember(g, id));
  }

  /** Round-robin of each subscribed topic's partitions over the members subscribed to it. */
  Set<TP> target(Group g, Member m) {
    Set<TP> out = new TreeSet<>();
    for (String topic : m.topics) {
      List<FakePartition> parts = cluster.topics.get(topic);
      if (parts == null) {
        continue;
      }
      List<String> subscribers = new ArrayList<>();
      g.members.forEach(
          (id, other) -> {
            if (other.topics.contains(topic)) {
              subscribers.add(id);
            }
          });
      int me = subscribers.indexOf(m.id);
      for (int p = 0; p < parts.size(); p++) {
        if (p % subscribers.size() == me) {
          out.add(new TP(topic, p));
        }
      }
    }
    return out;
  }

  /**
   * Moves the member towards its target: first it must stop owning what it lost (answered without
   * those, old epoch kept), then it takes the group epoch and every target partition that is free.
   */
  void reconcile(Group g, Member m, Set<TP> reportedOwned) {
    Set<TP> target = target(g, m);
    g.owners
        .entrySet()
        .removeIf(
            e ->
                e.getValue().equals(m.id)
                    && !reportedOwned.contains(e.getKey())
                    && !target.contains(e.getKey()));
    Set<TP> keep = new TreeSet<>(reportedOwned);
    keep.retainAll(target);
    if (!keep.containsAll(reportedOwned)) {
      m.assigned = keep;
      return;
    }
    Set<TP> granted = new LinkedHashSet<>();
    for (TP tp : target) {
      String owner = g.owners.putIfAbsent(tp, m.id);
      if (owner == null || owner.equals(m.id)) {
        granted.add(tp);
      }
    }
    m.assigned = new TreeSet<>(granted);
    m.epoch = g.epoch;
  }

  /** EMPTY, STABLE (everyone owns its target at the group epoch) or RECONCILING. */
  io.logbus.proto.GroupState state(Group g) {
    if (g.members.isEmpty()) {
      return io.logbus.proto.GroupState.EMPTY;
    }
    for (Member m : g.members.values()) {
      if (m.epoch != g.epoch || !m.assigned.equals(target(g, m))) {
        return io.logbus.proto.GroupState.RECONCILING;
      }
    }
    return io.logbus.proto.GroupState.STABLE;
  }

  FakePartition partition(TP tp) {
    List<FakePartition> parts = cluster.topics.get(tp.topic());
    return parts == null || tp.partition() >= parts.size() ? null : parts.get(tp.partition());
  }

  List<FakePartition> topic(String name) {
    return cluster.topics.get(name);
  }
}
