package io.logbus.client;

import io.logbus.proto.ConsumerGroupHeartbeatRequest;
import io.logbus.proto.ConsumerGroupHeartbeatResponse;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.TopicPartitions;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The member side of a KIP-848 consumer group: member id and epoch, the partitions the consumer
 * owns and the target the coordinator sent, and when the next heartbeat is due. No I/O and no
 * clock: callers pass the time, so tests drive it step by step.
 *
 * <p>Two threads use it. The heartbeat thread asks {@link #timeToNextHeartbeat}, sends {@link
 * #startHeartbeat} and reports the answer ({@link #onResponse}, {@link #onFailure}). The
 * application thread, inside poll, asks {@link #pending} what to do (lost, revoke, assign: in that
 * order; nothing is assigned while something is still to revoke), runs the listener and reports
 * back ({@link #lostHandled}, {@link #revoked}, {@link #assigned}); each report makes a heartbeat
 * due at once, so the coordinator learns of a release without waiting an interval. Thread-safe: one
 * monitor; {@link #awaitChange} lets the heartbeat thread sleep until something changes.
 *
 * <p>Each join starts a new incarnation; an answer to a heartbeat sent by an older incarnation
 * (before a leave or a fence) is ignored.
 */
final class GroupMembership {
  private static final Logger log = LoggerFactory.getLogger(GroupMembership.class);

  /** Epochs of ConsumerGroupHeartbeatRequest.member_epoch that have a meaning of their own. */
  static final int JOIN_EPOCH = 0;

  static final int LEAVE_EPOCH = -1;

  enum State {
    /** Not in the group: no subscription, or left. No heartbeats. */
    UNSUBSCRIBED,
    /** Sending epoch 0 until the coordinator answers with a member id and epoch. */
    JOINING,
    /** Owns exactly the target. */
    STABLE,
    /** Owns something other than the target: the application thread has work. */
    RECONCILING,
    /** Fenced or session expired: the application must drop (lose) what it owns, then rejoin. */
    FENCED,
    /** A non-retriable heartbeat error; surfaced by poll, no heartbeats until subscribe again. */
    FAILED
  }

  /** What the application thread must do now; empty sets when nothing. */
  record Work(Set<TopicPartition> lost, Set<TopicPartition> revoke, Set<TopicPartition> assign) {
    boolean isEmpty() {
      return lost.isEmpty() && revoke.isEmpty() && assign.isEmpty();
    }
  }

  /** A heartbeat in flight and the incarnation that sent it. */
  record Heartbeat(ConsumerGroupHeartbeatRequest request, long incarnation) {}

  private final String groupId;
  private final String clientId;
  private final String assignor;
  private final long sessionTimeoutMs;
  private final long retryBackoffMs;
  private final String prefix;

  private State state = State.UNSUBSCRIBED;
  private Set<String> subscription = new TreeSet<>();
  private String memberId = "";
  private int memberEpoch = JOIN_EPOCH;
  private Set<TopicPartition> owned = new TreeSet<>();
  private Set<TopicPartition> target = new TreeSet<>();
  private long heartbeatIntervalMs;
  private long nextHeartbeatMs;
  private long lastSuccessMs;
  private boolean inFlight;
  private long incarnation;
  private LogbusException fatal;

  /**
   * @param sessionTimeoutMs after this long without an answered heartbeat the member assumes the
   *     coordinator expired it: its partitions are lost and it rejoins
   */
  GroupMembership(
      String groupId,
      String clientId,
      String assignor,
      long sessionTimeoutMs,
      long retryBackoffMs) {
    this.groupId = groupId;
    this.clientId = clientId;
    this.assignor = assignor == null ? "" : assignor;
    this.sessionTimeoutMs = sessionTimeoutMs;
    this.retryBackoffMs = Math.max(1, retryBackoffMs);
    this.prefix = "[consumer " + clientId + " group " + groupId + "]";
  }

  // ---------------------------------------------------------------- application thread

  /** Sets the subscription; joins if not in the group, else sends it with the next heartbeat. */
  synchronized void subscribe(Collection<String> topics, long nowMs) {
    subscription = new TreeSet<>(topics);
    if (state == State.UNSUBSCRIBED || state == State.FAILED) {
      fatal = null;
      join(nowMs);
    } else {
      nextHeartbeatMs = nowMs;
    }
    notifyAll();
  }

  private void join(long nowMs) {
    state = State.JOINING;
    memberEpoch = JOIN_EPOCH;
    owned = new TreeSet<>();
    target = new TreeSet<>();
    incarnation++;
    nextHeartbeatMs = nowMs;
    lastSuccessMs = nowMs;
  }

  /**
   * Leaves the group: returns the leave heartbeat for the caller to send (empty if the member never
   * joined) and forgets everything, so no further heartbeat goes out and late answers are ignored.
   * The caller revokes the owned partitions first.
   */
  synchronized java.util.Optional<ConsumerGroupHeartbeatRequest> leave() {
    boolean joined = !memberId.isEmpty() && state != State.UNSUBSCRIBED;
    ConsumerGroupHeartbeatRequest request =
        joined ? request(LEAVE_EPOCH).clearOwnedPartitions().build() : null;
    state = State.UNSUBSCRIBED;
    subscription = new TreeSet<>();
    owned = new TreeSet<>();
    target = new TreeSet<>();
    memberId = "";
    memberEpoch = JOIN_EPOCH;
    incarnation++;
    notifyAll();
    return java.util.Optional.ofNullable(request);
  }

  /** The work for the application thread now: lost first, then revoke, then assign. */
  synchronized Work pending() {
    if (state == State.FENCED) {
      return new Work(sorted(owned), Set.of(), Set.of());
    }
    if (state != State.RECONCILING) {
      return new Work(Set.of(), Set.of(), Set.of());
    }
    Set<TopicPartition> revoke = new TreeSet<>(owned);
    revoke.removeAll(target);
    if (!revoke.isEmpty()) {
      return new Work(Set.of(), revoke, Set.of());
    }
    Set<TopicPartition> assign = new TreeSet<>(target);
    assign.removeAll(owned);
    return new Work(Set.of(), Set.of(), assign);
  }

  /** The application stopped using the partitions (after onPartitionsRevoked and its commit). */
  synchronized void revoked(Collection<TopicPartition> partitions, long nowMs) {
    owned.removeAll(partitions);
    settle(nowMs);
  }

  /**
   * The application is about to fetch these partitions: takes those still in the target as owned
   * and returns them; the application must fetch only those. The check and the claim are one step
   * because a heartbeat that does not list a partition the coordinator has revoked releases it to
   * another member: a partition dropped from the target since {@link #pending} must not be fetched.
   */
  synchronized Set<TopicPartition> assigned(Collection<TopicPartition> partitions, long nowMs) {
    Set<TopicPartition> taken = new TreeSet<>();
    for (TopicPartition tp : partitions) {
      if (target.contains(tp)) {
        owned.add(tp);
        taken.add(tp);
      }
    }
    settle(nowMs);
    return java.util.Collections.unmodifiableSet(taken);
  }

  /** The application dropped what it owned after a fence (onPartitionsLost ran): rejoin. */
  synchronized void lostHandled(long nowMs) {
    if (state == State.FENCED) {
      join(nowMs);
      notifyAll();
    }
  }

  private void settle(long nowMs) {
    if (state == State.STABLE || state == State.RECONCILING) {
      state = owned.equals(target) ? State.STABLE : State.RECONCILING;
      nextHeartbeatMs = nowMs; // tell the coordinator now: a release unblocks another member
    }
    notifyAll();
  }

  /** A non-retriable heartbeat error, once; null if none. */
  synchronized LogbusException takeFatal() {
    LogbusException e = fatal;
    fatal = null;
    return e;
  }

  // ---------------------------------------------------------------- heartbeat thread

  /** Milliseconds until the next heartbeat is due; Long.MAX_VALUE when none should be sent. */
  synchronized long timeToNextHeartbeat(long nowMs) {
    if (inFlight || state == State.UNSUBSCRIBED || state == State.FENCED || state == State.FAILED) {
      return Long.MAX_VALUE;
    }
    return Math.max(0, nextHeartbeatMs - nowMs);
  }

  /** Builds the due heartbeat (full subscription and owned partitions) and marks it in flight. */
  synchronized Heartbeat startHeartbeat() {
    inFlight = true;
    return new Heartbeat(request(memberEpoch).build(), incarnation);
  }

  private ConsumerGroupHeartbeatRequest.Builder request(int epoch) {
    ConsumerGroupHeartbeatRequest.Builder b =
        ConsumerGroupHeartbeatRequest.newBuilder()
            .setGroupId(groupId)
            .setMemberId(memberId)
            .setMemberEpoch(epoch)
            .setClientId(clientId)
            .setServerAssignor(assignor)
            .addAllSubscribedTopicNames(subscription);
    Map<String, TopicPartitions.Builder> byTopic = new TreeMap<>();
    for (TopicPartition tp : owned) {
      byTopic
          .computeIfAbsent(tp.topic(), t -> TopicPartitions.newBuilder().setTopic(t))
          .addPartitions(tp.partition());
    }
    byTopic.values().forEach(b::addOwnedPartitions);
    return b;
  }

  /** An answer arrived (any error code). */
  synchronized void onResponse(Heartbeat sent, ConsumerGroupHeartbeatResponse r, long nowMs) {
    inFlight = false;
    notifyAll();
    if (sent.incarnation() != incarnation) {
      return;
    }
    ErrorCode error = r.getError();
    if (error == ErrorCode.NONE) {
      lastSuccessMs = nowMs;
      memberId = r.getMemberId();
      if (r.getMemberEpoch() != memberEpoch) {
        log.debug("{} member {} epoch {} -> {}", prefix, memberId, memberEpoch, r.getMemberEpoch());
      }
      memberEpoch = r.getMemberEpoch();
      heartbeatIntervalMs = Math.max(1, r.getHeartbeatIntervalMs());
      nextHeartbeatMs = nowMs + heartbeatIntervalMs;
      Set<TopicPartition> next = new TreeSet<>(GroupAdmin.partitions(r.getAssignmentList()));
      if (!next.equals(target)) {
        log.info("{} target assignment {} (epoch {})", prefix, next, memberEpoch);
      }
      target = next;
      state = owned.equals(target) ? State.STABLE : State.RECONCILING;
    } else if (error == ErrorCode.FENCED_MEMBER_EPOCH || error == ErrorCode.UNKNOWN_MEMBER_ID) {
      fence(nowMs, error + ": " + r.getErrorMessage());
    } else if (ApiException.isRetriable(error)) {
      retryLater(nowMs);
    } else {
      state = State.FAILED;
      fatal = ApiException.of(error, r.getErrorMessage(), "group " + groupId);
      log.error("{} heartbeat refused: {}", prefix, fatal.getMessage());
    }
  }

  /** The heartbeat got no answer (coordinator unknown or unreachable). */
  synchronized void onFailure(Heartbeat sent, String why, long nowMs) {
    inFlight = false;
    notifyAll();
    if (sent.incarnation() != incarnation) {
      return;
    }
    log.debug("{} heartbeat failed: {}", prefix, why);
    retryLater(nowMs);
  }

  private void retryLater(long nowMs) {
    nextHeartbeatMs = nowMs + retryBackoffMs;
    if (memberEpoch > JOIN_EPOCH && nowMs - lastSuccessMs >= sessionTimeoutMs) {
      fence(nowMs, "no heartbeat answered for " + (nowMs - lastSuccessMs) + " ms: session expired");
    }
  }

  private void fence(long nowMs, String why) {
    log.warn("{} member {} lost its partitions {}: {}", prefix, memberId, owned, why);
    memberEpoch = JOIN_EPOCH;
    target = new TreeSet<>();
    incarnation++;
    if (owned.isEmpty()) {
      join(nowMs);
    } else {
      state = State.FENCED;
    }
  }

  /** Waits (on the monitor) until something changes or maxWaitMs passes. */
  synchronized void awaitChange(long maxWaitMs) throws InterruptedException {
    if (maxWaitMs > 0) {
      wait(maxWaitMs);
    }
  }

  /** Wakes the heartbeat thread (to stop it, say). */
  synchronized void wakeUp() {
    notifyAll();
  }

  // ---------------------------------------------------------------- views

  synchronized State state() {
    return state;
  }

  synchronized String memberId() {
    return memberId;
  }

  synchronized int memberEpoch() {
    return memberEpoch;
  }

  synchronized Set<String> subscription() {
    return sorted(subscription);
  }

  synchronized Set<TopicPartition> owned() {
    return sorted(owned);
  }

  synchronized Set<TopicPartition> target() {
    return sorted(target);
  }

  synchronized boolean subscribed() {
    return state != State.UNSUBSCRIBED;
  }

  private static <T> Set<T> sorted(Set<T> items) {
    return java.util.Collections.unmodifiableSet(new TreeSet<>(items));
  }

  String groupId() {
    return groupId;
  }
}
