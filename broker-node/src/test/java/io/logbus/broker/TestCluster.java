package io.logbus.broker;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.logbus.proto.BrokerInfo;
import io.logbus.proto.BrokerServiceGrpc;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.MetadataRequest;
import io.logbus.proto.MetadataResponse;
import io.logbus.proto.PartitionMetadata;
import io.logbus.proto.TopicMetadata;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Brokers in one JVM on loopback with real gRPC (netty, port 0), and a controller of the test's
 * own: it holds each partition's committed state, answers alterPartition the way the real
 * controller does (leader epoch and partition epoch checked), and elects leaders from the ISR on
 * request. Closes everything it started.
 */
final class TestCluster implements AutoCloseable, IsrProposer, ClusterMetadata {
  private final Path root;
  private final long lagMs;
  private final Map<String, String> topicDefaults;
  final Map<Integer, Broker> brokers = new ConcurrentHashMap<>();
  private final Map<Integer, String> addresses = new ConcurrentHashMap<>();
  private final Map<PartitionKey, PartitionAssignment> state = new ConcurrentHashMap<>();
  private final Map<Integer, ManagedChannel> channels = new ConcurrentHashMap<>();
  private final AtomicLong nextProducerId = new AtomicLong(1000);

  TestCluster(Path root, long lagMs, Map<String, String> topicDefaults) {
    this.root = root;
    this.lagMs = lagMs;
    this.topicDefaults = topicDefaults;
  }

  Broker start(int id) {
    BrokerConfig config =
        BrokerConfig.builder(id, root.resolve("node-" + id), Map.of())
            .replicaLagTimeMaxMs(lagMs)
            .topicDefaults(topicDefaults)
            .build();
    Broker broker =
        Broker.start(
            config,
            new Broker.Collaborators(
                this,
                this,
                count -> CompletableFuture.completedFuture(nextProducerId.getAndAdd(count)),
                addresses::get,
                new SimpleMeterRegistry(),
                Clock.systemUTC(),
                replicas -> List.of()));
    brokers.put(id, broker);
    addresses.put(id, broker.address());
    return broker;
  }

  /** Names where broker {@code id} listens when the test itself plays it. */
  void address(int id, String hostPort) {
    addresses.put(id, hostPort);
  }

  /** Closes a broker as a crash would look to the others: its streams break, it stops answering. */
  void kill(int id) {
    Broker broker = brokers.remove(id);
    addresses.remove(id);
    ManagedChannel channel = channels.remove(id);
    if (channel != null) {
      channel.shutdownNow();
    }
    if (broker != null) {
      broker.close();
    }
  }

  Broker broker(int id) {
    return brokers.get(id);
  }

  /** A new partition, led by the first replica at epoch 0, every replica in sync. */
  void createPartition(String topic, int partition, List<Integer> replicas) {
    PartitionAssignment a =
        new PartitionAssignment(topic, partition, replicas.get(0), 0, 0, replicas, replicas);
    state.put(a.key(), a);
    apply(a);
  }

  /** Moves leadership to {@code leader} at the next epoch with the given ISR; applies it. */
  PartitionAssignment elect(PartitionKey key, int leader, List<Integer> isr) {
    PartitionAssignment old = state.get(key);
    PartitionAssignment next =
        new PartitionAssignment(
            key.topic(),
            key.partition(),
            leader,
            old.leaderEpoch() + 1,
            old.partitionEpoch() + 1,
            old.replicas(),
            isr);
    state.put(key, next);
    apply(next);
    return next;
  }

  /** Sends the committed state to every live replica, as the metadata log would. */
  void apply(PartitionAssignment a) {
    for (int replica : a.replicas()) {
      Broker broker = brokers.get(replica);
      if (broker == null) {
        continue;
      }
      if (replica == a.leader()) {
        broker.replicaManager().becomeLeader(a, broker.topicConfig(Map.of()));
      } else {
        broker.replicaManager().becomeFollower(a, broker.topicConfig(Map.of()));
      }
    }
  }

  PartitionAssignment assignment(PartitionKey key) {
    return state.get(key);
  }

  @Override
  public synchronized CompletableFuture<PartitionAssignment> alterPartition(
      PartitionAssignment current, List<Integer> newIsr) {
    PartitionAssignment stored = state.get(current.key());
    if (stored == null || stored.leaderEpoch() != current.leaderEpoch()) {
      return CompletableFuture.failedFuture(
          new BrokerException(ErrorCode.FENCED_LEADER_EPOCH, "stale leader epoch"));
    }
    if (stored.partitionEpoch() != current.partitionEpoch()) {
      return CompletableFuture.failedFuture(
          new BrokerException(ErrorCode.INVALID_UPDATE_VERSION, "stale partition epoch"));
    }
    PartitionAssignment next = stored.withIsr(newIsr, stored.partitionEpoch() + 1);
    state.put(next.key(), next);
    return CompletableFuture.completedFuture(next);
  }

  @Override
  public PartitionAssignment assignment(String topic, int partition) {
    return state.get(new PartitionKey(topic, partition));
  }

  @Override
  public boolean topicExists(String topic) {
    return state.keySet().stream().anyMatch(k -> k.topic().equals(topic));
  }

  @Override
  public MetadataResponse metadata(MetadataRequest request) {
    MetadataResponse.Builder answer = MetadataResponse.newBuilder().setControllerId(-1);
    brokers.forEach(
        (id, b) ->
            answer.addBrokers(
                BrokerInfo.newBuilder().setId(id).setHost("127.0.0.1").setPort(b.port())));
    Map<String, List<PartitionAssignment>> byTopic = new TreeMap<>();
    state.values().forEach(a -> byTopic.computeIfAbsent(a.topic(), t -> new ArrayList<>()).add(a));
    byTopic.forEach(
        (topic, parts) -> {
          TopicMetadata.Builder t = TopicMetadata.newBuilder().setName(topic);
          for (PartitionAssignment a : parts) {
            t.addPartitions(
                PartitionMetadata.newBuilder()
                    .setPartition(a.partition())
                    .setLeader(a.leader())
                    .setLeaderEpoch(a.leaderEpoch())
                    .addAllReplicas(a.replicas())
                    .addAllIsr(a.isr()));
          }
          answer.addTopics(t);
        });
    return answer.build();
  }

  BrokerServiceGrpc.BrokerServiceBlockingStub blocking(int id) {
    return BrokerServiceGrpc.newBlockingStub(channel(id));
  }

  BrokerServiceGrpc.BrokerServiceStub async(int id) {
    return BrokerServiceGrpc.newStub(channel(id));
  }

  ManagedChannel channel(int id) {
    return channels.computeIfAbsent(
        id,
        i ->
            NettyChannelBuilder.forTarget(addresses.get(i))
                .usePlaintext()
                .maxInboundMessageSize(64 << 20)
                .build());
  }

  @Override
  public void close() {
    for (ManagedChannel channel : channels.values()) {
      channel.shutdownNow();
      try {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    channels.clear();
    for (Integer id : List.copyOf(brokers.keySet())) {
      kill(id);
    }
  }
}
