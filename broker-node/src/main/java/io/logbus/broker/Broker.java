package io.logbus.broker;

import io.grpc.BindableService;
import io.logbus.log.LogConfig;
import io.logbus.log.LogManager;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * The data plane of a node: its logs, the {@link ReplicaManager}, and one gRPC server carrying the
 * client API, replication and whatever extra services the node adds (admin). Knows nothing of the
 * metadata quorum: leadership comes in through {@link #replicaManager()}, ISR changes go out
 * through the {@link IsrProposer}; {@link LogbusNode} connects both to the quorum, tests connect
 * them to a controller of their own.
 *
 * <p>Threads it owns: one scheduler (timeouts, ISR checks, reconnects) and a small worker pool
 * (gRPC handlers, stream senders); closed in {@link #close()}.
 */
public final class Broker implements AutoCloseable {
  /** What a broker needs from the rest of the node. */
  public record Collaborators(
      ClusterMetadata cluster,
      IsrProposer isrProposer,
      IntFunction<CompletableFuture<Long>> producerIdBlocks,
      BrokerAddresses addresses,
      MeterRegistry registry,
      Clock clock,
      Function<ReplicaManager, List<BindableService>> extraServices) {}

  private final BrokerConfig config;
  private final LogManager logManager;
  private final ReplicaManager replicaManager;
  private final BrokerMetrics metrics;
  private final ScheduledExecutorService scheduler;
  private final ExecutorService workers;
  private final GrpcServer server;
  private final LogConfig topicDefaults;

  private Broker(BrokerConfig config, Collaborators with) {
    this.config = config;
    int id = config.nodeId();
    ScheduledThreadPoolExecutor timers =
        new ScheduledThreadPoolExecutor(1, daemon("broker-" + id + "-scheduler"));
    // Every acks=all produce schedules a timeout and cancels it when answered: drop cancelled ones
    // from the queue at once instead of keeping them for the whole request timeout.
    timers.setRemoveOnCancelPolicy(true);
    this.scheduler = timers;
    AtomicInteger count = new AtomicInteger();
    this.workers =
        Executors.newFixedThreadPool(
            4, r -> daemon("broker-" + id + "-worker-" + count.incrementAndGet()).newThread(r));
    this.metrics = new BrokerMetrics(with.registry());
    this.topicDefaults = LogConfig.fromMap(config.topicDefaults(), LogConfig.defaults());
    LogManager logs = null;
    ReplicaManager replicas = null;
    try {
      logs = LogManager.open(config.logsDir(), topicDefaults, with.clock());
      replicas =
          new ReplicaManager(
              id,
              logs,
              with.clock(),
              scheduler,
              config.replicaLagTimeMaxMs(),
              config.replicaFetchMaxBytes(),
              with.isrProposer(),
              with.addresses(),
              metrics);
      List<BindableService> services = new ArrayList<>();
      services.add(
          new BrokerServiceImpl(
              replicas,
              with.cluster(),
              new ProducerIdManager(id, with.producerIdBlocks()),
              metrics,
              scheduler,
              workers,
              with.clock()));
      services.add(new ReplicationServiceImpl(replicas, workers, config.replicaFetchMaxBytes()));
      services.addAll(with.extraServices().apply(replicas));
      this.server = GrpcServer.start(config.host(), config.port(), services, workers, id);
    } catch (RuntimeException e) {
      if (replicas != null) {
        replicas.close();
      }
      if (logs != null) {
        logs.close();
      }
      shutdownPools();
      throw e;
    }
    this.logManager = logs;
    this.replicaManager = replicas;
  }

  public static Broker start(BrokerConfig config, Collaborators with) {
    return new Broker(config, with);
  }

  public int id() {
    return config.nodeId();
  }

  public int port() {
    return server.port();
  }

  public String address() {
    return config.host() + ":" + server.port();
  }

  public ReplicaManager replicaManager() {
    return replicaManager;
  }

  public LogManager logManager() {
    return logManager;
  }

  public BrokerMetrics metrics() {
    return metrics;
  }

  /** Topic configs as the node's defaults overridden by a topic's own settings. */
  public LogConfig topicConfig(java.util.Map<String, String> overrides) {
    return LogConfig.fromMap(overrides, topicDefaults);
  }

  ScheduledExecutorService scheduler() {
    return scheduler;
  }

  /** Stops serving (grace period for running calls), stops replication, closes the logs. */
  @Override
  public void close() {
    server.close(1_000);
    replicaManager.close();
    shutdownPools();
    logManager.close();
  }

  private void shutdownPools() {
    scheduler.shutdownNow();
    workers.shutdownNow();
    try {
      scheduler.awaitTermination(5, TimeUnit.SECONDS);
      workers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
