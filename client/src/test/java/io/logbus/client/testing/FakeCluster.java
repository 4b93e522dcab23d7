package io.logbus.client.testing;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.logbus.proto.ErrorCode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * A test cluster of real gRPC servers on loopback (port 0) that keep partitions in memory and speak
 * broker.proto: Produce, Fetch, Metadata, ListOffsets, InitProducerId and the admin calls. Tests
 * move leaders, stop brokers and inject error codes to drive the client through failover paths.
 */
public final class FakeCluster implements AutoCloseable {
  final Map<String, List<FakePartition>> topics = new ConcurrentHashMap<>();
  final Map<String, Map<String, String>> configs = new ConcurrentHashMap<>();
  final List<FakeBrokerNode> nodes = new ArrayList<>();
  final AtomicLong nextProducerId = new AtomicLong(1000);
  final AtomicInteger produceCalls = new AtomicInteger();
  final AtomicInteger outOfOrderAnswers = new AtomicInteger();
  final FakeGroups groups = new FakeGroups(this);

  /** Errors the next Produce calls answer for a partition key "topic-partition", in order. */
  final Map<String, Queue<ErrorCode>> produceFaults = new ConcurrentHashMap<>();

  /** Errors answered after a successful append, per "topic-partition", in order. */
  final Map<String, Queue<ErrorCode>> appendedFaults = new ConcurrentHashMap<>();

  private FakeCluster() {}

  /** Starts {@code brokers} brokers with ids 1..n. */
  public static FakeCluster start(int brokers) throws IOException {
    FakeCluster c = new FakeCluster();
    try {
      for (int id = 1; id <= brokers; id++) {
        c.nodes.add(new FakeBrokerNode(c, id));
      }
    } catch (IOException e) {
      c.close();
      throw e;
    }
    return c;
  }

  public String bootstrap() {
    return nodes.stream()
        .filter(FakeBrokerNode::running)
        .map(n -> "127.0.0.1:" + n.port)
        .collect(Collectors.joining(","));
  }

  public int port(int brokerId) {
    return nodes.get(brokerId - 1).port;
  }

  /** Creates a topic with leaders spread round-robin over brokers 1..n. */
  public void createTopic(String name, int partitions) {
    List<FakePartition> parts = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      int leader = p % nodes.size() + 1;
      List<Integer> replicas = new ArrayList<>();
      for (int i = 0; i < Math.min(3, nodes.size()); i++) {
        replicas.add((leader - 1 + i) % nodes.size() + 1);
      }
      parts.add(new FakePartition(leader, replicas));
    }
    topics.put(name, parts);
    configs.put(name, new ConcurrentHashMap<>());
  }

  /** The consumer groups this cluster's brokers coordinate. */
  public FakeGroups groups() {
    return groups;
  }

  public FakePartition partition(String topic, int partition) {
    return topics.get(topic).get(partition);
  }

  /** Moves leadership (the old leader answers NOT_LEADER from now on); bumps the epoch. */
  public void moveLeader(String topic, int partition, int newLeader) {
    FakePartition p = partition(topic, partition);
    p.leader = newLeader;
    p.leaderEpoch++;
  }

  /** The next Produce answers for this partition carry these error codes, one per call. */
  public void failNextProduces(String topic, int partition, ErrorCode... codes) {
    Queue<ErrorCode> q =
        produceFaults.computeIfAbsent(topic + "-" + partition, k -> new ConcurrentLinkedQueue<>());
    q.addAll(List.of(codes));
  }

  /**
   * The next Produce calls for this partition append the batch and still answer these error codes,
   * one per call: the answer a client sees when the leader wrote but the acknowledgement was lost
   * (acks=all timing out after the append, a leader killed before it answered).
   */
  public void appendThenFailNextProduces(String topic, int partition, ErrorCode... codes) {
    Queue<ErrorCode> q =
        appendedFaults.computeIfAbsent(topic + "-" + partition, k -> new ConcurrentLinkedQueue<>());
    q.addAll(List.of(codes));
  }

  /** How many produce answers said OUT_OF_ORDER_SEQUENCE (retries the client caused). */
  public int outOfOrderAnswers() {
    return outOfOrderAnswers.get();
  }

  public int produceCalls() {
    return produceCalls.get();
  }

  /** Stops a broker's server (its port refuses connections); metadata then omits it. */
  public void stopBroker(int id) {
    nodes.get(id - 1).stop();
  }

  @Override
  public void close() {
    nodes.forEach(FakeBrokerNode::stop);
  }

  /** One broker: a gRPC server on a loopback port. */
  static final class FakeBrokerNode {
    final int id;
    final int port;
    private final Server server;
    private volatile boolean running = true;

    FakeBrokerNode(FakeCluster cluster, int id) throws IOException {
      this.id = id;
      this.server =
          Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
              .addService(new FakeBrokerService(cluster, id))
              .addService(new FakeAdminService(cluster, id))
              .addService(new FakeGroupService(cluster, id))
              .build()
              .start();
      this.port = server.getPort();
    }

    boolean running() {
      return running;
    }

    void stop() {
      if (!running) {
        return;
      }
      running = false;
      server.shutdownNow();
      try {
        server.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
