package io.logbus.metadata;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/** N quorum members in this JVM on loopback, on free ports, with short election timeouts. */
final class QuorumCluster implements AutoCloseable {
  static final Duration ELECTION_MIN = Duration.ofMillis(600);
  static final Duration ELECTION_MAX = Duration.ofMillis(1200);
  static final Duration WAIT = Duration.ofSeconds(30);

  final Path dir;
  final Map<Integer, InetSocketAddress> voters = new LinkedHashMap<>();
  // Concurrent: benchmarks stop a node on one thread while others look for the controller.
  final Map<Integer, MetadataQuorum> nodes = new java.util.concurrent.ConcurrentSkipListMap<>();
  private final Consumer<QuorumConfig.Builder> customizer;

  QuorumCluster(Path dir, int size, Consumer<QuorumConfig.Builder> customizer) {
    this.dir = dir;
    this.customizer = customizer;
    for (int id = 1; id <= size; id++) {
      voters.put(id, InetSocketAddress.createUnresolved("127.0.0.1", freePort()));
    }
    for (int id = 1; id <= size; id++) {
      start(id);
    }
  }

  static QuorumCluster start(Path dir, int size) {
    return new QuorumCluster(dir, size, b -> {});
  }

  static QuorumCluster start(Path dir, int size, Clock clock, Duration sessionTimeout) {
    return new QuorumCluster(dir, size, b -> b.clock(clock).brokerSessionTimeout(sessionTimeout));
  }

  QuorumConfig.Builder config(int id) {
    QuorumConfig.Builder b =
        QuorumConfig.builder()
            .nodeId(id)
            .quorumDir(dir.resolve("node-" + id))
            .voters(voters)
            .electionTimeout(ELECTION_MIN, ELECTION_MAX)
            .requestTimeout(Duration.ofSeconds(20))
            // Tests that do not test liveness must not see brokers fenced while they run.
            .brokerSessionTimeout(Duration.ofHours(1));
    customizer.accept(b);
    return b;
  }

  MetadataQuorum start(int id) {
    MetadataQuorum q = MetadataQuorum.start(config(id).build());
    nodes.put(id, q);
    return q;
  }

  /** Starts node {@code id}, which is not among the voters: a broker that watches the log. */
  MetadataQuorum startWatcher(int id) {
    if (voters.containsKey(id)) {
      throw new IllegalArgumentException("node " + id + " is a voter");
    }
    return start(id);
  }

  /** Stops node {@code id} as a crash would: no leadership hand-off. */
  void stop(int id) {
    MetadataQuorum q = nodes.remove(id);
    if (q != null) {
      q.crash();
    }
  }

  /** Stops node {@code id} gracefully: a leader hands leadership to a follower first. */
  void stopGracefully(int id) {
    MetadataQuorum q = nodes.remove(id);
    if (q != null) {
      q.close();
    }
  }

  MetadataQuorum node(int id) {
    return nodes.get(id);
  }

  List<MetadataQuorum> live() {
    return new ArrayList<>(nodes.values());
  }

  /** Waits until one live node is the ready controller and returns it. */
  MetadataQuorum awaitController() {
    return await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(20))
        .until(this::controller, Optional::isPresent)
        .get();
  }

  Optional<MetadataQuorum> controller() {
    return nodes.values().stream().filter(MetadataQuorum::isController).findFirst();
  }

  /** Waits until every live node has applied at least {@code index}. */
  void awaitApplied(long index) {
    for (MetadataQuorum q : nodes.values()) {
      await().atMost(WAIT).until(() -> q.image().lastAppliedIndex() >= index);
    }
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Closes every node in parallel: one by one, the last ones wait out election timeouts. */
  @Override
  public void close() {
    List<Thread> closers = new ArrayList<>();
    for (MetadataQuorum q : new ArrayList<>(nodes.values())) {
      Thread t = new Thread(q::close, "close-" + q.nodeId());
      t.start();
      closers.add(t);
    }
    for (Thread t : closers) {
      try {
        t.join(WAIT.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    nodes.clear();
  }
}
