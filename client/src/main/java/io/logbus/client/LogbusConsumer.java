package io.logbus.client;

import io.logbus.proto.ErrorCode;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads records from partitions, shaped like Kafka's consumer: assigned by hand ({@link #assign})
 * or by the group's coordinator ({@link #subscribe}, with a group.id; see {@link
 * ConsumerCoordinator}: heartbeats run on a background thread, rebalance listeners inside poll).
 * Each partition has a position: the offset of the next record {@link #poll} returns. Fetches go to
 * the current leader of each partition, one call per leader broker; after a leader change (an error
 * code, or an unreachable broker) the consumer refreshes metadata and fetches the same position
 * from the new leader, so records are neither lost nor repeated. Batches may start below the
 * position; records below it are skipped.
 *
 * <p>Not thread-safe, like Kafka's consumer: one thread uses it.
 */
public final class LogbusConsumer implements AutoCloseable {
  private final ConsumerConfig config;
  private final Clock clock;
  private final BrokerChannels channels = new BrokerChannels();
  private final MetadataManager metadata;
  private final String prefix;
  private final Map<TopicPartition, ConsumerPartitionState> assigned = new LinkedHashMap<>();
  private final Fetcher fetcher;
  private final OffsetLister lister;
  private final ConsumerCoordinator group; // null without a group.id
  private boolean closed;

  private LogbusConsumer(ConsumerConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
    this.prefix = "[consumer " + config.clientId() + "]";
    this.metadata =
        new MetadataManager(
            config.clientId(),
            config.bootstrapServers(),
            channels,
            config.requestTimeoutMs(),
            config.retryBackoffMs(),
            clock);
    this.fetcher = new Fetcher(config, clock, metadata, prefix, assigned);
    this.lister = new OffsetLister(config, clock, metadata, prefix);
    this.group =
        config.groupId() == null
            ? null
            : new ConsumerCoordinator(config, metadata, clock, new GroupPartitions());
  }

  public static Builder builder() {
    return new Builder();
  }

  public ConsumerConfig config() {
    return config;
  }

  // ------------------------------------------------------------------ assignment and positions

  /** Replaces the assignment; partitions kept keep their position, new ones start unset. */
  public void assign(Collection<TopicPartition> partitions) {
    ensureOpen();
    if (subscribed()) {
      throw new IllegalStateException(
          "assign on a consumer subscribed to " + group.subscription() + ": unsubscribe first");
    }
    Map<TopicPartition, ConsumerPartitionState> next = new LinkedHashMap<>();
    for (TopicPartition tp : partitions) {
      next.put(tp, assigned.getOrDefault(tp, new ConsumerPartitionState()));
    }
    assigned.clear();
    assigned.putAll(next);
  }

  // ------------------------------------------------------------------ consumer group

  /** Joins the group (group.id) for these topics; the coordinator assigns their partitions. */
  public void subscribe(Collection<String> topics) {
    subscribe(topics, null);
  }

  /**
   * Joins the group for these topics, replacing an earlier subscription; the listener hears of
   * every partition moved to or from this consumer, on this thread inside poll.
   *
   * @throws ConfigException without a group.id
   * @throws IllegalArgumentException for no topics or a blank topic name
   * @throws IllegalStateException after {@link #assign} with partitions
   */
  public void subscribe(Collection<String> topics, ConsumerRebalanceListener listener) {
    ensureOpen();
    requireGroup("subscribe");
    if (topics == null || topics.isEmpty()) {
      throw new IllegalArgumentException(
          "subscribe needs at least one topic (unsubscribe to stop)");
    }
    for (String t : topics) {
      if (t == null || t.isBlank()) {
        throw new IllegalArgumentException("blank topic name in subscription " + topics);
      }
    }
    if (!subscribed() && !assigned.isEmpty()) {
      throw new IllegalStateException(
          "subscribe on a consumer assigned " + assigned.keySet() + ": assign(empty) first");
    }
    group.subscribe(topics, listener);
  }

  /** Revokes this consumer's partitions (listener, auto commit) and leaves the group. */
  public void unsubscribe() {
    ensureOpen();
    if (subscribed()) {
      group.unsubscribe(config.requestTimeoutMs());
    }
    assigned.clear();
  }

  /** The subscribed topics; empty when not subscribed. */
  public Set<String> subscription() {
    return group == null ? Set.of() : group.subscription();
  }

  /** Commits the positions of every assigned partition and waits (default.api.timeout.ms). */
  public void commitSync() {
    commitSync(positions());
  }

  /** Commits these offsets (each the next offset to consume) and waits. */
  public void commitSync(Map<TopicPartition, Long> offsets) {
    ensureOpen();
    requireGroup("commitSync");
    group.commitSync(offsets);
  }

  public void commitAsync() {
    commitAsync(null);
  }

  /** Commits the positions in the background; the callback runs inside a later poll. */
  public void commitAsync(OffsetCommitCallback callback) {
    ensureOpen();
    requireGroup("commitAsync");
    group.commitAsync(positions(), callback);
  }

  /** The group's committed offsets of the partitions; a partition without one is absent. */
  public Map<TopicPartition, Long> committed(Set<TopicPartition> partitions) {
    ensureOpen();
    requireGroup("committed");
    return group.committed(partitions);
  }

  /** The member id the coordinator gave this consumer; "" before joining or without a group. */
  public String memberId() {
    return group == null ? "" : group.memberId();
  }

  /** The member epoch; 0 while joining, -1 without a group. */
  public int memberEpoch() {
    return group == null ? -1 : group.memberEpoch();
  }

  private boolean subscribed() {
    return group != null && group.subscribed();
  }

  private void requireGroup(String what) {
    if (group == null) {
      throw new ConfigException("group.id", null, what + " needs a consumer group");
    }
  }

  private Map<TopicPartition, Long> positions() {
    Map<TopicPartition, Long> out = new LinkedHashMap<>();
    assigned.forEach(
        (tp, s) -> {
          if (s.position != null) {
            out.put(tp, s.position);
          }
        });
    return out;
  }

  /** The fetch state as the group coordinator changes it (on this thread, inside poll). */
  private final class GroupPartitions implements ConsumerCoordinator.Partitions {
    @Override
    public Map<TopicPartition, Long> positions() {
      return LogbusConsumer.this.positions();
    }

    @Override
    public void add(Collection<TopicPartition> partitions, Map<TopicPartition, Long> committed) {
      for (TopicPartition tp : partitions) {
        ConsumerPartitionState s = new ConsumerPartitionState();
        s.position = committed.get(tp);
        assigned.put(tp, s);
      }
    }

    @Override
    public void remove(Collection<TopicPartition> partitions) {
      partitions.forEach(assigned::remove);
    }
  }

  public Set<TopicPartition> assignment() {
    return Set.copyOf(assigned.keySet());
  }

  public void seek(TopicPartition tp, long offset) {
    if (offset < 0) {
      throw new IllegalArgumentException("seek offset " + offset + " for " + tp + " < 0");
    }
    ConsumerPartitionState s = state(tp);
    s.position = offset;
    s.pendingReset = null;
    s.buffered.clear();
  }

  public void seekToBeginning(Collection<TopicPartition> partitions) {
    for (TopicPartition tp : partitions) {
      requestReset(tp, OffsetResetStrategy.EARLIEST);
    }
  }

  public void seekToEnd(Collection<TopicPartition> partitions) {
    for (TopicPartition tp : partitions) {
      requestReset(tp, OffsetResetStrategy.LATEST);
    }
  }

  private void requestReset(TopicPartition tp, OffsetResetStrategy strategy) {
    state(tp).reset(strategy);
  }

  /** The offset of the next record poll returns; resolves a pending seek if needed (bounded). */
  public long position(TopicPartition tp) {
    ConsumerPartitionState s = state(tp);
    if (s.position == null) {
      resolvePositions(clock.millis() + config.defaultApiTimeoutMs(), true);
    }
    if (s.position == null) {
      throw new ClientTimeoutException(
          "no position for " + tp + " within " + config.defaultApiTimeoutMs() + " ms");
    }
    return s.position;
  }

  public void pause(Collection<TopicPartition> partitions) {
    partitions.forEach(tp -> state(tp).paused = true);
  }

  public void resume(Collection<TopicPartition> partitions) {
    partitions.forEach(tp -> state(tp).paused = false);
  }

  public Set<TopicPartition> paused() {
    Set<TopicPartition> out = new java.util.TreeSet<>();
    assigned.forEach(
        (tp, s) -> {
          if (s.paused) {
            out.add(tp);
          }
        });
    return out;
  }

  /** First offsets (log start) of the partitions, from their leaders. */
  public Map<TopicPartition, Long> beginningOffsets(Collection<TopicPartition> partitions) {
    return listOffsets(partitions, -2, clock.millis() + config.defaultApiTimeoutMs());
  }

  /** End offsets (high watermarks: what consumers can read) of the partitions. */
  public Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions) {
    return listOffsets(partitions, -1, clock.millis() + config.defaultApiTimeoutMs());
  }

  /** Partition count of a topic from metadata; fails with UNKNOWN_TOPIC if it does not exist. */
  public int partitionCount(String topic) {
    ensureOpen();
    Cluster c = metadata.refresh();
    int n = c.partitionCount(topic);
    if (n < 0) {
      throw ApiException.of(ErrorCode.UNKNOWN_TOPIC, "", topic);
    }
    return n;
  }

  private ConsumerPartitionState state(TopicPartition tp) {
    ensureOpen();
    ConsumerPartitionState s = assigned.get(tp);
    if (s == null) {
      throw new IllegalStateException("partition " + tp + " is not assigned to this consumer");
    }
    return s;
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("the consumer is closed");
    }
  }

  // ------------------------------------------------------------------ poll

  /**
   * Returns the next records of the unpaused assigned partitions (at most max.poll.records),
   * waiting up to {@code timeout} for some to arrive; empty if none came in time.
   */
  public List<ConsumerRecord> poll(Duration timeout) {
    ensureOpen();
    boolean grouped = subscribed();
    if (!grouped && assigned.isEmpty()) {
      throw new IllegalStateException("poll without an assignment: call assign or subscribe first");
    }
    long deadline = clock.millis() + Math.max(0, timeout.toMillis());
    while (true) {
      if (grouped) {
        group.poll(); // listeners and new assignments, before records of revoked partitions
      }
      List<ConsumerRecord> ready = drainBuffered();
      if (!ready.isEmpty()) {
        return ready;
      }
      resolvePositions(deadline, false);
      long remaining = deadline - clock.millis();
      boolean fetched = fetcher.fetchOnce(Math.max(0, remaining));
      if (grouped) {
        group.poll();
      }
      ready = drainBuffered();
      if (!ready.isEmpty() || clock.millis() >= deadline) {
        return ready;
      }
      if (!fetched) {
        // Nothing could be fetched (no leader known, broker down): back off before retrying.
        Futures.sleep(Math.min(config.retryBackoffMs(), deadline - clock.millis()));
      }
    }
  }

  private List<ConsumerRecord> drainBuffered() {
    List<ConsumerRecord> out = new ArrayList<>();
    for (Map.Entry<TopicPartition, ConsumerPartitionState> e : assigned.entrySet()) {
      ConsumerPartitionState s = e.getValue();
      if (s.paused) {
        continue;
      }
      while (!s.buffered.isEmpty() && out.size() < config.maxPollRecords()) {
        ConsumerRecord r = s.buffered.pollFirst();
        out.add(r);
        s.position = r.offset() + 1;
      }
      if (s.buffered.isEmpty() && s.positionAfterBuffer >= 0) {
        s.position = Math.max(s.position, s.positionAfterBuffer);
        s.positionAfterBuffer = -1;
      }
      if (out.size() >= config.maxPollRecords()) {
        break;
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ offsets

  /** Resolves positions of partitions that need a seek to beginning/end (or an initial reset). */
  private void resolvePositions(long deadline, boolean untilDone) {
    List<TopicPartition> earliest = new ArrayList<>();
    List<TopicPartition> latest = new ArrayList<>();
    Set<TopicPartition> none = new java.util.TreeSet<>();
    assigned.forEach(
        (tp, s) -> {
          if (s.position == null) {
            OffsetResetStrategy strategy =
                s.pendingReset != null ? s.pendingReset : config.autoOffsetReset();
            switch (strategy) {
              case EARLIEST -> earliest.add(tp);
              case LATEST -> latest.add(tp);
              case NONE -> none.add(tp);
            }
          }
        });
    if (!none.isEmpty()) {
      throw new NoOffsetForPartitionException(none);
    }
    long bound =
        untilDone ? deadline : Math.min(deadline, clock.millis() + config.requestTimeoutMs());
    if (!earliest.isEmpty()) {
      applyPositions(lister.tryListOffsets(earliest, -2, bound, subscribed()));
    }
    if (!latest.isEmpty()) {
      applyPositions(lister.tryListOffsets(latest, -1, bound, subscribed()));
    }
  }

  private void applyPositions(Map<TopicPartition, Long> offsets) {
    offsets.forEach(
        (tp, offset) -> {
          ConsumerPartitionState s = assigned.get(tp);
          s.position = offset;
          s.pendingReset = null;
        });
  }

  private Map<TopicPartition, Long> listOffsets(
      Collection<TopicPartition> partitions, long timestamp, long deadline) {
    ensureOpen();
    Map<TopicPartition, Long> out = lister.tryListOffsets(partitions, timestamp, deadline, false);
    if (out.size() < partitions.size()) {
      throw new ClientTimeoutException(
          "could not list offsets of "
              + partitions.stream().filter(tp -> !out.containsKey(tp)).toList()
              + " within "
              + config.defaultApiTimeoutMs()
              + " ms");
    }
    return out;
  }

  /**
   * Commits (auto commit on) and leaves the group, bounded by min(default.api.timeout.ms, 30 s),
   * then closes the connections.
   */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      try {
        if (group != null) {
          group.close();
        }
      } finally {
        channels.close();
      }
    }
  }

  /** Builds a {@link LogbusConsumer}; defaults are Kafka's consumer defaults. */
  public static final class Builder {
    private String bootstrap;
    private String clientId = "consumer";
    private int fetchMinBytes = 1;
    private int fetchMaxWaitMs = 500;
    private int fetchMaxBytes = 52_428_800;
    private int maxPartitionFetchBytes = 1_048_576;
    private int maxPollRecords = 500;
    private OffsetResetStrategy reset = OffsetResetStrategy.LATEST;
    private long requestTimeoutMs = 30_000;
    private long retryBackoffMs = 100;
    private long defaultApiTimeoutMs = 60_000;
    private Clock clock = Clock.systemUTC();
    private String groupId;
    private Boolean enableAutoCommit;
    private int autoCommitIntervalMs = 5_000;
    private String groupRemoteAssignor = "uniform";
    private long sessionTimeoutMs = 45_000;

    /** group.id: needed to subscribe and to commit. */
    public Builder groupId(String groupId) {
      this.groupId = groupId;
      return this;
    }

    /** enable.auto.commit: default true when a group is set, as Kafka. */
    public Builder enableAutoCommit(boolean enable) {
      this.enableAutoCommit = enable;
      return this;
    }

    public Builder autoCommitIntervalMs(int ms) {
      this.autoCommitIntervalMs = ms;
      return this;
    }

    /** group.remote.assignor: "uniform" (sticky, the default) or "range". */
    public Builder groupRemoteAssignor(String assignor) {
      this.groupRemoteAssignor = assignor;
      return this;
    }

    /** How long without an answered heartbeat before the member gives its partitions up. */
    public Builder sessionTimeoutMs(long ms) {
      this.sessionTimeoutMs = ms;
      return this;
    }

    public Builder bootstrapServers(String servers) {
      this.bootstrap = servers;
      return this;
    }

    public Builder clientId(String id) {
      this.clientId = id;
      return this;
    }

    public Builder fetchMinBytes(int bytes) {
      this.fetchMinBytes = bytes;
      return this;
    }

    public Builder fetchMaxWaitMs(int ms) {
      this.fetchMaxWaitMs = ms;
      return this;
    }

    public Builder fetchMaxBytes(int bytes) {
      this.fetchMaxBytes = bytes;
      return this;
    }

    public Builder maxPartitionFetchBytes(int bytes) {
      this.maxPartitionFetchBytes = bytes;
      return this;
    }

    public Builder maxPollRecords(int n) {
      this.maxPollRecords = n;
      return this;
    }

    public Builder autoOffsetReset(OffsetResetStrategy strategy) {
      this.reset = strategy;
      return this;
    }

    public Builder requestTimeoutMs(long ms) {
      this.requestTimeoutMs = ms;
      return this;
    }

    public Builder retryBackoffMs(long ms) {
      this.retryBackoffMs = ms;
      return this;
    }

    public Builder defaultApiTimeoutMs(long ms) {
      this.defaultApiTimeoutMs = ms;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    public LogbusConsumer build() {
      if (bootstrap == null) {
        throw new ConfigException("bootstrap.servers", null, "required");
      }
      return new LogbusConsumer(
          new ConsumerConfig(
              HostPort.parseList("bootstrap.servers", bootstrap),
              clientId,
              fetchMinBytes,
              fetchMaxWaitMs,
              fetchMaxBytes,
              maxPartitionFetchBytes,
              maxPollRecords,
              reset,
              requestTimeoutMs,
              retryBackoffMs,
              defaultApiTimeoutMs,
              groupId,
              enableAutoCommit != null ? enableAutoCommit : groupId != null,
              autoCommitIntervalMs,
              groupRemoteAssignor,
              sessionTimeoutMs),
          clock);
    }
  }
}
