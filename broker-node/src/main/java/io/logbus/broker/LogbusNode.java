package io.logbus.broker;

import io.logbus.broker.group.CoordinatorRuntime;
import io.logbus.broker.group.GroupServiceImpl;
import io.logbus.group.GroupConfig;
import io.logbus.metadata.Controller;
import io.logbus.metadata.HeartbeatResult;
import io.logbus.metadata.MetadataQuorum;
import io.logbus.metadata.QuorumConfig;
import io.logbus.proto.ErrorCode;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One logbus node: its metadata quorum member, its broker (logs, replication, client and admin
 * gRPC) and its HTTP port, wired together. Committed metadata drives replica roles through a {@link
 * MetadataApplier}; ISR changes and producer-id blocks go to the controller. The node registers
 * itself, heartbeats (broker epoch), re-registers if its epoch goes stale, and is ready once
 * registered, unfenced and caught up with the metadata committed at its last heartbeat. A node
 * whose id is not among {@code quorum.voters} is a broker only: it follows the voters' log over
 * their watch stream and sends its controller requests to the group from outside. {@link #close()}
 * is a controlled shutdown.
 *
 * <p>Threads: the quorum's dispatch thread applies metadata; one scheduler thread runs registration
 * and heartbeats; the broker owns its own pools. {@link #close()} stops all of them.
 */
public final class LogbusNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LogbusNode.class);

  private final BrokerConfig config;
  private final MetadataQuorum quorum;
  private final Broker broker;
  private final MetadataApplier applier;
  private final HttpEndpoint http;
  private final CoordinatorRuntime groups;
  private final ScheduledExecutorService heartbeats;
  private final String incarnationId = UUID.randomUUID().toString();
  private final String prefix;
  private volatile long brokerEpoch = -1;
  private volatile long requiredMetadataIndex = Long.MAX_VALUE;
  private volatile boolean fenced = true;
  private volatile boolean closed;
  // Set when a graceful stop begins: no more heartbeats (one would unfence the broker again).
  private volatile boolean stopping;
  private volatile CompletableFuture<?> heartbeatInFlight = CompletableFuture.completedFuture(null);

  /** Bound of the controlled shutdown; within deploy/local/cluster.sh's 20 s before SIGKILL. */
  static final Duration CONTROLLED_SHUTDOWN_TIMEOUT = Duration.ofSeconds(15);

  private LogbusNode(BrokerConfig config, GroupConfig groupConfig) {
    this.config = config;
    this.prefix = "[node-" + config.nodeId() + "]";
    String voters =
        config.quorumVoters().entrySet().stream()
            .map(e -> e.getKey() + "@" + e.getValue())
            .collect(Collectors.joining(","));
    Clock clock = Clock.systemUTC();
    QuorumConfig quorumConfig =
        QuorumConfig.builder()
            .nodeId(config.nodeId())
            .quorumDir(config.quorumDir())
            .voters(voters)
            .clock(clock)
            .brokerSessionTimeout(java.time.Duration.ofMillis(config.sessionTimeoutMs()))
            .build();
    this.quorum = MetadataQuorum.start(quorumConfig);
    Broker started = null;
    HttpEndpoint endpoint = null;
    // Built inside the broker's service factory (it needs the replica manager); kept for close().
    AtomicReference<CoordinatorRuntime> groupRuntime = new AtomicReference<>();
    try {
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      ImageClusterMetadata cluster =
          new ImageClusterMetadata(quorum::image, quorumConfig.clusterId());
      Controller controller = quorum.controller();
      started =
          Broker.start(
              config,
              new Broker.Collaborators(
                  cluster,
                  (current, newIsr) ->
                      controller
                          .alterPartition(
                              current.topic(),
                              current.partition(),
                              current.leader(),
                              current.leaderEpoch(),
                              current.partitionEpoch(),
                              newIsr)
                          .thenApply(p -> ImageClusterMetadata.assignment(current.topic(), p)),
                  count -> controller.allocateProducerIds(config.nodeId(), count),
                  cluster,
                  registry,
                  clock,
                  replicas -> {
                    CoordinatorRuntime runtime =
                        new CoordinatorRuntime(
                            groupConfig, replicas, cluster, quorum::image, controller, clock);
                    groupRuntime.set(runtime);
                    return List.of(
                        new GroupServiceImpl(runtime),
                        new AdminServiceImpl(
                            controller,
                            quorum::image,
                            quorum::linearizableImage,
                            replicas,
                            cluster,
                            io.logbus.log.LogConfig.fromMap(
                                config.topicDefaults(), io.logbus.log.LogConfig.defaults()),
                            quorumConfig.clusterId(),
                            Runnable::run));
                  }));
      this.broker = started;
      this.groups = groupRuntime.get();
      this.applier = new MetadataApplier(started, incarnationId);
      quorum.subscribe(-1, applier);
      if (config.httpPort() >= 0) {
        endpoint =
            HttpEndpoint.start(
                config.host(), config.httpPort(), registry, this::ready, config.nodeId());
      }
      this.http = endpoint;
    } catch (RuntimeException e) {
      if (groupRuntime.get() != null) {
        groupRuntime.get().close();
      }
      if (started != null) {
        started.close();
      }
      quorum.close();
      throw e;
    }
    this.heartbeats =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "node-" + config.nodeId() + "-heartbeat");
              t.setDaemon(true);
              return t;
            });
    heartbeats.execute(this::register);
  }

  /** Starts the quorum member, the broker and the HTTP port; registration continues behind. */
  public static LogbusNode start(BrokerConfig config) {
    return new LogbusNode(config, GroupConfig.defaults());
  }

  /** With consumer-group settings (offsets.topic.num.partitions, session timeout, ...). */
  public static LogbusNode start(BrokerConfig config, GroupConfig groupConfig) {
    return new LogbusNode(config, groupConfig);
  }

  public int id() {
    return config.nodeId();
  }

  public int port() {
    return broker.port();
  }

  public int httpPort() {
    return http == null ? -1 : http.port();
  }

  public Broker broker() {
    return broker;
  }

  public MetadataQuorum quorum() {
    return quorum;
  }

  /** Registered, unfenced, and applied the metadata the controller had at the last heartbeat. */
  public boolean ready() {
    // The local image's index, not the applier's: Raft no-op and configuration entries advance
    // the former and never reach listeners.
    return brokerEpoch >= 0
        && !fenced
        && quorum.image().lastAppliedIndex() >= requiredMetadataIndex;
  }

  private void register() {
    if (closed || stopping) {
      return;
    }
    quorum
        .controller()
        .registerBroker(config.nodeId(), config.host(), broker.port(), incarnationId)
        .whenComplete(
            (epoch, failure) -> {
              if (failure != null) {
                log.debug(
                    "{} registration failed, retrying: {}", prefix, ErrorMapping.message(failure));
                schedule(this::register, 200);
                return;
              }
              brokerEpoch = epoch;
              log.info("{} registered with broker epoch {}", prefix, epoch);
              schedule(this::heartbeat, 0);
            });
  }

  private void heartbeat() {
    if (closed || stopping) {
      return;
    }
    long epoch = brokerEpoch;
    CompletableFuture<HeartbeatResult> result =
        quorum.controller().heartbeat(config.nodeId(), epoch);
    heartbeatInFlight = result;
    result.whenComplete(
        (ok, failure) -> {
          // Whatever happens here, the loop goes on: a node whose heartbeats stopped would be
          // fenced and never become ready again.
          long next = config.heartbeatIntervalMs();
          try {
            if (failure != null) {
              ErrorCode code = ErrorMapping.code(failure);
              if (code == ErrorCode.STALE_BROKER_EPOCH || code == ErrorCode.BROKER_NOT_AVAILABLE) {
                log.warn("{} broker epoch {} is stale; registering again", prefix, epoch);
                brokerEpoch = -1;
                fenced = true;
                schedule(this::register, 0);
                return;
              }
              log.debug("{} heartbeat failed: {}", prefix, ErrorMapping.message(failure));
            } else {
              fenced = ok.fenced();
              requiredMetadataIndex = Math.min(requiredMetadataIndex, ok.metadataIndex());
            }
          } catch (RuntimeException e) {
            log.error("{} handling a heartbeat answer failed", prefix, e);
          }
          schedule(this::heartbeat, next);
        });
  }

  /**
   * Kafka's controlled shutdown: asks the controller to move leadership of every partition this
   * broker leads to another ISR member and to fence it (one committed entry), then waits until this
   * node has applied that, so its replicas are followers before the broker stops. Heartbeats stop
   * first and the one in flight is awaited: a heartbeat reaching the controller after the fence
   * would unfence the broker again. Bounded by {@link #CONTROLLED_SHUTDOWN_TIMEOUT}; after that the
   * node stops anyway (the session timeout then does the same, later).
   */
  private void controlledShutdown() {
    stopping = true;
    long epoch = brokerEpoch;
    if (epoch < 0) {
      return;
    }
    if (quorum.image().liveBrokerIds().stream().noneMatch(id -> id != config.nodeId())) {
      // The last live broker (say, the end of a whole-cluster stop): nobody to hand over to, and
      // the quorum may already be gone; waiting out the bound would only slow the stop down.
      log.info("{} no other live broker: stopping without a controlled shutdown", prefix);
      return;
    }
    long started = System.nanoTime();
    long deadline = started + CONTROLLED_SHUTDOWN_TIMEOUT.toNanos();
    try {
      heartbeatInFlight.handle((x, e) -> null).get(remainingMs(deadline), TimeUnit.MILLISECONDS);
      int offline =
          quorum
              .controller()
              .controlledShutdown(config.nodeId(), epoch)
              .get(remainingMs(deadline), TimeUnit.MILLISECONDS);
      quorum.linearizableImage().get(remainingMs(deadline), TimeUnit.MILLISECONDS);
      log.info(
          "{} controlled shutdown done in {} ms: leadership moved, {} partition(s) offline until"
              + " this node returns",
          prefix,
          (System.nanoTime() - started) / 1_000_000,
          offline);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      log.warn("{} controlled shutdown interrupted; stopping anyway", prefix);
    } catch (ExecutionException | TimeoutException e) {
      log.warn(
          "{} controlled shutdown did not complete ({}); stopping anyway",
          prefix,
          ErrorMapping.message(e.getCause() == null ? e : e.getCause()));
    }
  }

  private static long remainingMs(long deadlineNanos) {
    return Math.max(1, (deadlineNanos - System.nanoTime()) / 1_000_000);
  }

  private void schedule(Runnable task, long delayMs) {
    if (closed) {
      return;
    }
    try {
      heartbeats.schedule(task, delayMs, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing
    }
  }

  /** Stops the node gracefully: controlled shutdown first (bounded), then every component. */
  @Override
  public void close() {
    if (!closed && !stopping) {
      controlledShutdown();
    }
    closed = true;
    heartbeats.shutdownNow();
    if (http != null) {
      http.close();
    }
    groups.close();
    broker.close();
    quorum.close();
    log.info("{} closed", prefix);
  }
}
