package io.logbus.metadata;

import io.logbus.proto.metadata.MetadataBatch;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.TransferLeadershipRequest;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds and runs this node's Ratis server for the metadata group: properties (ports, election
 * timeouts, snapshot threshold, log purge behind snapshots, linearizable reads), storage under
 * {@code <quorumDir>/ratis}, the live state under {@code <quorumDir>/state}. Also the leader's
 * {@link Proposer} (local submit, so appends happen in call order) and a Ratis client to the group
 * for forwarding.
 *
 * <p>Thread-safe after {@link #start}.
 */
final class QuorumServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(QuorumServer.class);
  static final long CLIENT_RETRY_PAUSE_MS = 25;

  private final QuorumConfig config;
  private final String name;
  private final RaftGroup group;
  private final RaftPeerId selfId;
  private final MetadataStateMachine stateMachine;
  private final RaftServer server;
  private final ClientId proposerClientId = ClientId.randomId();
  private final AtomicLong callIds = new AtomicLong();

  private QuorumServer(QuorumConfig config) throws IOException {
    this.config = config;
    this.name = "quorum-" + config.nodeId();
    this.selfId = peerId(config.nodeId());
    RaftGroupId groupId = RaftGroupId.valueOf(config.groupUuid());
    this.group =
        config.joining()
            ? RaftGroup.valueOf(groupId)
            : RaftGroup.valueOf(groupId, peers(config.voters()));
    Path ratisDir = config.quorumDir().resolve("ratis");
    Files.createDirectories(ratisDir);
    this.stateMachine = new MetadataStateMachine(name, config.quorumDir().resolve("state"));
    InetSocketAddress self = config.voters().get(config.nodeId());
    if (self == null) {
      throw new IllegalArgumentException(
          "node " + config.nodeId() + " needs its own quorum address among the voters");
    }
    RaftProperties props = properties(config, ratisDir, self.getPort());
    boolean exists = Files.isDirectory(ratisDir.resolve(config.groupUuid().toString()));
    // Non-voter brokers watch the committed log on this same port (see WatchService).
    Parameters parameters = new Parameters();
    GrpcConfigKeys.Server.setServicesCustomizer(
        parameters, new WatchService(name, stateMachine::publisher, this::leaderId));
    this.server =
        RaftServer.newBuilder()
            .setServerId(selfId)
            .setParameters(parameters)
            .setGroup(group)
            .setStateMachine(stateMachine)
            .setProperties(props)
            .setOption(
                exists ? RaftStorage.StartupOption.RECOVER : RaftStorage.StartupOption.FORMAT)
            .build();
  }

  static QuorumServer start(QuorumConfig config) throws IOException {
    QuorumServer q = new QuorumServer(config);
    q.server.start();
    LOG.info("[{}] started, voters {}", q.name, config.voters());
    return q;
  }

  static RaftPeerId peerId(int nodeId) {
    return RaftPeerId.valueOf("n" + nodeId);
  }

  static int nodeIdOf(RaftPeerId id) {
    return Integer.parseInt(id.toString().substring(1));
  }

  static RaftPeer peer(int id, InetSocketAddress addr) {
    return RaftPeer.newBuilder()
        .setId(peerId(id))
        .setAddress(addr.getHostString() + ":" + addr.getPort())
        .build();
  }

  static List<RaftPeer> peers(Map<Integer, InetSocketAddress> voters) {
    List<RaftPeer> out = new ArrayList<>();
    voters.forEach((id, addr) -> out.add(peer(id, addr)));
    return out;
  }

  private static RaftProperties properties(QuorumConfig config, Path ratisDir, int port) {
    RaftProperties p = new RaftProperties();
    RaftServerConfigKeys.setStorageDir(p, List.of(ratisDir.toFile()));
    GrpcConfigKeys.Server.setPort(p, port);
    // Metadata snapshots are small; a follower that does not ack a chunk within a second is gone,
    // and the leader waits up to 8 of these timeouts before it retries a failed transfer.
    GrpcConfigKeys.Server.setInstallSnapshotRequestTimeout(p, TimeDuration.ONE_SECOND);
    RaftServerConfigKeys.Rpc.setTimeoutMin(p, millis(config.electionTimeoutMin()));
    RaftServerConfigKeys.Rpc.setTimeoutMax(p, millis(config.electionTimeoutMax()));
    RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMin(p, millis(config.electionTimeoutMin()));
    RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMax(p, millis(config.electionTimeoutMax()));
    RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
    // Snapshots come from the threshold only: a restart then behaves like a crash recovery
    // (snapshot plus log tail), the path that must work anyway.
    RaftServerConfigKeys.Snapshot.setTriggerWhenStopEnabled(p, false);
    RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, config.snapshotThreshold());
    RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
    // No commit-index bookkeeping entries between metadata entries: one entry per batch.
    RaftServerConfigKeys.Log.setLogMetadataEnabled(p, false);
    RaftServerConfigKeys.Log.setPurgeGap(p, (int) Math.min(1024, config.snapshotThreshold()));
    long segment = config.logSegmentBytes();
    RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(segment));
    RaftServerConfigKeys.Log.setPreallocatedSize(
        p, SizeInBytes.valueOf(Math.min(segment, 64 * 1024)));
    // Send appends to followers as soon as they are in the log; Ratis' default waits 10 ms to
    // batch, which would be most of a metadata commit's latency.
    RaftServerConfigKeys.Log.Appender.setWaitTimeMin(p, TimeDuration.ZERO);
    RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
    RaftClientConfigKeys.Rpc.setRequestTimeout(p, millis(config.requestTimeout()));
    return p;
  }

  private static TimeDuration millis(Duration d) {
    return TimeDuration.valueOf(d.toMillis(), TimeUnit.MILLISECONDS);
  }

  String name() {
    return name;
  }

  RaftGroup group() {
    return group;
  }

  RaftPeerId selfId() {
    return selfId;
  }

  MetadataStateMachine stateMachine() {
    return stateMachine;
  }

  RaftServer.Division division() {
    try {
      return server.getDivision(group.getGroupId());
    } catch (IOException e) {
      throw new MetadataException(name + ": no metadata group on this server: " + e, e);
    }
  }

  /** A client of the group (as configured at start) for forwarding to the leader. */
  RaftClient newClient() {
    return newClient(config);
  }

  /**
   * A client of the metadata group from anywhere, member or not. After a leader change it finds the
   * new leader quickly by design: Ratis retries at once when a NotLeaderException names the new
   * leader, and otherwise (dead leader, election under way, leader not ready yet) after a short
   * fixed pause, trying the next voter each time; the whole call stays bounded by the request
   * timeout.
   */
  static RaftClient newClient(QuorumConfig config) {
    RaftProperties props = new RaftProperties();
    RaftClientConfigKeys.Rpc.setRequestTimeout(props, millis(config.requestTimeout()));
    RaftGroup target =
        RaftGroup.valueOf(RaftGroupId.valueOf(config.groupUuid()), peers(config.voters()));
    int attempts = (int) Math.max(10, config.requestTimeout().toMillis() / CLIENT_RETRY_PAUSE_MS);
    return RaftClient.newBuilder()
        .setProperties(props)
        .setRaftGroup(target)
        .setClientRpc(
            new GrpcFactory(new Parameters()).newRaftClientRpc(ClientId.randomId(), props))
        .setRetryPolicy(
            RetryPolicies.retryUpToMaximumCountWithFixedSleep(
                attempts, TimeDuration.valueOf(CLIENT_RETRY_PAUSE_MS, TimeUnit.MILLISECONDS)))
        .build();
  }

  /**
   * Graceful resignation (what Kafka's EndQuorumEpoch does): if this node leads, it hands
   * leadership to the follower it heard from most recently, so the group has a new leader after one
   * round trip instead of an election timeout. Bounded by {@code timeout}; false when this node
   * does not lead, has no live follower, or the transfer did not finish in time.
   */
  boolean handOffLeadership(Duration timeout) {
    DivisionInfo info;
    try {
      info = division().getInfo();
    } catch (MetadataException e) {
      return false;
    }
    if (!info.isLeader()) {
      return false;
    }
    List<String> voters = new ArrayList<>();
    for (RaftPeer p : division().getRaftConf().getCurrentPeers()) {
      voters.add(p.getId().toString());
    }
    Optional<RaftPeerId> target =
        info.getRoleInfoProto().getLeaderInfo().getFollowerInfoList().stream()
            .filter(f -> voters.contains(f.getId().getId().toStringUtf8()))
            .filter(f -> f.getLastRpcElapsedTimeMs() < config.electionTimeoutMin().toMillis())
            .min(Comparator.comparingLong(ServerRpcProto::getLastRpcElapsedTimeMs))
            .map(f -> RaftPeerId.valueOf(f.getId().getId()));
    if (target.isEmpty()) {
      LOG.info("[{}] leading with no live follower: no hand-off before stopping", name);
      return false;
    }
    long started = System.nanoTime();
    try {
      RaftClientReply reply =
          server.transferLeadership(
              new TransferLeadershipRequest(
                  proposerClientId,
                  selfId,
                  group.getGroupId(),
                  callIds.incrementAndGet(),
                  target.get(),
                  timeout.toMillis()));
      LOG.info(
          "[{}] handed leadership to {} in {} ms: {}",
          name,
          target.get(),
          (System.nanoTime() - started) / 1_000_000,
          reply.isSuccess() ? "done" : reply.getException());
      return reply.isSuccess();
    } catch (IOException e) {
      LOG.info("[{}] leadership hand-off to {} failed: {}", name, target.get(), e.toString());
      return false;
    }
  }

  ControllerRole role() {
    return new ControllerRole() {
      @Override
      public boolean isLeaderReady() {
        try {
          DivisionInfo info = division().getInfo();
          return info.isLeader() && info.isLeaderReady();
        } catch (MetadataException e) {
          return false;
        }
      }

      @Override
      public long term() {
        return division().getInfo().getCurrentTerm();
      }
    };
  }

  /** The leader's proposer: submits to the local server, which appends before returning. */
  Proposer proposer() {
    return this::propose;
  }

  private CompletableFuture<Void> propose(MetadataBatch batch) {
    RaftClientRequest request =
        RaftClientRequest.newBuilder()
            .setClientId(proposerClientId)
            .setServerId(selfId)
            .setGroupId(group.getGroupId())
            .setCallId(callIds.incrementAndGet())
            .setMessage(MetadataStateMachine.toMessage(batch))
            .setType(RaftClientRequest.writeRequestType())
            .build();
    CompletableFuture<RaftClientReply> reply;
    try {
      reply = server.submitClientRequestAsync(request);
    } catch (IOException e) {
      return CompletableFuture.failedFuture(new NotControllerException(name + ": " + e));
    }
    return reply.thenApply(
        r -> {
          if (!r.isSuccess()) {
            throw new NotControllerException(name + ": proposal failed: " + r.getException());
          }
          return null;
        });
  }

  /** The current leader's node id, -1 if unknown. */
  int leaderId() {
    try {
      RaftPeerId leader = division().getInfo().getLeaderId();
      return leader == null ? -1 : nodeIdOf(leader);
    } catch (MetadataException e) {
      return -1;
    }
  }

  List<Integer> voterIds() {
    try {
      List<Integer> ids = new ArrayList<>();
      for (RaftPeer p : division().getRaftConf().getCurrentPeers()) {
        ids.add(nodeIdOf(p.getId()));
      }
      ids.sort(Integer::compare);
      return ids;
    } catch (MetadataException e) {
      return List.of();
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
