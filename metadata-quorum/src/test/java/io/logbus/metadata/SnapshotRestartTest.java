package io.logbus.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.logbus.proto.ErrorCode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Voters restart from their snapshot plus the log tail, or get a snapshot from the leader. */
class SnapshotRestartTest {
  @TempDir Path dir;
  QuorumCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private void startCluster() {
    cluster = new QuorumCluster(dir, 3, b -> b.snapshotThreshold(5).logSegmentBytes(1024));
  }

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  private void awaitEqualDigests() {
    MetadataQuorum leader = cluster.awaitController();
    long index = leader.image().lastAppliedIndex();
    cluster.awaitApplied(index);
    await()
        .atMost(QuorumCluster.WAIT)
        .untilAsserted(
            () -> {
              String expected = hex(leader.stateDigest());
              for (MetadataQuorum q : cluster.live()) {
                assertThat(hex(q.stateDigest())).as("node %d", q.nodeId()).isEqualTo(expected);
              }
            });
  }

  @Test
  void voterRestartsFromOwnSnapshotPlusLogTailWithEqualState() throws Exception {
    // Threshold 10 with ~15 entries: exactly one snapshot, then a tail only the log holds.
    cluster = new QuorumCluster(dir, 1, b -> b.snapshotThreshold(10).logSegmentBytes(1024));
    MetadataQuorum node = cluster.awaitController();
    Requests.registerBrokers(node, 1);
    for (int i = 0; i < 12; i++) {
      assertThat(Requests.createTopic(node, "t" + i, 2, 1).getTopics(0).getError())
          .isEqualTo(ErrorCode.NONE);
    }
    Path sm = smDir(1);
    await().atMost(QuorumCluster.WAIT).until(() -> new SnapshotStore(sm).latest().isPresent());
    // Two more entries after the newest snapshot: the restart must replay them from the log.
    long snapshotIndex = new SnapshotStore(sm).latest().orElseThrow().index();
    Requests.createTopic(node, "tail-1", 1, 1);
    Requests.createTopic(node, "tail-2", 1, 1);
    long applied = node.image().lastAppliedIndex();
    byte[] before = node.stateDigest();
    MetadataImage imageBefore = node.image();
    java.util.List<String> dumpBefore = withoutPosition(node.dumpState());
    cluster.stop(1);
    assertThat(new SnapshotStore(sm).latest().orElseThrow().index()).isLessThan(applied);
    assertThat(snapshotIndex).isLessThan(applied);
    // Lose the live database: only the snapshot and the Raft log remain.
    SnapshotStore.deleteRecursively(dir.resolve("node-1").resolve("state"));
    MetadataQuorum restarted = cluster.start(1);
    await().atMost(QuorumCluster.WAIT).until(() -> restarted.image().lastAppliedIndex() >= applied);
    assertThat(restarted.image().topics()).isEqualTo(imageBefore.topics());
    assertThat(restarted.image().brokers()).isEqualTo(imageBefore.brokers());
    assertThat(withoutPosition(restarted.dumpState())).isEqualTo(dumpBefore);
    assertThat(hex(restarted.stateDigest())).isEqualTo(hex(before));
    assertThat(restarted.image().topics()).containsKeys("t0", "t11", "tail-1", "tail-2");
  }

  @Test
  void laggingVoterCatchesUpThroughLeaderSnapshotAfterLogPurge() throws Exception {
    startCluster();
    MetadataQuorum leader = cluster.awaitController();
    Requests.registerBrokers(leader, 3);
    int victim =
        cluster.live().stream().filter(q -> q != leader).findFirst().orElseThrow().nodeId();
    cluster.stop(victim);
    for (int i = 0; i < 16; i++) {
      assertThat(Requests.createTopic(leader, "lag" + i, 1, 2).getTopics(0).getError())
          .isEqualTo(ErrorCode.NONE);
    }
    // The leader snapshotted and purged its log, so the victim cannot replay what it missed.
    await()
        .atMost(QuorumCluster.WAIT)
        .until(() -> leader.server().division().getRaftLog().getStartIndex() > 8);
    MetadataQuorum restarted = cluster.start(victim);
    awaitEqualDigests();
    assertThat(restarted.image().topics()).hasSize(16);
    // Ratis writes an .md5 next to every file it received in an InstallSnapshot.
    try (var s = Files.walk(smDir(victim))) {
      assertThat(s.filter(p -> p.toString().endsWith(".md5")).count()).isPositive();
    }
  }

  /** The stored content without the applied position, which a restart's no-op entry moves. */
  private static java.util.List<String> withoutPosition(java.util.List<String> dump) {
    return dump.stream().filter(l -> !l.startsWith("meta 6c6173745f6170706c696564=")).toList();
  }

  private Path smDir(int node) throws Exception {
    Path ratis = dir.resolve("node-" + node).resolve("ratis");
    try (var s = Files.list(ratis)) {
      Path group = s.filter(Files::isDirectory).findFirst().orElseThrow();
      return group.resolve("sm");
    }
  }
}
