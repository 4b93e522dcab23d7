package io.logbus.broker;

import io.logbus.log.EpochEndOffset;
import io.logbus.log.LogAppendInfo;
import io.logbus.log.LogReadInfo;
import io.logbus.log.PartitionLog;
import io.logbus.proto.ErrorCode;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArraySet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One replica of a partition on this broker: its log, its role (leader or follower) under a leader
 * epoch, and, when leading, the followers' log end offsets, the ISR and the high watermark (HW =
 * the smallest log end offset over the ISR, own LEO included).
 *
 * <p>Threads: two locks, always taken in this order. {@code writeLock} makes the log's writers
 * (leader and follower appends, truncation, role changes) one at a time; the monitor ({@code
 * synchronized}) guards the replication state (ISR, followers, HW) and is held only briefly, never
 * across a log write, so LEO reports and senders do not wait behind a slow append. Role and epoch
 * are volatile for lock-free checks. Reads of the log need no lock. Futures and listeners are
 * completed and called by {@link #changed()} outside the monitor, because they send gRPC messages.
 *
 * <p>ISR rule: a proposal in flight ({@code pendingIsr}) counts for the HW when it adds a member
 * (the maximal ISR) and not when it removes one; the ISR used for min.insync.replicas is the one
 * committed by the controller. So the ISR on record is never larger than the truth.
 */
public final class Partition {
  private static final Logger log = LoggerFactory.getLogger(Partition.class);

  public enum Role {
    LEADER,
    FOLLOWER,
    OFFLINE
  }

  /** A follower as the leader sees it. */
  private static final class FollowerState {
    long logEndOffset = -1;
    long lastCaughtUpTimeMs;
  }

  private record DelayedProduce(long requiredOffset, CompletableFuture<Void> future) {}

  private final PartitionKey key;
  private final PartitionLog partitionLog;
  private final int localBrokerId;
  private final Clock clock;
  private final long replicaLagTimeMaxMs;
  private final IsrProposer isrProposer;
  private final BrokerMetrics metrics;
  private final String prefix;

  private final Object writeLock = new Object();
  private volatile Role role = Role.OFFLINE;
  private volatile PartitionAssignment assignment;
  private final Map<Integer, FollowerState> followers = new HashMap<>();
  private List<Integer> pendingIsr;
  private long leaderEpochStartOffset;
  private int minInsyncReplicas = 1;
  private volatile int leaderEpoch = -1;
  private volatile long highWatermark;
  private final PriorityQueue<DelayedProduce> delayedProduces =
      new PriorityQueue<>(Comparator.comparingLong(DelayedProduce::requiredOffset));
  private final Set<Runnable> listeners = new CopyOnWriteArraySet<>();

  Partition(
      PartitionKey key,
      PartitionLog partitionLog,
      int localBrokerId,
      Clock clock,
      long replicaLagTimeMaxMs,
      IsrProposer isrProposer,
      BrokerMetrics metrics) {
    this.key = key;
    this.partitionLog = partitionLog;
    this.localBrokerId = localBrokerId;
    this.clock = clock;
    this.replicaLagTimeMaxMs = replicaLagTimeMaxMs;
    this.isrProposer = isrProposer;
    this.metrics = metrics;
    this.prefix = "[node-" + localBrokerId + " " + key + "]";
    this.highWatermark = Math.min(partitionLog.highWatermark(), partitionLog.logEndOffset());
  }

  public PartitionKey key() {
    return key;
  }

  public PartitionLog log() {
    return partitionLog;
  }

  // ------------------------------------------------------------------ role changes

  /**
   * Leads under {@code a.leaderEpoch()}. A stale epoch is ignored; the same epoch again only
   * refreshes the ISR and replicas (an ISR change committed by the controller). Returns whether the
   * role or epoch changed.
   */
  boolean becomeLeader(PartitionAssignment a) {
    synchronized (writeLock) {
      synchronized (this) {
        return becomeLeaderLocked(a);
      }
    }
  }

  private boolean becomeLeaderLocked(PartitionAssignment a) {
    if (a.leaderEpoch() < leaderEpoch) {
      log.debug(
          "{} ignoring stale leadership at epoch {} < {}", prefix, a.leaderEpoch(), leaderEpoch);
      return false;
    }
    minInsyncReplicas = minInsyncReplicas(partitionLog);
    if (role == Role.LEADER && a.leaderEpoch() == leaderEpoch) {
      if (a.partitionEpoch() > assignment.partitionEpoch()) {
        assignment = a;
        for (int replica : a.replicas()) {
          if (replica != localBrokerId) {
            followers.computeIfAbsent(replica, r -> newFollowerState());
          }
        }
        maybeIncrementHighWatermark();
      }
      return false;
    }
    role = Role.LEADER;
    assignment = a;
    leaderEpoch = a.leaderEpoch();
    pendingIsr = null;
    followers.clear();
    for (int replica : a.replicas()) {
      if (replica != localBrokerId) {
        followers.put(replica, newFollowerState());
      }
    }
    leaderEpochStartOffset = partitionLog.logEndOffset();
    highWatermark = Math.min(partitionLog.highWatermark(), leaderEpochStartOffset);
    maybeIncrementHighWatermark();
    log.info(
        "{} leader at epoch {} (isr {}, log end {}, hw {})",
        prefix,
        leaderEpoch,
        a.isr(),
        leaderEpochStartOffset,
        highWatermark);
    return true;
  }

  /** Follows {@code a.leader()} under {@code a.leaderEpoch()}; fails produces still waiting. */
  boolean becomeFollower(PartitionAssignment a) {
    synchronized (writeLock) {
      synchronized (this) {
        return becomeFollowerLocked(a);
      }
    }
  }

  private boolean becomeFollowerLocked(PartitionAssignment a) {
    if (a.leaderEpoch() < leaderEpoch
        || (role == Role.FOLLOWER && a.leaderEpoch() == leaderEpoch)) {
      if (a.leaderEpoch() == leaderEpoch) {
        assignment = a;
      }
      return false;
    }
    role = Role.FOLLOWER;
    assignment = a;
    leaderEpoch = a.leaderEpoch();
    followers.clear();
    pendingIsr = null;
    failDelayed(BrokerException.notLeader(key.toString(), a.leader(), a.leaderEpoch()));
    log.info("{} follower of {} at epoch {}", prefix, a.leader(), leaderEpoch);
    return true;
  }

  /** Stops serving: no role, every waiting produce fails with NOT_LEADER. */
  void goOffline() {
    synchronized (writeLock) {
      synchronized (this) {
        goOfflineLocked();
      }
    }
  }

  private void goOfflineLocked() {
    role = Role.OFFLINE;
    followers.clear();
    pendingIsr = null;
    failDelayed(new BrokerException(ErrorCode.NOT_LEADER, key + ": replica stopped"));
  }

  private void failDelayed(BrokerException failure) {
    DelayedProduce op;
    while ((op = delayedProduces.poll()) != null) {
      op.future().completeExceptionally(failure);
    }
  }

  private FollowerState newFollowerState() {
    FollowerState state = new FollowerState();
    // Kafka's rule: a new leader gives every follower a full lag period to show up.
    state.lastCaughtUpTimeMs = clock.millis();
    return state;
  }

  // ------------------------------------------------------------------ leader side

  /**
   * Appends producer batches as leader. With {@code acks=-1} refuses (NOT_ENOUGH_REPLICAS, nothing
   * appended) when the committed ISR is smaller than min.insync.replicas. Call {@link #changed()}
   * afterwards, outside any lock.
   */
  LogAppendInfo appendAsLeader(ByteBuffer records, int acks) {
    synchronized (writeLock) {
      int epoch;
      synchronized (this) {
        checkLeader(-1);
        if (acks == -1 && assignment.isr().size() < minInsyncReplicas) {
          throw new BrokerException(
              ErrorCode.NOT_ENOUGH_REPLICAS,
              key
                  + ": in-sync replicas "
                  + assignment.isr()
                  + " are fewer than min.insync.replicas="
                  + minInsyncReplicas);
        }
        epoch = leaderEpoch;
      }
      // Role changes also take writeLock, so the role and epoch checked above still hold here.
      long endBefore = partitionLog.logEndOffset();
      LogAppendInfo info = partitionLog.appendAsLeader(records, epoch);
      synchronized (this) {
        if (partitionLog.logEndOffset() > endBefore) {
          // Pushed replication sends nothing while idle, so a follower that had everything up to
          // now was caught up until this very append: its lag clock starts here, not at its last
          // report.
          long now = clock.millis();
          for (FollowerState state : followers.values()) {
            if (state.logEndOffset >= endBefore) {
              state.lastCaughtUpTimeMs = now;
            }
          }
        }
        maybeIncrementHighWatermark();
      }
      return info;
    }
  }

  /** A future completed once the HW reaches {@code requiredOffset} (exclusive end of a batch). */
  synchronized CompletableFuture<Void> awaitHighWatermark(long requiredOffset) {
    CompletableFuture<Void> future = new CompletableFuture<>();
    if (role != Role.LEADER) {
      future.completeExceptionally(
          BrokerException.notLeader(key.toString(), leaderId(), leaderEpoch));
      return future;
    }
    delayedProduces.add(new DelayedProduce(requiredOffset, future));
    return future;
  }

  /** What this leader counts as {@code followerId}'s durable log end; -1 until it reports. */
  synchronized long followerLogEndOffset(int followerId) {
    FollowerState state = followers.get(followerId);
    return state == null ? -1 : state.logEndOffset;
  }

  /** A follower's log end offset, reported durable on its stream; never moves it back. */
  void updateFollowerLogEndOffset(int followerId, int followerLeaderEpoch, long logEndOffset) {
    recordFollowerEnd(followerId, followerLeaderEpoch, logEndOffset, false);
  }

  /**
   * Where a follower (re)starts fetching. It can only lower what the leader counts for the follower
   * (after a truncation): the offset is the follower's log end, which may include bytes it has not
   * fsynced yet, so only a {@link #updateFollowerLogEndOffset LEO report} raises it.
   */
  void lowerFollowerLogEndOffset(int followerId, int followerLeaderEpoch, long logEndOffset) {
    recordFollowerEnd(followerId, followerLeaderEpoch, logEndOffset, true);
  }

  private void recordFollowerEnd(
      int followerId, int followerLeaderEpoch, long logEndOffset, boolean lowerOnly) {
    List<Integer> proposal = null;
    PartitionAssignment current;
    synchronized (this) {
      checkLeader(followerLeaderEpoch);
      FollowerState state = followers.get(followerId);
      if (state == null) {
        throw new BrokerException(
            ErrorCode.INELIGIBLE_REPLICA,
            key + ": broker " + followerId + " is not a replica " + assignment.replicas());
      }
      if (logEndOffset < 0 || logEndOffset > partitionLog.logEndOffset()) {
        throw new BrokerException(
            ErrorCode.INVALID_REQUEST,
            key
                + ": follower "
                + followerId
                + " reports log end "
                + logEndOffset
                + ", the leader's is "
                + partitionLog.logEndOffset());
      }
      state.logEndOffset =
          lowerOnly
              ? Math.min(state.logEndOffset, logEndOffset)
              : Math.max(state.logEndOffset, logEndOffset);
      if (state.logEndOffset >= partitionLog.logEndOffset()) {
        state.lastCaughtUpTimeMs = clock.millis();
      }
      if (!assignment.isr().contains(followerId)
          && pendingIsr == null
          && state.logEndOffset >= highWatermark
          && state.logEndOffset >= leaderEpochStartOffset) {
        List<Integer> expanded = new ArrayList<>(assignment.isr());
        expanded.add(followerId);
        pendingIsr = List.copyOf(expanded);
        proposal = pendingIsr;
      }
      maybeIncrementHighWatermark();
      current = assignment;
    }
    if (proposal != null) {
      log.info("{} expanding isr {} -> {}", prefix, current.isr(), proposal);
      propose(current, proposal, true);
    }
  }

  /** Periodic: proposes removing ISR members that lagged longer than replica.lag.time.max.ms. */
  void maybeShrinkIsr() {
    List<Integer> proposal = null;
    PartitionAssignment current;
    synchronized (this) {
      if (role != Role.LEADER || pendingIsr != null) {
        return;
      }
      long now = clock.millis();
      long leaderEnd = partitionLog.logEndOffset();
      List<Integer> kept = new ArrayList<>();
      for (int member : assignment.isr()) {
        FollowerState state = followers.get(member);
        boolean lagging =
            member != localBrokerId
                && (state == null
                    || (state.logEndOffset < leaderEnd
                        && now - state.lastCaughtUpTimeMs > replicaLagTimeMaxMs));
        if (!lagging) {
          kept.add(member);
        }
      }
      if (kept.size() == assignment.isr().size()) {
        return;
      }
      pendingIsr = List.copyOf(kept);
      proposal = pendingIsr;
      current = assignment;
    }
    log.info("{} shrinking isr {} -> {}", prefix, current.isr(), proposal);
    propose(current, proposal, false);
  }

  private void propose(PartitionAssignment current, List<Integer> proposal, boolean expand) {
    isrProposer
        .alterPartition(current, proposal)
        .whenComplete(
            (committed, failure) -> {
              synchronized (this) {
                if (pendingIsr != proposal) {
                  return;
                }
                pendingIsr = null;
                if (failure != null) {
                  log.warn(
                      "{} isr change to {} refused: {}",
                      prefix,
                      proposal,
                      ErrorMapping.message(failure));
                  return;
                }
                if (role == Role.LEADER
                    && committed.leaderEpoch() == leaderEpoch
                    && committed.partitionEpoch() > assignment.partitionEpoch()) {
                  assignment = committed;
                }
                if (expand) {
                  metrics.isrExpanded();
                } else {
                  metrics.isrShrunk();
                }
                maybeIncrementHighWatermark();
              }
              changed();
            });
  }

  /** Must hold the monitor. Moves the HW up to the smallest LEO over the maximal ISR. */
  private boolean maybeIncrementHighWatermark() {
    if (role != Role.LEADER) {
      return false;
    }
    long newHw = partitionLog.logEndOffset();
    Set<Integer> maximal = new LinkedHashSet<>(assignment.isr());
    if (pendingIsr != null) {
      maximal.addAll(pendingIsr);
    }
    for (int member : maximal) {
      if (member == localBrokerId) {
        continue;
      }
      FollowerState state = followers.get(member);
      long end = state == null ? -1 : state.logEndOffset;
      newHw = Math.min(newHw, end);
    }
    if (newHw > highWatermark) {
      highWatermark = newHw;
      partitionLog.updateHighWatermark(newHw);
      return true;
    }
    return false;
  }

  /**
   * Completes produces whose batch the HW has passed and wakes listeners (replication senders, long
   * polls, fetch streams). Call outside any lock after every change.
   */
  public void changed() {
    List<DelayedProduce> ready = new ArrayList<>();
    boolean enoughReplicas;
    synchronized (this) {
      while (!delayedProduces.isEmpty()
          && delayedProduces.peek().requiredOffset() <= highWatermark) {
        ready.add(delayedProduces.poll());
      }
      enoughReplicas = assignment == null || assignment.isr().size() >= minInsyncReplicas;
    }
    for (DelayedProduce op : ready) {
      if (enoughReplicas) {
        op.future().complete(null);
      } else {
        op.future()
            .completeExceptionally(
                new BrokerException(
                    ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
                    key + ": appended, but the isr fell below min.insync.replicas"));
      }
    }
    for (Runnable listener : listeners) {
      listener.run();
    }
  }

  public void addListener(Runnable listener) {
    listeners.add(listener);
  }

  public void removeListener(Runnable listener) {
    listeners.remove(listener);
  }

  // ------------------------------------------------------------------ follower side

  /**
   * Appends batches pushed by the leader at {@code epoch}; adopts the leader's HW (capped by the
   * own log end). Returns null when only the HW moved.
   */
  LogAppendInfo appendAsFollower(int epoch, ByteBuffer records, long leaderHw) {
    synchronized (writeLock) {
      checkFollower(epoch);
      LogAppendInfo info = records.hasRemaining() ? partitionLog.appendAsFollower(records) : null;
      synchronized (this) {
        updateFollowerHighWatermark(leaderHw);
      }
      return info;
    }
  }

  private void updateFollowerHighWatermark(long leaderHw) {
    long newHw = Math.min(leaderHw, partitionLog.logEndOffset());
    if (newHw != highWatermark) {
      highWatermark = newHw;
      partitionLog.updateHighWatermark(newHw);
    }
  }

  /** KIP-101: cuts the log back to where it agrees with the leader's. */
  void truncateTo(int epoch, long offset) {
    synchronized (writeLock) {
      synchronized (this) {
        truncateToLocked(epoch, offset);
      }
    }
  }

  private void truncateToLocked(int epoch, long offset) {
    checkFollower(epoch);
    if (offset < partitionLog.logEndOffset()) {
      log.info(
          "{} truncating from {} to {} (epoch {})",
          prefix,
          partitionLog.logEndOffset(),
          offset,
          epoch);
      partitionLog.truncateTo(offset);
    }
    if (highWatermark > partitionLog.logEndOffset()) {
      highWatermark = partitionLog.logEndOffset();
    }
  }

  /** The leader's log starts past our end: empty the log and restart at {@code offset}. */
  void truncateFullyAndStartAt(int epoch, long offset) {
    synchronized (writeLock) {
      synchronized (this) {
        truncateFullyLocked(epoch, offset);
      }
    }
  }

  private void truncateFullyLocked(int epoch, long offset) {
    checkFollower(epoch);
    log.info("{} log restarts at {} (leader's log start)", prefix, offset);
    partitionLog.truncateFullyAndStartAt(offset);
    highWatermark = Math.min(highWatermark, offset);
  }

  private void checkFollower(int epoch) {
    if (role != Role.FOLLOWER || epoch != leaderEpoch) {
      throw new BrokerException(
          ErrorCode.FENCED_LEADER_EPOCH,
          key
              + ": not a follower at epoch "
              + epoch
              + " (role "
              + role
              + ", epoch "
              + leaderEpoch
              + ")");
    }
  }

  // ------------------------------------------------------------------ reads

  /** Checks this replica leads and, unless {@code requestEpoch} is -1, at that epoch. */
  void checkLeader(int requestEpoch) {
    if (role != Role.LEADER) {
      throw BrokerException.notLeader(key.toString(), leaderId(), leaderEpoch);
    }
    checkEpoch(requestEpoch);
  }

  private void checkEpoch(int requestEpoch) {
    if (requestEpoch == -1 || requestEpoch == leaderEpoch) {
      return;
    }
    if (requestEpoch < leaderEpoch) {
      throw new BrokerException(
          ErrorCode.FENCED_LEADER_EPOCH,
          key + ": leader epoch " + requestEpoch + " is older than " + leaderEpoch,
          io.logbus.proto.LeaderHint.newBuilder()
              .setLeaderId(leaderId())
              .setLeaderEpoch(leaderEpoch)
              .build());
    }
    throw new BrokerException(
        ErrorCode.UNKNOWN_LEADER_EPOCH,
        key + ": leader epoch " + requestEpoch + " is newer than " + leaderEpoch);
  }

  /** Whole batches below the HW, for consumers (leader only). */
  LogReadInfo readForConsumer(long offset, int maxBytes, int requestEpoch) {
    checkLeader(requestEpoch);
    return readBelow(offset, maxBytes, highWatermark);
  }

  /** Whole batches below the log end, for followers. */
  LogReadInfo readForFollower(long offset, int maxBytes) {
    return readBelow(offset, maxBytes, partitionLog.logEndOffset());
  }

  private LogReadInfo readBelow(long offset, int maxBytes, long limit) {
    return partitionLog.read(offset, maxBytes, limit);
  }

  public EpochEndOffset endOffsetForEpoch(int epoch) {
    return partitionLog.endOffsetForEpoch(epoch);
  }

  public OptionalInt latestEpoch() {
    return partitionLog.latestEpoch();
  }

  public long highWatermark() {
    return highWatermark;
  }

  public long logEndOffset() {
    return partitionLog.logEndOffset();
  }

  public long logStartOffset() {
    return partitionLog.logStartOffset();
  }

  public int leaderEpoch() {
    return leaderEpoch;
  }

  public Role role() {
    return role;
  }

  public int leaderId() {
    PartitionAssignment a = assignment;
    return a == null ? -1 : a.leader();
  }

  public List<Integer> isr() {
    PartitionAssignment a = assignment;
    return a == null ? List.of() : a.isr();
  }

  public PartitionAssignment assignment() {
    return assignment;
  }

  /** Leader only: ISR smaller than the replica set. */
  public boolean underReplicated() {
    PartitionAssignment a = assignment;
    return role == Role.LEADER && a != null && a.isr().size() < a.replicas().size();
  }

  static int minInsyncReplicas(PartitionLog partitionLog) {
    return partitionLog.config().minInsyncReplicas();
  }

  @Override
  public String toString() {
    return prefix;
  }
}
