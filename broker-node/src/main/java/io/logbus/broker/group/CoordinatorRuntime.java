package io.logbus.broker.group;

import io.logbus.broker.ImageClusterMetadata;
import io.logbus.broker.Partition;
import io.logbus.broker.PartitionKey;
import io.logbus.broker.ReplicaManager;
import io.logbus.broker.RoleListener;
import io.logbus.group.GroupConfig;
import io.logbus.group.GroupCoordinator;
import io.logbus.metadata.BrokerRegistration;
import io.logbus.metadata.Controller;
import io.logbus.metadata.MetadataImage;
import io.logbus.metadata.PartitionState;
import io.logbus.metadata.TopicImage;
import io.logbus.proto.BrokerInfo;
import io.logbus.proto.CreateTopicsRequest;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.TopicResult;
import io.logbus.proto.TopicSpec;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs this broker's {@link GroupCoordinator}: loads a {@code __consumer_offsets} partition when
 * the broker becomes its leader and unloads it when it stops leading (a {@link RoleListener} on the
 * replica manager), keeps the coordinator's topic partition counts in step with the metadata image,
 * calls {@code tick()} every second, creates {@code __consumer_offsets} through the controller on
 * first use, and answers which broker leads a given offsets partition.
 *
 * <p>Threads: role changes arrive on the metadata dispatch thread and are handed, in order, to one
 * thread of its own ({@code node-N-groups}), which also replays partitions, completes offsets-log
 * futures and ticks. Every public method may be called from any thread.
 */
public final class CoordinatorRuntime implements RoleListener, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CoordinatorRuntime.class);
  private static final int APPEND_TIMEOUT_MS = 5_000;
  private static final long TICK_MS = 1_000;

  private final GroupConfig config;
  private final ReplicaManager replicas;
  private final Supplier<MetadataImage> images;
  private final Controller controller;
  private final ScheduledExecutorService thread;
  private final LeaderPartitionOffsets partitionOffsets;
  private final GroupCoordinator coordinator;
  private final ScheduledFuture<?> ticks;
  private final String prefix;
  // Loads this runtime started, by partition: a second loadPartition while one runs would replay
  // twice, so only the tick retries, and only a load that failed.
  private final Map<Integer, CompletableFuture<Void>> loads = new ConcurrentHashMap<>();
  private final AtomicReference<CompletableFuture<?>> creating = new AtomicReference<>();
  private long topicsSeenAt = Long.MIN_VALUE;

  public CoordinatorRuntime(
      GroupConfig config,
      ReplicaManager replicas,
      ImageClusterMetadata cluster,
      Supplier<MetadataImage> images,
      Controller controller,
      Clock clock) {
    this.config = config;
    this.replicas = replicas;
    this.images = images;
    this.controller = controller;
    this.prefix = "[node-" + replicas.brokerId() + "]";
    this.thread =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "node-" + replicas.brokerId() + "-groups");
              t.setDaemon(true);
              return t;
            });
    this.partitionOffsets = new LeaderPartitionOffsets(replicas, cluster, cluster, thread);
    this.coordinator =
        new GroupCoordinator(
            config,
            new ReplicatedOffsetsLog(replicas, thread, APPEND_TIMEOUT_MS),
            partitionOffsets,
            clock);
    replicas.addRoleListener(this);
    this.ticks = thread.scheduleWithFixedDelay(this::tick, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
  }

  public GroupCoordinator coordinator() {
    return coordinator;
  }

  public LeaderPartitionOffsets partitionOffsets() {
    return partitionOffsets;
  }

  // ------------------------------------------------------------------ leadership

  @Override
  public void onBecomeLeader(PartitionKey key, int leaderEpoch) {
    if (isOffsetsPartition(key)) {
      submit(() -> load(key.partition()));
    }
  }

  @Override
  public void onStopLeading(PartitionKey key) {
    if (isOffsetsPartition(key)) {
      submit(
          () -> {
            loads.remove(key.partition());
            coordinator.unloadPartition(key.partition());
          });
    }
  }

  private void submit(Runnable task) {
    try {
      thread.execute(task);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing: the node stops serving groups anyway
    }
  }

  /** Whether {@code key} is a partition this coordinator serves (the tick asks, silently). */
  private boolean servesPartition(PartitionKey key) {
    return key.topic().equals(GroupConfig.OFFSETS_TOPIC)
        && key.partition() < config.offsetsTopicPartitions();
  }

  private boolean isOffsetsPartition(PartitionKey key) {
    if (!key.topic().equals(GroupConfig.OFFSETS_TOPIC)) {
      return false;
    }
    if (key.partition() >= config.offsetsTopicPartitions()) {
      // The topic was created with more partitions than this broker's setting: groups map to
      // hash mod offsets.topic.num.partitions, so the extra partitions hold no group of ours.
      log.warn(
          "{} {} is beyond offsets.topic.num.partitions={}; not serving it",
          prefix,
          key,
          config.offsetsTopicPartitions());
      return false;
    }
    return true;
  }

  /** On the groups thread. */
  private void load(int partition) {
    CompletableFuture<Void> running = loads.get(partition);
    if (running != null && !running.isCompletedExceptionally()) {
      return;
    }
    refreshTopics();
    CompletableFuture<Void> load = coordinator.loadPartition(partition);
    loads.put(partition, load);
    load.whenComplete(
        (ok, failure) -> {
          if (failure == null) {
            log.info("{} {}-{} loaded", prefix, GroupConfig.OFFSETS_TOPIC, partition);
          }
        });
  }

  /** On the groups thread: partition counts, failed loads retried, then the coordinator's tick. */
  private void tick() {
    try {
      refreshTopics();
      for (Partition p : replicas.partitions()) {
        if (p.role() == Partition.Role.LEADER && servesPartition(p.key())) {
          load(p.key().partition());
        }
      }
      coordinator.tick();
    } catch (RuntimeException e) {
      log.error("{} group coordinator tick failed", prefix, e);
    }
  }

  /** Tells the coordinator the topics' partition counts if the metadata moved since last time. */
  public synchronized void refreshTopics() {
    MetadataImage image = images.get();
    if (image.lastAppliedIndex() == topicsSeenAt) {
      return;
    }
    Map<String, Integer> counts = new HashMap<>();
    for (TopicImage t : image.topics().values()) {
      counts.put(t.name(), t.partitionCount());
    }
    coordinator.onTopicMetadata(counts);
    topicsSeenAt = image.lastAppliedIndex();
  }

  // ------------------------------------------------------------------ offsets topic

  /**
   * Whether {@code __consumer_offsets} exists; if not, asks the controller to create it (once at a
   * time) with cleanup.policy=compact, offsets.topic.num.partitions partitions and replication
   * factor min(3, live brokers). TOPIC_ALREADY_EXISTS is success: another broker won the race.
   */
  public boolean ensureOffsetsTopic() {
    MetadataImage image = images.get();
    if (image.topics().containsKey(GroupConfig.OFFSETS_TOPIC)) {
      return true;
    }
    CompletableFuture<?> mine = new CompletableFuture<>();
    if (!creating.compareAndSet(null, mine)) {
      return false;
    }
    int live = Math.max(1, image.liveBrokerIds().size());
    int rf = Math.min(3, live);
    log.info(
        "{} creating {} with {} partitions, replication factor {}",
        prefix,
        GroupConfig.OFFSETS_TOPIC,
        config.offsetsTopicPartitions(),
        rf);
    CompletableFuture<io.logbus.proto.CreateTopicsResponse> created;
    try {
      created =
          controller.createTopics(
              CreateTopicsRequest.newBuilder()
                  .addTopics(
                      TopicSpec.newBuilder()
                          .setName(GroupConfig.OFFSETS_TOPIC)
                          .setPartitions(config.offsetsTopicPartitions())
                          .setReplicationFactor(rf)
                          .putConfigs("cleanup.policy", "compact"))
                  .build());
    } catch (RuntimeException e) {
      created = CompletableFuture.failedFuture(e);
    }
    created.whenComplete(
        (response, failure) -> {
          creating.set(null);
          if (failure != null) {
            log.warn(
                "{} creating {} failed: {}", prefix, GroupConfig.OFFSETS_TOPIC, failure.toString());
            return;
          }
          for (TopicResult r : response.getTopicsList()) {
            if (r.getError() != ErrorCode.NONE && r.getError() != ErrorCode.TOPIC_ALREADY_EXISTS) {
              log.warn(
                  "{} creating {} failed: {} {}",
                  prefix,
                  GroupConfig.OFFSETS_TOPIC,
                  r.getError(),
                  r.getErrorMessage());
            }
          }
        });
    return false;
  }

  /** The leader of {@code __consumer_offsets-partition} with its address, or null if none. */
  public BrokerInfo leaderOf(int partition) {
    MetadataImage image = images.get();
    TopicImage t = image.topics().get(GroupConfig.OFFSETS_TOPIC);
    if (t == null || partition >= t.partitionCount()) {
      return null;
    }
    PartitionState p = t.partition(partition);
    if (p.leader() < 0) {
      return null;
    }
    BrokerRegistration b = image.brokers().get(p.leader());
    if (b == null) {
      return null;
    }
    return BrokerInfo.newBuilder()
        .setId(b.id())
        .setHost(b.host())
        .setPort(b.port())
        .setFenced(b.fenced())
        .build();
  }

  @Override
  public void close() {
    ticks.cancel(false);
    // shutdown, not shutdownNow: an interrupt during a segment read would close the log's
    // FileChannel (ClosedByInterruptException) under the broker, which still has to flush it.
    thread.shutdown();
    try {
      if (!thread.awaitTermination(5, TimeUnit.SECONDS)) {
        log.warn("{} groups thread still busy after 5 s; leaving it", prefix);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    partitionOffsets.close();
  }
}
