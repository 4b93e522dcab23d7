package io.logbus.broker.testing;

import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.logbus.broker.BrokerConfig;
import io.logbus.broker.LogbusNode;
import io.logbus.group.GroupConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cluster of full logbus nodes (Ratis quorum member + broker + HTTP) in this JVM on loopback,
 * with timeouts short enough for tests (heartbeat 300 ms, broker session 3 s, replica lag 3 s).
 * Every node is a voter. Ports (client gRPC, quorum, HTTP) are chosen once, so a node {@link
 * #restart restarted} comes back on the same ports and data directory ({@code root/node-<id>}).
 *
 * <p>Shared with other modules through broker-node's test-jar. Not thread-safe: drive it from the
 * test thread.
 */
public final class NodeCluster implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeCluster.class);
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration CONTROLLER_TIMEOUT = Duration.ofSeconds(60);

  private final Map<Integer, BrokerConfig> configs;
  private final GroupConfig groups;
  private final Map<Integer, LogbusNode> running = new TreeMap<>();
  private final Map<Integer, ManagedChannel> channels = new TreeMap<>();

  private NodeCluster(Map<Integer, BrokerConfig> configs, GroupConfig groups) {
    this.configs = configs;
    this.groups = groups;
  }

  /** Starts {@code nodes} nodes with consumer-group defaults and waits until all are ready. */
  public static NodeCluster start(Path root, int nodes) {
    return start(root, nodes, GroupConfig.defaults());
  }

  /** Starts {@code nodes} nodes and waits (at most 90 s) until all are ready. */
  public static NodeCluster start(Path root, int nodes, GroupConfig groups) {
    if (root == null || groups == null) {
      throw new IllegalArgumentException("root and groups are required");
    }
    if (nodes < 1) {
      throw new IllegalArgumentException("a cluster needs at least one node, got " + nodes);
    }
    Map<Integer, String> voters = new LinkedHashMap<>();
    for (int id = 1; id <= nodes; id++) {
      voters.put(id, "127.0.0.1:" + freePort());
    }
    Map<Integer, BrokerConfig> configs = new LinkedHashMap<>();
    for (int id = 1; id <= nodes; id++) {
      configs.put(
          id,
          BrokerConfig.builder(id, root.resolve("node-" + id), voters)
              .port(freePort())
              .httpPort(freePort())
              .timeouts(300, 3_000)
              .replicaLagTimeMaxMs(3_000)
              .build());
    }
    NodeCluster cluster = new NodeCluster(configs, groups);
    try {
      for (int id = 1; id <= nodes; id++) {
        cluster.running.put(id, LogbusNode.start(configs.get(id), groups));
      }
      cluster.awaitReady(cluster.running.values());
      return cluster;
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
  }

  /** Client addresses of every node, running or not: {@code 127.0.0.1:p1,127.0.0.1:p2,...}. */
  public String bootstrap() {
    return configs.values().stream()
        .map(c -> c.host() + ":" + c.port())
        .collect(Collectors.joining(","));
  }

  /** The running node {@code id} (1..n). */
  public LogbusNode node(int id) {
    checkId(id);
    LogbusNode node = running.get(id);
    if (node == null) {
      throw new IllegalStateException("node " + id + " is not running");
    }
    return node;
  }

  /** The running nodes, by id. */
  public Collection<LogbusNode> nodes() {
    return List.copyOf(running.values());
  }

  /**
   * A plaintext gRPC channel to running node {@code id}'s client port, made once and shut down by
   * {@link #kill} and {@link #close}.
   */
  public ManagedChannel channel(int id) {
    int port = node(id).port();
    return channels.computeIfAbsent(
        id, i -> NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build());
  }

  /** Stops node {@code id} now; its data directory stays for {@link #restart}. */
  public void kill(int id) {
    node(id);
    ManagedChannel channel = channels.remove(id);
    if (channel != null) {
      channel.shutdownNow();
    }
    running.remove(id).close();
  }

  /** Starts node {@code id} again on its ports and data directory; waits until it is ready. */
  public void restart(int id) {
    checkId(id);
    if (running.containsKey(id)) {
      throw new IllegalStateException("node " + id + " is running; kill it first");
    }
    LogbusNode node = LogbusNode.start(configs.get(id), groups);
    running.put(id, node);
    awaitReady(List.of(node));
  }

  /** The id of the running node that leads the metadata quorum now (waits up to 60 s for one). */
  public int controllerId() {
    if (running.isEmpty()) {
      throw new IllegalStateException("no node is running");
    }
    int[] found = {-1};
    await()
        .atMost(CONTROLLER_TIMEOUT)
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              for (LogbusNode node : running.values()) {
                if (node.quorum().isController()) {
                  found[0] = node.id();
                  return true;
                }
              }
              return false;
            });
    return found[0];
  }

  /** Stops every running node; each is closed even if another's close fails. */
  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
    channels.clear();
    List<RuntimeException> failures = new ArrayList<>();
    for (LogbusNode node : List.copyOf(running.values())) {
      try {
        node.close();
      } catch (RuntimeException e) {
        log.warn("[node-cluster] closing node {} failed", node.id(), e);
        failures.add(e);
      }
    }
    running.clear();
    if (!failures.isEmpty()) {
      RuntimeException first = failures.get(0);
      failures.stream().skip(1).forEach(first::addSuppressed);
      throw first;
    }
  }

  private void awaitReady(Collection<LogbusNode> nodes) {
    await()
        .atMost(READY_TIMEOUT)
        .pollInterval(Duration.ofMillis(50))
        .until(() -> nodes.stream().allMatch(LogbusNode::ready));
  }

  private void checkId(int id) {
    if (!configs.containsKey(id)) {
      throw new IllegalArgumentException(
          "no node " + id + " in this cluster (ids 1.." + configs.size() + ")");
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
