package io.logbus.torture;

import io.logbus.client.ClusterDescription;
import io.logbus.client.LogbusAdmin;
import io.logbus.client.TopicDescription;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out a {@link FaultPlan} against a {@link LocalCluster} and heals it: killed nodes are
 * restarted and paused ones resumed before {@link #inject} returns. Before each fault it asks the
 * cluster which partitions the victims lead, so the checker can measure failover per partition.
 */
final class FaultInjector {
  private static final Logger log = LoggerFactory.getLogger(FaultInjector.class);

  private final LocalCluster cluster;
  private final LogbusAdmin admin;
  private final History history;
  private final Clock clock;
  private final long startMs;
  private final String topic;
  private final int partitions;

  FaultInjector(
      LocalCluster cluster,
      LogbusAdmin admin,
      History history,
      Clock clock,
      long startMs,
      String topic,
      int partitions) {
    this.cluster = cluster;
    this.admin = admin;
    this.history = history;
    this.clock = clock;
    this.startMs = startMs;
    this.topic = topic;
    this.partitions = partitions;
  }

  void inject(FaultPlan plan) throws IOException, InterruptedException {
    List<Integer> victims = plan.nodes();
    if (plan.kind() == FaultKind.KILL_QUORUM_LEADER) {
      int leader = quorumLeader();
      victims = List.of(leader > 0 ? leader : 1);
    }
    List<Integer> leaderless = partitionsLedBy(victims);
    long at = clock.millis() - startMs;
    history.fault(new History.Fault(at, plan.kind().name(), victims, leaderless));
    log.info(
        "fault at {} ms: {} on nodes {} (leaders of partitions {})",
        at,
        plan.kind(),
        victims,
        leaderless);
    switch (plan.kind()) {
      case PAUSE -> {
        int node = victims.get(0);
        cluster.pause(node);
        nodeDown(node);
        try {
          Await.hold(plan.downMs());
        } finally {
          cluster.resume(node);
          nodeUp(node);
        }
      }
      case TORN_WRITE -> {
        int node = victims.get(0);
        kill(node);
        tearActiveSegment(node, plan.tornBytes());
        Await.hold(plan.downMs());
        restart(node);
      }
      default -> {
        for (int node : victims) {
          kill(node);
        }
        Await.hold(plan.downMs());
        for (int node : victims) {
          restart(node);
        }
      }
    }
  }

  private void kill(int node) throws IOException, InterruptedException {
    cluster.kill(node);
    nodeDown(node);
  }

  /** The node counts as up again once the launcher reports it ready, not when its JVM starts. */
  private void restart(int node) throws IOException, InterruptedException {
    cluster.start(node);
    nodeUp(node);
  }

  private void nodeDown(int node) {
    history.node(new History.NodeEvent(clock.millis() - startMs, node, false));
  }

  private void nodeUp(int node) {
    long at = clock.millis() - startMs;
    history.node(new History.NodeEvent(at, node, true));
    log.info("node {} up again at {} ms", node, at);
  }

  /** Cuts {@code bytes} off the end of the newest segment of one of the node's partitions. */
  private void tearActiveSegment(int node, int bytes) throws IOException {
    Path dir = cluster.partitionDir(node, topic, bytes % partitions);
    if (!Files.isDirectory(dir)) {
      return;
    }
    Path active;
    try (Stream<Path> files = Files.list(dir)) {
      active =
          files
              .filter(p -> p.getFileName().toString().matches("\\d{20}\\.log"))
              .max(Path::compareTo)
              .orElse(null);
    }
    if (active == null) {
      return;
    }
    try (FileChannel channel = FileChannel.open(active, StandardOpenOption.WRITE)) {
      long size = channel.size();
      channel.truncate(Math.max(0, size - bytes));
      log.info("tore {}: {} -> {} bytes", active, size, Math.max(0, size - bytes));
    }
  }

  private int quorumLeader() {
    try {
      ClusterDescription description = admin.describeCluster().get(10, TimeUnit.SECONDS);
      return description.quorumLeader();
    } catch (Exception e) {
      return -1;
    }
  }

  private List<Integer> partitionsLedBy(List<Integer> nodes) {
    List<Integer> led = new ArrayList<>();
    try {
      for (TopicDescription description :
          admin.describeTopics(List.of(topic)).get(10, TimeUnit.SECONDS)) {
        for (TopicDescription.PartitionInfo partition : description.partitions()) {
          if (nodes.contains(partition.leader())) {
            led.add(partition.partition());
          }
        }
      }
    } catch (Exception e) {
      log.warn("could not learn partition leaders before the fault: {}", e.toString());
    }
    return led;
  }
}
