package io.logbus.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.metadata.MetadataWatchGrpc;
import io.logbus.proto.metadata.WatchRequest;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Brokers outside the voter list: 3 voters and 2 watching nodes in one JVM. The watchers see every
 * committed record once and in log order (the same sequence as a voter's listener), send controller
 * requests from outside the group, resume after the voter streaming to them is killed, and start
 * from a snapshot when the voters can no longer replay from where they are. One cluster for the
 * class (tests run in order; each leaves it whole).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WatchTest {
  @TempDir static Path dir;
  static QuorumCluster cluster;
  static MetadataQuorum watcher4;
  static MetadataQuorum watcher5;
  // One recorder per voter: the comparison uses one whose voter was never stopped.
  static java.util.Map<Integer, SubscribeTest.Recorder> atVoters = new java.util.TreeMap<>();
  static int killedVoter = -1;
  static SubscribeTest.Recorder at4 = new SubscribeTest.Recorder();
  static SubscribeTest.Recorder at5 = new SubscribeTest.Recorder();

  @BeforeAll
  static void startCluster() {
    cluster = new QuorumCluster(dir, 3, b -> b.snapshotThreshold(8).logSegmentBytes(1024));
    cluster.awaitController();
    for (int id = 1; id <= 3; id++) {
      atVoters.put(id, new SubscribeTest.Recorder());
      cluster.node(id).subscribe(-1, atVoters.get(id));
    }
    watcher4 = cluster.startWatcher(4);
    watcher5 = cluster.startWatcher(5);
    watcher4.subscribe(-1, at4);
    watcher5.subscribe(-1, at5);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  void watchersRegisterAndCreateThroughTheControllerAndSeeEveryRecordOnceInOrder()
      throws Exception {
    assertThat(watcher4.isVoter()).isFalse();
    assertThat(watcher4.isController()).isFalse();
    for (int id : List.of(1, 2, 3, 4, 5)) {
      MetadataQuorum via = id == 4 ? watcher4 : id == 5 ? watcher5 : cluster.awaitController();
      via.controller()
          .registerBroker(id, "127.0.0.1", 9000 + id, "inc-" + id)
          .get(30, TimeUnit.SECONDS);
    }
    for (int i = 0; i < 4; i++) {
      MetadataQuorum via = i % 2 == 0 ? watcher4 : watcher5;
      assertThat(Requests.createTopic(via, "w" + i, 2, 3).getTopics(0).getError())
          .isEqualTo(ErrorCode.NONE);
    }
    awaitSameRecords();
    assertThat(at4.events).noneMatch(e -> e.startsWith("snapshot"));
    assertThat(watcher4.image().topics().keySet()).containsExactly("w0", "w1", "w2", "w3");
    assertThat(watcher4.image().voters()).containsExactly(1, 2, 3);
    assertThat(watcher4.image().quorumLeaderId()).isIn(1, 2, 3);
  }

  @Test
  @Order(2)
  void linearizableImageOfAWatcherHoldsEveryWriteAcknowledgedBefore() throws Exception {
    Requests.createTopic(cluster.awaitController(), "lin", 1, 1);
    assertThat(watcher5.linearizableImage().get(30, TimeUnit.SECONDS).topic("lin")).isPresent();
  }

  @Test
  @Order(3)
  void watcherResumesAtTheNextVoterWhenItsVoterIsKilled() throws Exception {
    int serving = watcher4.watcher().servingVoter() + 1;
    long streams = watcher4.watcher().streams();
    killedVoter = serving;
    cluster.stop(serving);
    for (int i = 0; i < 4; i++) {
      Requests.createTopic(cluster.awaitController(), "after-kill-" + i, 1, 2);
    }
    await()
        .atMost(QuorumCluster.WAIT)
        .until(() -> watcher4.image().topic("after-kill-3").isPresent());
    assertThat(watcher4.watcher().streams()).isGreaterThan(streams);
    assertThat(watcher4.watcher().servingVoter() + 1).isNotEqualTo(serving);
    cluster.start(serving);
    cluster.awaitApplied(cluster.awaitController().image().lastAppliedIndex());
    awaitSameRecords();
  }

  @Test
  @Order(4)
  void aWatcherBehindWhatVotersCanReplayStartsFromASnapshot() throws Exception {
    cluster.stop(5);
    for (int i = 0; i < 12; i++) {
      Requests.createTopic(cluster.awaitController(), "purged-" + i, 1, 3);
    }
    // Restarted voters hold their snapshot plus log tail; their replay history starts there.
    for (int id = 1; id <= 3; id++) {
      cluster.stop(id);
      cluster.start(id);
      cluster.awaitController();
    }
    assertThat(cluster.node(1).server().stateMachine().latestSnapshotRef()).isPresent();
    SubscribeTest.Recorder fresh = new SubscribeTest.Recorder();
    MetadataQuorum again = cluster.startWatcher(5);
    again.subscribe(-1, fresh);
    await().atMost(QuorumCluster.WAIT).until(() -> again.image().topic("purged-11").isPresent());
    assertThat(fresh.events.get(0)).startsWith("snapshot@");
    assertThat(fresh.events.get(0)).contains("purged-11", "w0", "after-kill-0");
    Requests.createTopic(again, "after-snapshot", 1, 1);
    MetadataQuorum controller = cluster.awaitController();
    await()
        .atMost(QuorumCluster.WAIT)
        .until(() -> again.image().topic("after-snapshot").isPresent());
    assertThat(fresh.events.get(fresh.events.size() - 1)).endsWith("CREATE_TOPIC after-snapshot");
    assertThat(again.image().topics()).isEqualTo(controller.image().topics());
    assertThat(again.image().brokers()).isEqualTo(controller.image().brokers());
  }

  @Test
  @Order(5)
  void watchRequestWithAnIndexBelowMinusOneIsRefused() {
    InetSocketAddress voter = cluster.voters.get(cluster.awaitController().nodeId());
    ManagedChannel channel =
        Grpc.newChannelBuilderForAddress(
                voter.getHostString(), voter.getPort(), InsecureChannelCredentials.create())
            .build();
    try {
      var it =
          MetadataWatchGrpc.newBlockingStub(channel)
              .withDeadlineAfter(30, TimeUnit.SECONDS)
              .watch(WatchRequest.newBuilder().setNodeId(9).setAfterIndex(-2).build());
      assertThatThrownBy(it::hasNext)
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  @Order(6)
  void membershipChangesAreRefusedOnAWatcher() {
    assertThatThrownBy(() -> watcher4.removeVoter(1, false).get(30, TimeUnit.SECONDS))
        .hasCauseInstanceOf(ControllerException.class)
        .hasMessageContaining("not a voter");
  }

  /** Both watchers (while running) saw exactly the voter's record sequence. */
  private static void awaitSameRecords() {
    await()
        .atMost(QuorumCluster.WAIT)
        .untilAsserted(
            () -> {
              int reference = killedVoter == 1 ? 2 : 1;
              List<String> expected = List.copyOf(atVoters.get(reference).events);
              assertThat(at4.events).containsExactlyElementsOf(expected);
              assertThat(at5.events).containsExactlyElementsOf(expected);
            });
  }
}
