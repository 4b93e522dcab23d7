package io.logbus.broker;

import io.logbus.log.LogAppendInfo;
import io.logbus.log.LogConfig;
import io.logbus.log.LogManager;
import io.logbus.log.LogReadInfo;
import io.logbus.log.LogStorageException;
import io.logbus.log.PartitionLog;
import io.logbus.proto.ErrorCode;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicas this broker hosts and what happens to them: leader appends with acks 0/1/all
 * (delayed produce completed by HW advance, expired by the scheduler with REQUEST_TIMED_OUT),
 * consumer reads below the HW, role changes (become leader, become follower, stop and delete) and
 * the periodic ISR shrink check.
 *
 * <p>Threads: any. Role changes for one partition must come from one thread (the metadata
 * dispatcher); appends and reads may come from any gRPC thread.
 */
public final class ReplicaManager implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReplicaManager.class);

  /** How long a leader waits for records to carry a HW move before pushing it alone. */
  static final long DEFAULT_HW_ONLY_PUSH_DELAY_MS = 50;

  private final int brokerId;
  private final LogManager logManager;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final long replicaLagTimeMaxMs;
  private final IsrProposer isrProposer;
  private final BrokerMetrics metrics;
  private final ReplicaFetcherManager fetchers;
  private final Map<PartitionKey, Partition> partitions = new ConcurrentHashMap<>();
  private final List<RoleListener> roleListeners = new CopyOnWriteArrayList<>();
  private final List<Consumer<PartitionKey>> storageFailureListeners = new CopyOnWriteArrayList<>();
  private final ScheduledFuture<?> isrCheck;
  private volatile long hwOnlyPushDelayMs = DEFAULT_HW_ONLY_PUSH_DELAY_MS;
  private final String prefix;

  public ReplicaManager(
      int brokerId,
      LogManager logManager,
      Clock clock,
      ScheduledExecutorService scheduler,
      long replicaLagTimeMaxMs,
      int replicaFetchMaxBytes,
      IsrProposer isrProposer,
      BrokerAddresses addresses,
      BrokerMetrics metrics) {
    this.brokerId = brokerId;
    this.logManager = logManager;
    this.clock = clock;
    this.scheduler = scheduler;
    this.replicaLagTimeMaxMs = replicaLagTimeMaxMs;
    this.isrProposer = isrProposer;
    this.metrics = metrics;
    this.prefix = "[node-" + brokerId + "]";
    this.fetchers = new ReplicaFetcherManager(brokerId, addresses, scheduler, metrics);
    long checkEvery = Math.max(10, replicaLagTimeMaxMs / 2);
    this.isrCheck =
        scheduler.scheduleWithFixedDelay(
            this::checkIsr, checkEvery, checkEvery, TimeUnit.MILLISECONDS);
    metrics.underReplicatedPartitions(this::underReplicatedCount);
  }

  public int brokerId() {
    return brokerId;
  }

  BrokerMetrics metrics() {
    return metrics;
  }

  ScheduledExecutorService scheduler() {
    return scheduler;
  }

  long hwOnlyPushDelayMs() {
    return hwOnlyPushDelayMs;
  }

  /** Tests: how long a HW move waits for records to carry it (see FollowerSession). */
  void hwOnlyPushDelayMs(long delayMs) {
    if (delayMs <= 0) {
      throw new IllegalArgumentException("hw-only push delay must be > 0 ms, got " + delayMs);
    }
    this.hwOnlyPushDelayMs = delayMs;
  }

  public int replicaFetchMaxBytes() {
    return fetchers.maxBytes();
  }

  // ------------------------------------------------------------------ role changes

  /** Adds a listener told of every leadership gained or lost from now on. */
  public void addRoleListener(RoleListener listener) {
    roleListeners.add(listener);
  }

  private void fireLeader(PartitionKey key, int leaderEpoch) {
    for (RoleListener l : roleListeners) {
      try {
        l.onBecomeLeader(key, leaderEpoch);
      } catch (RuntimeException e) {
        log.error("{} role listener failed on leadership of {}", prefix, key, e);
      }
    }
  }

  private void fireStopLeading(PartitionKey key) {
    for (RoleListener l : roleListeners) {
      try {
        l.onStopLeading(key);
      } catch (RuntimeException e) {
        log.error("{} role listener failed on losing {}", prefix, key, e);
      }
    }
  }

  /** Leads {@code a} (creating the local log if needed). Idempotent per epoch. */
  public Partition becomeLeader(PartitionAssignment a, LogConfig config) {
    Partition partition = getOrCreate(a.key(), config);
    fetchers.removePartition(a.key());
    boolean newLeadership = partition.becomeLeader(a);
    // Also for a refreshed ISR: the HW may have moved and produces may be waiting for it.
    partition.changed();
    if (newLeadership) {
      fireLeader(a.key(), a.leaderEpoch());
    }
    return partition;
  }

  /** Follows {@code a.leader()}: truncate to where the logs agree, then fetch. */
  public Partition becomeFollower(PartitionAssignment a, LogConfig config) {
    Partition partition = getOrCreate(a.key(), config);
    if (partition.becomeFollower(a)) {
      fetchers.addPartition(partition, a.leader(), a.leaderEpoch());
      fireStopLeading(a.key());
    }
    return partition;
  }

  /** Stops the replica; with {@code delete}, removes its files too (deleted topic). */
  public void stopReplica(PartitionKey key, boolean delete) {
    fetchers.removePartition(key);
    Partition partition = partitions.remove(key);
    if (partition != null) {
      partition.goOffline();
      partition.changed();
      metrics.partitionRemoved(key);
      fireStopLeading(key);
    }
    if (delete) {
      logManager.delete(key.topic(), key.partition());
      log.info("{} deleted replica {}", prefix, key);
    }
  }

  private Partition getOrCreate(PartitionKey key, LogConfig config) {
    return partitions.computeIfAbsent(
        key,
        k -> {
          PartitionLog partitionLog = logManager.getOrCreate(k.topic(), k.partition(), config);
          Partition p =
              new Partition(
                  k,
                  partitionLog,
                  brokerId,
                  clock,
                  replicaLagTimeMaxMs,
                  isrProposer,
                  metrics,
                  this::onStorageFailure);
          metrics.partitionAdded(p);
          return p;
        });
  }

  // ------------------------------------------------------------------ storage failures

  /**
   * Adds a listener told (on the scheduler thread) of every replica whose log failed from now on;
   * the node reports those to the controller so leadership moves to a healthy replica.
   */
  public void addStorageFailureListener(Consumer<PartitionKey> listener) {
    storageFailureListeners.add(listener);
  }

  /** Replicas taken out of service by a log failure (until the node restarts). */
  public List<PartitionKey> failedReplicas() {
    return partitions.values().stream()
        .filter(p -> p.role() == Partition.Role.FAILED)
        .map(Partition::key)
        .toList();
  }

  /** Called by a partition, possibly under its locks: react on the scheduler thread. */
  private void onStorageFailure(Partition partition) {
    try {
      scheduler.execute(() -> stopFailedReplica(partition));
    } catch (RejectedExecutionException e) {
      // closing: nothing left to stop
    }
  }

  private void stopFailedReplica(Partition partition) {
    PartitionKey key = partition.key();
    fetchers.removePartition(key);
    partition.changed();
    fireStopLeading(key);
    for (Consumer<PartitionKey> l : storageFailureListeners) {
      try {
        l.accept(key);
      } catch (RuntimeException e) {
        log.error("{} storage failure listener failed on {}", prefix, key, e);
      }
    }
  }

  public Optional<Partition> partition(PartitionKey key) {
    return Optional.ofNullable(partitions.get(key));
  }

  public Collection<Partition> partitions() {
    return partitions.values();
  }

  /** The hosted replica or UNKNOWN_PARTITION (the service layer turns that into NOT_LEADER). */
  public Partition hosted(String topic, int partition) {
    Partition p = partitions.get(new PartitionKey(topic, partition));
    if (p == null) {
      throw BrokerException.unknownPartition(topic, partition);
    }
    return p;
  }

  // ------------------------------------------------------------------ produce

  /**
   * Appends producer batches to a partition this broker leads. The future completes: acks=0/1 after
   * the local append; acks=-1 once the HW passes the last batch and the leader's own append is
   * durable (flush=group), or fails with REQUEST_TIMED_OUT after {@code timeoutMs}.
   */
  public CompletableFuture<ProduceOutcome> appendRecords(
      String topic, int partitionIndex, ByteBuffer records, int acks, int timeoutMs) {
    if (acks != -1 && acks != 0 && acks != 1) {
      throw BrokerException.invalidRequest("acks must be -1, 0 or 1, got " + acks);
    }
    if (timeoutMs < 0) {
      throw BrokerException.invalidRequest("timeout_ms must be >= 0, got " + timeoutMs);
    }
    Partition partition = hosted(topic, partitionIndex);
    int bytes = records.remaining();
    Partition.LeaderAppend append = partition.appendAsLeader(records, acks);
    LogAppendInfo info = append.info();
    info.durable()
        .whenComplete(
            (ok, failure) -> {
              if (ErrorMapping.unwrap(failure) instanceof LogStorageException e) {
                partition.storageFailed(e);
              }
            });
    partition.changed();
    if (!info.duplicate()) {
      metrics.produced(topic, bytes, info.recordCount());
    }
    ProduceOutcome outcome =
        new ProduceOutcome(info.firstOffset(), info.logAppendTimeMs(), partition.logStartOffset());
    if (acks != -1) {
      return CompletableFuture.completedFuture(outcome);
    }
    CompletableFuture<ProduceOutcome> answer =
        append.replicated().thenCombine(info.durable(), (hw, durable) -> outcome);
    ScheduledFuture<?> timeout =
        scheduler.schedule(
            () ->
                answer.completeExceptionally(
                    new BrokerException(
                        ErrorCode.REQUEST_TIMED_OUT,
                        partition.key()
                            + ": offset "
                            + info.lastOffset()
                            + " not replicated to the isr within "
                            + timeoutMs
                            + " ms")),
            timeoutMs,
            TimeUnit.MILLISECONDS);
    // The scheduler drops cancelled tasks (Broker sets remove-on-cancel): else one timeout per
    // acks=all request would stay queued for timeoutMs after its answer.
    answer.whenComplete((o, e) -> timeout.cancel(false));
    return answer;
  }

  // ------------------------------------------------------------------ fetch

  /** Consumer read: whole batches below the HW from a partition this broker leads. */
  public LogReadInfo readForConsumer(
      String topic, int partitionIndex, long offset, int maxBytes, int leaderEpoch) {
    if (offset < 0) {
      throw BrokerException.invalidRequest("fetch_offset must be >= 0, got " + offset);
    }
    if (maxBytes < 0) {
      throw BrokerException.invalidRequest("max bytes must be >= 0, got " + maxBytes);
    }
    Partition partition = hosted(topic, partitionIndex);
    LogReadInfo info = partition.readForConsumer(offset, maxBytes, leaderEpoch);
    return info;
  }

  // ------------------------------------------------------------------ ISR

  private void checkIsr() {
    for (Partition partition : partitions.values()) {
      try {
        partition.maybeShrinkIsr();
      } catch (RuntimeException e) {
        log.warn("{} isr check of {} failed", prefix, partition.key(), e);
      }
    }
  }

  public int underReplicatedCount() {
    int count = 0;
    for (Partition partition : partitions.values()) {
      if (partition.underReplicated()) {
        count++;
      }
    }
    return count;
  }

  public long nowMs() {
    return clock.millis();
  }

  /** Stops fetchers and the ISR check; the logs are closed by their owner. */
  @Override
  public void close() {
    isrCheck.cancel(false);
    fetchers.close();
    for (Partition partition : partitions.values()) {
      partition.goOffline();
      partition.changed();
    }
  }
}
