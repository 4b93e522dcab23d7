package io.logbus.metadata;

import io.logbus.proto.ErrorCode;
import io.logbus.proto.metadata.ControllerRequest;
import io.logbus.proto.metadata.ControllerResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's handle on the metadata quorum: its Ratis member (state machine + RocksDB state), the
 * controller (active here while this node leads), readers of the committed metadata, and voter
 * membership changes.
 *
 * <p>Thread-safe. {@link #close()} stops the Ratis server, the controller and the dispatch thread.
 */
public final class MetadataQuorum implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MetadataQuorum.class);

  private final QuorumConfig config;
  // Exactly one of server (a voter) and watcher (a broker outside the voter list) is set.
  private final QuorumServer server;
  private final MetadataWatcher watcher;
  private final ActiveController active;
  private final RaftClient client;
  private final QuorumController controller;
  private final ExecutorService admin;

  private MetadataQuorum(QuorumConfig config, QuorumServer server, MetadataWatcher watcher) {
    this.config = config;
    this.server = server;
    this.watcher = watcher;
    if (server != null) {
      MetadataStateMachine sm = server.stateMachine();
      this.active =
          new ActiveController(
              server.name(),
              sm::applied,
              server.role(),
              server.proposer(),
              config.clock(),
              config.brokerSessionTimeout(),
              tickInterval(config),
              UUID::randomUUID);
      sm.setHandler(active);
    } else {
      this.active = null;
    }
    this.client = QuorumServer.newClient(config);
    this.controller =
        new QuorumController(
            name(),
            client,
            config.requestTimeout(),
            server != null ? active : MetadataQuorum::notHere,
            server != null ? () -> server.role().isLeaderReady() : () -> false);
    this.admin =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "quorum-admin-" + config.nodeId());
              t.setDaemon(true);
              return t;
            });
  }

  private static CompletableFuture<ControllerResponse> notHere(ControllerRequest request) {
    // Never called: a node outside the voters never is the controller.
    return CompletableFuture.completedFuture(
        ControllerResponse.newBuilder()
            .setError(ErrorCode.NOT_CONTROLLER)
            .setErrorMessage("not a voter")
            .setRetriable(true)
            .build());
  }

  private String name() {
    return "quorum-" + config.nodeId();
  }

  private static Duration tickInterval(QuorumConfig config) {
    long ms = Math.max(20, Math.min(500, config.brokerSessionTimeout().toMillis() / 10));
    return Duration.ofMillis(ms);
  }

  /** Starts this node's quorum member; returns once the Ratis server is running. */
  public static MetadataQuorum start(QuorumConfig config) {
    if (!config.isVoter()) {
      MetadataWatcher watcher =
          new MetadataWatcher("quorum-" + config.nodeId(), config.nodeId(), config.voters());
      MetadataQuorum q = new MetadataQuorum(config, null, watcher);
      watcher.start();
      LOG.info("[{}] not a voter: watching the metadata log of {}", q.name(), config.voters());
      return q;
    }
    QuorumServer server;
    try {
      server = QuorumServer.start(config);
    } catch (IOException e) {
      throw new MetadataStorageException(
          "cannot start quorum member " + config.nodeId() + " in " + config.quorumDir() + ": " + e,
          e);
    }
    return new MetadataQuorum(config, server, null);
  }

  /** The voter a broker-only node streams the metadata log from now; -1 on a voter. */
  public int watchedVoter() {
    if (watcher == null) {
      return -1;
    }
    return List.copyOf(config.voters().keySet()).get(watcher.servingVoter());
  }

  /** Whether this node is a voter (else it watches the log of the voters). */
  public boolean isVoter() {
    return server != null;
  }

  public int nodeId() {
    return config.nodeId();
  }

  public Controller controller() {
    return controller;
  }

  /** The latest applied metadata on this node, with the quorum leader and voters as known now. */
  public MetadataImage image() {
    if (server == null) {
      return watcher
          .image()
          .withQuorum(
              watcher.quorumLeaderId(), config.voters().keySet().stream().sorted().toList());
    }
    return server.stateMachine().image().withQuorum(server.leaderId(), server.voterIds());
  }

  /**
   * The metadata as of a moment after this call started: this node first learns the leader's commit
   * index (Ratis read index) and waits to apply up to it.
   */
  public CompletableFuture<MetadataImage> linearizableImage() {
    if (server == null) {
      // The leader's applied index after its read index, then wait to have applied as much.
      return controller
          .readBarrier(null)
          .thenCompose(
              index ->
                  watcher
                      .awaitApplied(index)
                      .orTimeout(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS))
          .thenApply(x -> image());
    }
    return controller.readBarrier(server.selfId()).thenApply(x -> image());
  }

  /**
   * Delivers every committed record after {@code afterIndex}, in order, exactly once, on the
   * dispatch thread; starts with {@code onSnapshot} if {@code afterIndex} is behind this node's
   * state.
   */
  public void subscribe(long afterIndex, MetadataListener listener) {
    if (listener == null) {
      throw new IllegalArgumentException("listener is null");
    }
    if (server == null) {
      watcher.publisher().subscribe(afterIndex, listener);
    } else {
      server.stateMachine().subscribe(afterIndex, listener);
    }
  }

  /** Whether this node currently is the controller (the ready quorum leader). */
  public boolean isController() {
    return server != null && server.role().isLeaderReady();
  }

  /**
   * Adds a voter (which must be running, started with {@code joining}). Refuses to produce an
   * even-sized quorum unless {@code force}.
   */
  public CompletableFuture<Void> addVoter(int id, String hostPort, boolean force) {
    InetSocketAddress addr;
    try {
      addr = QuorumConfig.parseVoters(id + "@" + hostPort).get(id);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(
          new ControllerException(ErrorCode.INVALID_REQUEST, e.getMessage(), false));
    }
    return changeVoters(
        peers -> {
          if (peers.stream().anyMatch(p -> QuorumServer.nodeIdOf(p.getId()) == id)) {
            throw new ControllerException(
                ErrorCode.INVALID_REQUEST, "node " + id + " already is a voter", false);
          }
          peers.add(QuorumServer.peer(id, addr));
        },
        force);
  }

  /** Removes a voter. Refuses an even-sized or empty quorum unless {@code force} (never empty). */
  public CompletableFuture<Void> removeVoter(int id, boolean force) {
    return changeVoters(
        peers -> {
          if (!peers.removeIf(p -> QuorumServer.nodeIdOf(p.getId()) == id)) {
            throw new ControllerException(
                ErrorCode.INVALID_REQUEST, "node " + id + " is not a voter", false);
          }
        },
        force);
  }

  private interface PeerEdit {
    void edit(List<RaftPeer> peers);
  }

  private CompletableFuture<Void> changeVoters(PeerEdit edit, boolean force) {
    if (server == null) {
      return CompletableFuture.failedFuture(
          new ControllerException(
              ErrorCode.INVALID_REQUEST,
              "node " + config.nodeId() + " is not a voter: change voters through a voter",
              false));
    }
    return CompletableFuture.runAsync(
        () -> {
          List<RaftPeer> peers = new ArrayList<>(server.division().getRaftConf().getCurrentPeers());
          edit.edit(peers);
          if (peers.isEmpty()) {
            throw new ControllerException(
                ErrorCode.INVALID_REQUEST, "a quorum cannot have zero voters", false);
          }
          if (peers.size() % 2 == 0 && !force) {
            throw new ControllerException(
                ErrorCode.INVALID_REQUEST,
                "the change leaves " + peers.size() + " voters; an even quorum needs force",
                false);
          }
          try {
            RaftClientReply reply =
                client
                    .admin()
                    .setConfiguration(
                        SetConfigurationRequest.Arguments.newBuilder()
                            .setServersInNewConf(peers)
                            .build());
            if (!reply.isSuccess()) {
              throw new NotControllerException("setConfiguration failed: " + reply.getException());
            }
          } catch (IOException e) {
            throw new NotControllerException("setConfiguration failed: " + e);
          }
          LOG.info("[{}] voters are now {}", server.name(), peers);
        },
        admin);
  }

  /** SHA-256 of this node's stored metadata (all column families); equal iff contents equal. */
  byte[] stateDigest() {
    return server.stateMachine().contentDigest();
  }

  List<String> dumpState() {
    return server.stateMachine().dumpState();
  }

  /** Session checks run by this node's controller so far (tests wait on it). */
  long controllerTicks() {
    return active.ticks();
  }

  QuorumServer server() {
    return server;
  }

  MetadataWatcher watcher() {
    return watcher;
  }

  /**
   * Stops this member gracefully: a leader first hands leadership to a live follower (bounded by
   * the maximum election timeout), so the quorum does not wait out an election timeout.
   */
  @Override
  public void close() {
    if (server != null) {
      server.handOffLeadership(config.electionTimeoutMax());
    }
    crash();
  }

  /** Stops this member without handing leadership over: what a crash looks like to the others. */
  void crash() {
    if (active != null) {
      active.close();
    }
    controller.close();
    try {
      client.close();
    } catch (IOException e) {
      LOG.warn("[{}] closing the quorum client: {}", name(), e.toString());
    }
    if (server != null) {
      try {
        server.close();
      } catch (IOException e) {
        LOG.warn("[{}] closing the Ratis server: {}", name(), e.toString());
      }
    } else {
      watcher.close();
    }
    admin.shutdownNow();
  }
}
