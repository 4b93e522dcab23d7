package io.logbus.broker;

import io.logbus.log.EpochEndOffset;
import io.logbus.log.LogAppendInfo;
import io.logbus.log.LogReadInfo;
import io.logbus.log.LogStorageException;
import io.logbus.log.PartitionLog;
import io.logbus.proto.ErrorCode;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One replica of a partition on this broker: its log, its role (leader or follower) under a leader
 * epoch, and, when leading, the followers' log end offsets, the ISR and the high watermark (HW =
 * the smallest log end offset over the ISR, own LEO included).
 *
 * <p>Threads: three locks, always taken in this order. {@code writeLock} makes the log's writers
 * (leader and follower appends, truncation, role changes) one at a time; the monitor ({@code
 * synchronized}) guards the replication state (ISR, followers, HW) and is held only briefly, never
 * across a log write, so LEO reports and senders do not wait behind a slow append. The leader's HW
 * is computed under the monitor and handed to the log (whose setter takes the log's own lock) after
 * the monitor is released, under {@code hwPublishLock}, so LEO reports never wait for a file write
 * in progress; see {@link #publishHighWatermark()}. Role and epoch are volatile for lock-free
 * checks. Reads of the log need no lock. Futures and listeners are completed and called by {@link
 * #changed()} outside the monitor, because they send gRPC messages.
 *
 * <p>ISR rule (Kafka's KIP-497 "maximal ISR"): while a proposal is in flight ({@code pending}) the
 * HW is computed over the committed ISR plus the members an expansion adds, and over the committed
 * ISR alone for a shrink; the ISR used for min.insync.replicas is the one committed by the
 * controller. A proposal whose outcome is unknown (timeout, controller moving) stays in flight and
 * is sent again by the periodic ISR check; one the controller answered with a stale epoch stays in
 * flight until metadata tells the outcome. Only an explicit refusal (INELIGIBLE_REPLICA,
 * INVALID_REQUEST: the epochs matched, so nothing was applied) drops it at once. So the ISR on
 * record is never larger than the truth, and the HW never passes a member that may be in it.
 *
 * <p>A log I/O failure ({@link LogStorageException}) takes the replica out of service for good
 * (role {@link Role#FAILED}, STORAGE_ERROR to every caller) until the node restarts; the replica
 * manager is told so it can stop fetching and report it.
 */
public final class Partition {
  private static final Logger log = LoggerFactory.getLogger(Partition.class);
  private static final long ISR_RESEND_BACKOFF_MS = 100;

  public enum Role {
    LEADER,
    FOLLOWER,
    OFFLINE,
    /** The log failed with an I/O error: nothing is served until the node restarts. */
    FAILED
  }

  /** A follower as the leader sees it. */
  private static final class FollowerState {
    long logEndOffset = -1;
    long lastCaughtUpTimeMs;
  }

  private record DelayedProduce(long requiredOffset, CompletableFuture<Void> future) {}

  /** An ISR change sent to the controller, based on {@code base}, not settled yet. */
  private record PendingIsr(List<Integer> isr, boolean expand, PartitionAssignment base) {}

  /** What a leader append gives back: the log's answer and, for acks=all, the HW wait. */
  record LeaderAppend(LogAppendInfo info, CompletableFuture<Void> replicated) {}

  private final PartitionKey key;
  private final PartitionLog partitionLog;
  private final int localBrokerId;
  private final Clock clock;
  private final long replicaLagTimeMaxMs;
  private final IsrProposer isrProposer;
  private final BrokerMetrics metrics;
  private final Consumer<Partition> onStorageFailure;
  private final String prefix;

  private final Object writeLock = new Object();
  private final ReentrantLock hwPublishLock = new ReentrantLock();
  private volatile Role role = Role.OFFLINE;
  private volatile PartitionAssignment assignment;
  private final Map<Integer, FollowerState> followers = new HashMap<>();
  private final LeaderEndHistory endHistory;
  private PendingIsr pending;

  /** When to send {@code pending} again because its outcome is unknown; -1: not to. */
  private long resendPendingAtMs = -1;

  private long leaderEpochStartOffset;
  private volatile LogStorageException storageFailure;
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
      BrokerMetrics metrics,
      Consumer<Partition> onStorageFailure) {
    this.key = key;
    this.partitionLog = partitionLog;
    this.localBrokerId = localBrokerId;
    this.clock = clock;
    this.replicaLagTimeMaxMs = replicaLagTimeMaxMs;
    this.endHistory = new LeaderEndHistory(replicaLagTimeMaxMs);
    this.isrProposer = isrProposer;
    this.metrics = metrics;
    this.onStorageFailure = onStorageFailure;
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
    boolean changed;
    PendingIsr expansion;
    synchronized (writeLock) {
      synchronized (this) {
        changed = becomeLeaderLocked(a);
        // New metadata may have settled (cleared) a pending change that held back an expansion.
        expansion = startExpansion();
      }
    }
    publishHighWatermark();
    if (expansion != null) {
      propose(expansion);
    }
    return changed;
  }

  private boolean becomeLeaderLocked(PartitionAssignment a) {
    if (role == Role.FAILED) {
      log.warn("{} log failed; not leading at epoch {}", prefix, a.leaderEpoch());
      return false;
    }
    if (a.leaderEpoch() < leaderEpoch) {
      log.debug(
          "{} ignoring stale leadership at epoch {} < {}", prefix, a.leaderEpoch(), leaderEpoch);
      return false;
    }
    if (role == Role.LEADER && a.leaderEpoch() == leaderEpoch) {
      if (a.partitionEpoch() > assignment.partitionEpoch()) {
        assignment = a;
        // The committed state now reflects any proposal based on an older partition epoch: the
        // controller applies one only on the epoch it was based on.
        clearPending();
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
    clearPending();
    followers.clear();
    endHistory.clear();
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
        // No leader HW publish may land after this (see publishHighWatermark).
        hwPublishLock.lock();
        try {
          return becomeFollowerLocked(a);
        } finally {
          hwPublishLock.unlock();
        }
      }
    }
  }

  private boolean becomeFollowerLocked(PartitionAssignment a) {
    if (role == Role.FAILED) {
      log.warn("{} log failed; not following at epoch {}", prefix, a.leaderEpoch());
      return false;
    }
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
    clearPending();
    failDelayed(BrokerException.notLeader(key.toString(), a.leader(), a.leaderEpoch()));
    log.info("{} follower of {} at epoch {}", prefix, a.leader(), leaderEpoch);
    return true;
  }

  /** Stops serving: no role, every waiting produce fails with NOT_LEADER. */
  void goOffline() {
    synchronized (writeLock) {
      synchronized (this) {
        hwPublishLock.lock();
        try {
          goOfflineLocked();
        } finally {
          hwPublishLock.unlock();
        }
      }
    }
  }

  private void goOfflineLocked() {
    if (role != Role.FAILED) {
      role = Role.OFFLINE;
    }
    followers.clear();
    clearPending();
    failDelayed(new BrokerException(ErrorCode.NOT_LEADER, key + ": replica stopped"));
  }

  private void clearPending() {
    pending = null;
    resendPendingAtMs = -1;
  }

  // ------------------------------------------------------------------ storage failure

  /**
   * Runs a step on the log; a {@link LogStorageException} takes the replica out of service (see the
   * class comment) and reaches the caller as STORAGE_ERROR.
   */
  private <T> T onLog(Supplier<T> step) {
    try {
      return step.get();
    } catch (LogStorageException e) {
      throw storageFailed(e);
    }
  }

  /**
   * The log failed: stop serving (every waiting produce fails with STORAGE_ERROR) and tell the
   * replica manager. Idempotent. Returns the error to give the caller.
   */
  BrokerException storageFailed(LogStorageException cause) {
    BrokerException error = storageError(cause);
    boolean first;
    synchronized (this) {
      first = storageFailure == null;
      if (first) {
        storageFailure = cause;
        role = Role.FAILED;
        followers.clear();
        clearPending();
        failDelayed(error);
      }
    }
    if (first) {
      log.error("{} log failed; replica out of service until restart", prefix, cause);
      // The replica manager reacts on its own thread: we may hold this replica's locks here.
      onStorageFailure.accept(this);
    }
    return error;
  }

  private BrokerException storageError(LogStorageException cause) {
    return new BrokerException(
        ErrorCode.STORAGE_ERROR, key + ": log failed: " + ErrorMapping.message(cause));
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
   * appended) when the committed ISR is smaller than min.insync.replicas (read from the log's
   * config now, so AlterConfigs applies to a live leader), and registers the wait for the HW to
   * pass the batch before any role change can run: a leadership lost and regained in between (the
   * tail truncated as follower) fails the wait instead of letting it complete on other data. Call
   * {@link #changed()} afterwards, outside any lock.
   */
  LeaderAppend appendAsLeader(ByteBuffer records, int acks) {
    synchronized (writeLock) {
      int epoch;
      synchronized (this) {
        checkLeader(-1);
        int minIsr = minInsyncReplicas();
        if (acks == -1 && assignment.isr().size() < minIsr) {
          throw new BrokerException(
              ErrorCode.NOT_ENOUGH_REPLICAS,
              key
                  + ": in-sync replicas "
                  + assignment.isr()
                  + " are fewer than min.insync.replicas="
                  + minIsr);
        }
        epoch = leaderEpoch;
      }
      // Role changes also take writeLock, so the role and epoch checked above still hold here.
      LeaderAppend append;
      long endBefore = partitionLog.logEndOffset();
      LogAppendInfo info = onLog(() -> partitionLog.appendAsLeader(records, epoch));
      synchronized (this) {
        if (partitionLog.logEndOffset() > endBefore) {
          // Pushed replication sends nothing while idle, so a follower that had everything up to
          // now was caught up until this very append: its lag clock starts here, not at its last
          // report.
          long now = clock.millis();
          endHistory.appended(now, endBefore, partitionLog.logEndOffset());
          for (FollowerState state : followers.values()) {
            if (state.logEndOffset >= endBefore) {
              state.lastCaughtUpTimeMs = now;
            }
          }
        }
        maybeIncrementHighWatermark();
        CompletableFuture<Void> replicated = null;
        if (acks == -1) {
          // Completed by changed() once the HW reaches the batch's exclusive end; failed by any
          // role change, which has to wait for writeLock, held since the append.
          replicated = new CompletableFuture<>();
          delayedProduces.add(new DelayedProduce(info.lastOffset() + 1, replicated));
        }
        append = new LeaderAppend(info, replicated);
      }
      publishHighWatermark();
      return append;
    }
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
    PendingIsr proposal = null;
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
      state.lastCaughtUpTimeMs =
          Math.max(state.lastCaughtUpTimeMs, caughtUpAsOfMs(state.logEndOffset, clock.millis()));
      proposal = startExpansion();
      maybeIncrementHighWatermark();
    }
    publishHighWatermark();
    if (proposal != null) {
      propose(proposal);
    }
  }

  /**
   * Must hold the monitor. Kafka's Replica.updateFetchState rule for pushed replication: a follower
   * whose durable end reaches the leader's end now is caught up now; one whose end reaches what the
   * leader had at an earlier moment (its end passed only later) was caught up as of that moment.
   * -1: not within the lag window.
   */
  private long caughtUpAsOfMs(long followerEnd, long now) {
    return followerEnd >= partitionLog.logEndOffset() ? now : endHistory.passedAtMs(followerEnd);
  }

  /**
   * Must hold the monitor. When no ISR change is in flight, makes {@code pending} the expansion by
   * every follower outside the ISR that Kafka counts as in sync (durable end at or past the HW and
   * the start of this leader epoch) and returns it for {@link #propose}; null if none.
   */
  private PendingIsr startExpansion() {
    if (role != Role.LEADER || pending != null) {
      return null;
    }
    List<Integer> expanded = new ArrayList<>(assignment.isr());
    for (int replica : assignment.replicas()) {
      FollowerState state = followers.get(replica);
      if (state != null
          && !expanded.contains(replica)
          && state.logEndOffset >= highWatermark
          && state.logEndOffset >= leaderEpochStartOffset) {
        expanded.add(replica);
      }
    }
    if (expanded.size() == assignment.isr().size()) {
      return null;
    }
    pending = new PendingIsr(List.copyOf(expanded), true, assignment);
    log.info("{} expanding isr {} -> {}", prefix, assignment.isr(), expanded);
    return pending;
  }

  /**
   * Periodic ISR check: proposes removing ISR members that lagged longer than
   * replica.lag.time.max.ms, else adding caught-up followers. The expansion has to be retried here:
   * with the ISR below min.insync.replicas writes are refused, so a caught-up follower gets no new
   * data and never reports again, and a refused proposal would otherwise never be made again.
   */
  void maybeShrinkIsr() {
    PendingIsr proposal;
    synchronized (this) {
      if (role != Role.LEADER) {
        return;
      }
      long now = clock.millis();
      if (pending != null) {
        if (resendPendingAtMs < 0 || now < resendPendingAtMs) {
          return;
        }
        // Outcome unknown: the same proposal again. If the first one was applied, this one gets
        // INVALID_UPDATE_VERSION and the metadata settles it.
        resendPendingAtMs = -1;
        proposal = pending;
        log.info(
            "{} {} isr {} -> {} again",
            prefix,
            proposal.expand() ? "expanding" : "shrinking",
            proposal.base().isr(),
            proposal.isr());
      } else {
        proposal = shrinkProposal(now);
        if (proposal != null) {
          pending = proposal;
          log.info("{} shrinking isr {} -> {}", prefix, proposal.base().isr(), proposal.isr());
        } else {
          proposal = startExpansion();
          if (proposal == null) {
            return;
          }
        }
      }
    }
    propose(proposal);
  }

  /** Must hold the monitor. Removes ISR members that lagged too long; null if none did. */
  private PendingIsr shrinkProposal(long now) {
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
      return null;
    }
    return new PendingIsr(List.copyOf(kept), false, assignment);
  }

  private void propose(PendingIsr proposal) {
    isrProposer
        .alterPartition(proposal.base(), proposal.isr())
        .whenComplete(
            (committed, failure) -> {
              PendingIsr next = null;
              synchronized (this) {
                if (pending != proposal) {
                  return;
                }
                if (failure != null) {
                  settleFailedProposal(proposal, failure);
                } else {
                  clearPending();
                  if (role == Role.LEADER
                      && committed.leaderEpoch() == leaderEpoch
                      && committed.partitionEpoch() > assignment.partitionEpoch()) {
                    assignment = committed;
                  }
                  if (proposal.expand()) {
                    metrics.isrExpanded();
                  } else {
                    metrics.isrShrunk();
                  }
                }
                maybeIncrementHighWatermark();
                // After a success another follower may be due at once. After a refusal the next
                // periodic check tries again: at once would loop while the controller refuses.
                if (failure == null) {
                  next = startExpansion();
                }
              }
              publishHighWatermark();
              changed();
              if (next != null) {
                propose(next);
              }
            });
  }

  /**
   * Must hold the monitor. Kafka's rule for an AlterPartition error: drop the proposal only when
   * the controller says it was not applied; otherwise keep it in flight (it still counts for the
   * HW) until metadata or a resend tells the outcome.
   */
  private void settleFailedProposal(PendingIsr proposal, Throwable failure) {
    ErrorCode code = ErrorMapping.code(failure);
    switch (code) {
      case INELIGIBLE_REPLICA, INVALID_REQUEST -> {
        // Checked after the leader and partition epochs matched: nothing was applied.
        log.warn(
            "{} isr change to {} refused: {}",
            prefix,
            proposal.isr(),
            ErrorMapping.message(failure));
        clearPending();
      }
      case FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION, UNKNOWN_TOPIC, UNKNOWN_PARTITION ->
          // Our view is stale; this proposal (or an earlier send of it) may have been applied.
          // The metadata that made it stale is on its way and settles it (becomeLeader/Follower).
          log.info(
              "{} isr change to {} answered {}; waiting for metadata",
              prefix,
              proposal.isr(),
              code);
      default -> {
        log.warn(
            "{} isr change to {} has an unknown outcome ({}); sending it again",
            prefix,
            proposal.isr(),
            ErrorMapping.message(failure));
        resendPendingAtMs = clock.millis() + ISR_RESEND_BACKOFF_MS;
      }
    }
  }

  /**
   * Must hold the monitor. Moves the HW up to the smallest LEO over the maximal ISR (committed ISR
   * plus the members an expansion in flight adds). Only the field moves here: the caller hands it
   * to the log with {@link #publishHighWatermark()} once it has released the monitor.
   */
  private boolean maybeIncrementHighWatermark() {
    if (role != Role.LEADER) {
      return false;
    }
    long newHw = partitionLog.logEndOffset();
    List<Integer> isr = assignment.isr();
    for (int member : isr) {
      newHw = Math.min(newHw, memberEnd(member));
    }
    if (pending != null && pending.expand()) {
      for (int member : pending.isr()) {
        if (!isr.contains(member)) {
          newHw = Math.min(newHw, memberEnd(member));
        }
      }
    }
    if (newHw > highWatermark) {
      highWatermark = newHw;
      return true;
    }
    return false;
  }

  /** Must hold the monitor. What the HW may count for an ISR member (this replica: no limit). */
  private long memberEnd(int member) {
    if (member == localBrokerId) {
      return Long.MAX_VALUE;
    }
    FollowerState state = followers.get(member);
    return state == null ? -1 : state.logEndOffset;
  }

  /**
   * Hands the leader's HW to the log (kept in its checkpoint), outside the monitor because the
   * log's setter waits for its append lock. Under {@code hwPublishLock} the value read is the
   * latest, so concurrent publishers never move the log's HW back; role changes away from leader
   * take the same lock, so no leader HW lands after them.
   */
  private void publishHighWatermark() {
    // Never waits: a thread finding another publishing leaves its value to it, and the publisher
    // checks after unlocking whether the HW moved meanwhile (then publishes again).
    while (hwPublishLock.tryLock()) {
      long hw;
      try {
        hw = highWatermark;
        if (role == Role.LEADER && hw > partitionLog.highWatermark()) {
          partitionLog.updateHighWatermark(hw);
        }
      } finally {
        hwPublishLock.unlock();
      }
      if (highWatermark == hw) {
        return;
      }
    }
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
      enoughReplicas = assignment == null || assignment.isr().size() >= minInsyncReplicas();
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
      LogAppendInfo info =
          records.hasRemaining() ? onLog(() -> partitionLog.appendAsFollower(records)) : null;
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
      onLog(
          () -> {
            partitionLog.truncateTo(offset);
            return null;
          });
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
    onLog(
        () -> {
          partitionLog.truncateFullyAndStartAt(offset);
          return null;
        });
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
    LogStorageException failed = storageFailure;
    if (failed != null) {
      throw storageError(failed);
    }
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
    return onLog(() -> partitionLog.read(offset, maxBytes, limit));
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

  /** Read on every use: AlterConfigs swaps the log's config under a live leader. */
  private int minInsyncReplicas() {
    return partitionLog.config().minInsyncReplicas();
  }

  @Override
  public String toString() {
    return prefix;
  }
}
