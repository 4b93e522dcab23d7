package io.logbus.client;

import java.time.Clock;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A consumer's side of its group, on the application thread: turns the membership's work into
 * listener calls and assignment changes inside poll, commits (auto commit too) and leaves. The
 * heartbeats run on {@link GroupHeartbeater}'s thread; {@link GroupMembership} is the state both
 * share; {@link OffsetCommitter} talks to the coordinator about offsets.
 *
 * <p>Order on a revocation, so that no record is read twice by the group: the listener's
 * onPartitionsRevoked runs, then (auto commit on) the positions are committed and the commit
 * acknowledged, then the consumer stops fetching the partitions, and only then does the membership
 * let the next heartbeat tell the coordinator they are free.
 *
 * <p>Not thread-safe, like the consumer that owns it: the application thread calls it.
 */
final class ConsumerCoordinator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ConsumerCoordinator.class);

  /** The consumer's fetch state, as reconciliation needs it. */
  interface Partitions {
    /** Position (next offset to return) of every assigned partition that has one. */
    Map<TopicPartition, Long> positions();

    /** Starts fetching the partitions: committed ones from there, the others per reset policy. */
    void add(Collection<TopicPartition> partitions, Map<TopicPartition, Long> committed);

    /** Stops fetching the partitions and drops their buffered records. */
    void remove(Collection<TopicPartition> partitions);
  }

  private final ConsumerConfig config;
  private final Clock clock;
  private final Partitions partitions;
  private final GroupMembership membership;
  private final GroupHeartbeater heartbeater;
  private final OffsetCommitter committer;
  private final CoordinatorClient coordinators;
  private final String prefix;
  private ConsumerRebalanceListener listener = NO_LISTENER;
  private long nextAutoCommitMs;
  private Map<TopicPartition, Long> lastAutoCommitted = Map.of();

  private static final ConsumerRebalanceListener NO_LISTENER =
      new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {}
      };

  ConsumerCoordinator(
      ConsumerConfig config, MetadataManager metadata, Clock clock, Partitions partitions) {
    this.config = config;
    this.clock = clock;
    this.partitions = partitions;
    this.prefix = "[consumer " + config.clientId() + " group " + config.groupId() + "]";
    this.coordinators =
        new CoordinatorClient(
            config.clientId(), metadata, config.requestTimeoutMs(), config.retryBackoffMs(), clock);
    this.membership =
        new GroupMembership(
            config.groupId(),
            config.clientId(),
            config.groupRemoteAssignor(),
            config.sessionTimeoutMs(),
            config.retryBackoffMs());
    this.committer =
        new OffsetCommitter(
            config.clientId(),
            config.groupId(),
            coordinators,
            new OffsetCommitter.Committer() {
              @Override
              public String memberId() {
                return membership.subscribed() ? membership.memberId() : "";
              }

              @Override
              public int memberEpoch() {
                return membership.memberEpoch();
              }
            },
            config.retryBackoffMs(),
            clock);
    this.heartbeater =
        new GroupHeartbeater(
            config.clientId(), membership, coordinators, clock, config.requestTimeoutMs());
    this.nextAutoCommitMs = clock.millis() + config.autoCommitIntervalMs();
  }

  void subscribe(Collection<String> topics, ConsumerRebalanceListener listener) {
    this.listener = listener == null ? NO_LISTENER : listener;
    membership.subscribe(topics, clock.millis());
  }

  boolean subscribed() {
    return membership.subscribed();
  }

  Set<String> subscription() {
    return membership.subscription();
  }

  String memberId() {
    return membership.memberId();
  }

  int memberEpoch() {
    return membership.memberEpoch();
  }

  GroupMembership membership() {
    return membership;
  }

  /**
   * Called by poll on every round: runs finished commits' callbacks, applies what the membership
   * asks (lost, revoke, assign, with the listener), and auto-commits when due. Rethrows a heartbeat
   * error that retrying cannot fix, and the first exception a listener threw.
   */
  void poll() {
    committer.runCallbacks();
    LogbusException fatal = membership.takeFatal();
    if (fatal != null) {
      throw fatal;
    }
    RuntimeException listenerError = reconcile();
    maybeAutoCommit();
    if (listenerError != null) {
      throw listenerError;
    }
  }

  private RuntimeException reconcile() {
    RuntimeException listenerError = null;
    // A few rounds: a revocation is usually followed by nothing until the next heartbeat, but a
    // lost set is followed by a rejoin; never loop unbounded on the application thread.
    for (int round = 0; round < 3; round++) {
      GroupMembership.Work work = membership.pending();
      if (work.isEmpty()) {
        break;
      }
      if (!work.lost().isEmpty()) {
        log.info("{} partitions lost: {}", prefix, work.lost());
        partitions.remove(work.lost());
        listenerError = first(listenerError, () -> listener.onPartitionsLost(work.lost()));
        membership.lostHandled(clock.millis());
      } else if (!work.revoke().isEmpty()) {
        log.info("{} revoking {}", prefix, work.revoke());
        listenerError = first(listenerError, () -> listener.onPartitionsRevoked(work.revoke()));
        if (config.enableAutoCommit()) {
          commitBeforeRelease();
        }
        partitions.remove(work.revoke());
        membership.revoked(work.revoke(), clock.millis());
      } else {
        Map<TopicPartition, Long> committed =
            committer.committed(work.assign(), clock.millis() + config.defaultApiTimeoutMs());
        // Claim before fetching: the target may have shrunk while the offsets were fetched.
        Set<TopicPartition> taken = membership.assigned(work.assign(), clock.millis());
        if (!taken.isEmpty()) {
          log.info("{} assigned {} (committed {})", prefix, taken, committed);
          partitions.add(taken, committed);
          listenerError = first(listenerError, () -> listener.onPartitionsAssigned(taken));
        }
      }
    }
    return listenerError;
  }

  private static RuntimeException first(RuntimeException earlier, Runnable call) {
    try {
      call.run();
      return earlier;
    } catch (RuntimeException e) {
      return earlier != null ? earlier : e;
    }
  }

  /** Commits every position before partitions are released; a failure is logged, not thrown. */
  private void commitBeforeRelease() {
    try {
      commitSync(partitions.positions());
    } catch (LogbusException e) {
      log.warn("{} commit before revocation failed: {}", prefix, e.getMessage());
    }
  }

  private void maybeAutoCommit() {
    long now = clock.millis();
    if (!config.enableAutoCommit() || now < nextAutoCommitMs) {
      return;
    }
    nextAutoCommitMs = now + config.autoCommitIntervalMs();
    Map<TopicPartition, Long> positions = partitions.positions();
    if (!positions.equals(lastAutoCommitted)) {
      lastAutoCommitted = Map.copyOf(positions);
      committer.commitAsync(positions, now + config.defaultApiTimeoutMs(), null);
    }
  }

  void commitSync(Map<TopicPartition, Long> offsets) {
    committer.commitSync(offsets, clock.millis() + config.defaultApiTimeoutMs());
  }

  void commitAsync(Map<TopicPartition, Long> offsets, OffsetCommitCallback callback) {
    committer.commitAsync(offsets, clock.millis() + config.defaultApiTimeoutMs(), callback);
  }

  Map<TopicPartition, Long> committed(Set<TopicPartition> tps) {
    return committer.committed(tps, clock.millis() + config.defaultApiTimeoutMs());
  }

  /**
   * Revokes everything the member owns (listener, then the auto commit), stops fetching it and
   * leaves the group (epoch -1), waiting at most {@code leaveTimeoutMs} for the coordinator.
   */
  void unsubscribe(long leaveTimeoutMs) {
    RuntimeException listenerError = null;
    Set<TopicPartition> owned = new TreeSet<>(membership.owned());
    if (membership.state() == GroupMembership.State.FENCED) {
      partitions.remove(owned);
      listenerError = first(null, () -> listener.onPartitionsLost(owned));
    } else if (!owned.isEmpty()) {
      listenerError = first(null, () -> listener.onPartitionsRevoked(owned));
      if (config.enableAutoCommit()) {
        commitBeforeRelease();
      }
    }
    partitions.remove(owned);
    membership.leave().ifPresent(request -> sendLeave(request, leaveTimeoutMs));
    listener = NO_LISTENER;
    if (listenerError != null) {
      throw listenerError;
    }
  }

  private void sendLeave(io.logbus.proto.ConsumerGroupHeartbeatRequest request, long timeoutMs) {
    try {
      coordinators.call(
          config.groupId(),
          "leave group",
          clock.millis() + timeoutMs,
          stub -> stub.consumerGroupHeartbeat(request),
          r -> r.getError(),
          r -> r.getErrorMessage());
      log.info("{} member {} left the group", prefix, request.getMemberId());
    } catch (LogbusException e) {
      // The session timeout removes the member anyway; leaving only makes it faster.
      log.warn("{} leave failed: {}", prefix, e.getMessage());
    }
  }

  /** Commits (auto commit on), leaves the group, stops the threads; bounded by timeoutMs. */
  void close(long timeoutMs) {
    long deadline = clock.millis() + timeoutMs;
    try {
      if (membership.subscribed()) {
        unsubscribe(Math.max(1, Math.min(timeoutMs, config.requestTimeoutMs())));
      } else if (config.enableAutoCommit() && !partitions.positions().isEmpty()) {
        commitSync(partitions.positions());
      }
    } finally {
      heartbeater.close();
      committer.close(deadline);
    }
  }

  @Override
  public void close() {
    close(Math.min(config.defaultApiTimeoutMs(), 30_000));
  }
}
