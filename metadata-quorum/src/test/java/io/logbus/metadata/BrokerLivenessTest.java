package io.logbus.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.logbus.proto.ErrorCode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broker sessions on the controller, driven by a hand-moved clock. */
class BrokerLivenessTest {
  static final Duration SESSION = Duration.ofSeconds(6);

  @TempDir Path dir;
  QuorumCluster cluster;
  final MutableClock clock = new MutableClock();

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private MetadataQuorum startSingle() {
    cluster = QuorumCluster.start(dir, 1, clock, SESSION);
    return cluster.awaitController();
  }

  private static HeartbeatResult heartbeat(MetadataQuorum q, int broker, long epoch)
      throws Exception {
    return q.controller().heartbeat(broker, epoch).get(Requests.TIMEOUT_S, TimeUnit.SECONDS);
  }

  private static boolean fenced(MetadataQuorum q, int broker) {
    return q.image().broker(broker).orElseThrow().fenced();
  }

  @Test
  void silentBrokerIsFencedAndItsPartitionsGetNewLeadersFromTheIsr() throws Exception {
    MetadataQuorum q = startSingle();
    long[] epochs = Requests.registerBrokers(q, 3);
    Requests.createTopic(q, "orders", 6, 3);
    TopicImage before = q.image().topic("orders").orElseThrow();
    List<PartitionState> ledBy1 =
        before.partitions().stream().filter(p -> p.leader() == 1).toList();
    assertThat(ledBy1).isNotEmpty();

    clock.advance(SESSION.plusSeconds(1));
    heartbeat(q, 2, epochs[2]);
    heartbeat(q, 3, epochs[3]);
    await().atMost(QuorumCluster.WAIT).until(() -> fenced(q, 1));

    TopicImage after = q.image().topic("orders").orElseThrow();
    assertThat(fenced(q, 2)).isFalse();
    for (PartitionState old : ledBy1) {
      PartitionState now = after.partition(old.partition());
      assertThat(now.leader()).isIn(2, 3);
      assertThat(now.leaderEpoch()).isEqualTo(old.leaderEpoch() + 1);
      assertThat(now.isr()).doesNotContain(1).contains(now.leader());
      assertThat(now.partitionEpoch()).isGreaterThan(old.partitionEpoch());
    }
    for (PartitionState p : after.partitions()) {
      assertThat(p.isr()).doesNotContain(1);
    }
  }

  @Test
  void controlledShutdownMovesLeadershipAndFencesAtOnceWithoutWaitingForTheSession()
      throws Exception {
    MetadataQuorum q = startSingle();
    long[] epochs = Requests.registerBrokers(q, 3);
    Requests.createTopic(q, "orders", 6, 3);
    Requests.createTopic(q, "alone", 3, 1);
    TopicImage before = q.image().topic("orders").orElseThrow();
    long aloneLedBy1 =
        q.image().topic("alone").orElseThrow().partitions().stream()
            .filter(p -> p.leader() == 1)
            .count();
    // No clock movement: only the request can move anything.
    int offline = q.controller().controlledShutdown(1, epochs[1]).get(30, TimeUnit.SECONDS);
    assertThat(offline).isEqualTo((int) aloneLedBy1);
    assertThat(fenced(q, 1)).isTrue();
    TopicImage after = q.image().topic("orders").orElseThrow();
    for (PartitionState old : before.partitions()) {
      PartitionState now = after.partition(old.partition());
      assertThat(now.isr()).doesNotContain(1);
      if (old.leader() == 1) {
        assertThat(now.leader()).isIn(2, 3);
        assertThat(now.leaderEpoch()).isEqualTo(old.leaderEpoch() + 1);
      }
    }
    // Asked again (a retry after a lost answer): already fenced, nothing more to move.
    assertThat(q.controller().controlledShutdown(1, epochs[1]).get(30, TimeUnit.SECONDS))
        .isEqualTo((int) aloneLedBy1);
    long index = q.image().lastAppliedIndex();
    assertError(
        () -> q.controller().controlledShutdown(2, epochs[2] + 7).get(30, TimeUnit.SECONDS),
        ErrorCode.STALE_BROKER_EPOCH);
    assertError(
        () -> q.controller().controlledShutdown(42, 1).get(30, TimeUnit.SECONDS),
        ErrorCode.BROKER_NOT_AVAILABLE);
    assertThat(q.linearizableImage().get(30, TimeUnit.SECONDS).lastAppliedIndex()).isEqualTo(index);
    assertThat(fenced(q, 2)).isFalse();
  }

  @Test
  void returningBrokerIsUnfencedAndLeadsTheOfflinePartitionsItHolds() throws Exception {
    MetadataQuorum q = startSingle();
    long[] epochs = Requests.registerBrokers(q, 2);
    // One replica on broker 1 or 2: fencing its broker leaves it offline with ISR [it].
    Requests.createTopic(q, "single", 2, 1);
    PartitionState p0 = q.image().topic("single").orElseThrow().partition(0);
    int owner = p0.leader();
    int other = owner == 1 ? 2 : 1;

    clock.advance(SESSION.plusSeconds(1));
    heartbeat(q, other, epochs[other]);
    await().atMost(QuorumCluster.WAIT).until(() -> fenced(q, owner));
    PartitionState offline = q.image().topic("single").orElseThrow().partition(0);
    assertThat(offline.leader()).isEqualTo(PartitionState.NO_LEADER);
    assertThat(offline.isr()).containsExactly(owner);

    HeartbeatResult r = heartbeat(q, owner, epochs[owner]);
    assertThat(r.fenced()).isFalse();
    assertThat(fenced(q, owner)).isFalse();
    PartitionState back = q.image().topic("single").orElseThrow().partition(0);
    assertThat(back.leader()).isEqualTo(owner);
    assertThat(back.leaderEpoch()).isEqualTo(offline.leaderEpoch() + 1);
  }

  @Test
  void partitionWithoutLiveIsrStaysOfflineUnlessTheTopicAllowsUncleanElection() throws Exception {
    MetadataQuorum q = startSingle();
    long[] epochs = Requests.registerBrokers(q, 2);
    q.controller()
        .createTopics(
            Requests.create("unclean", 1, 2, Map.of(TopicConfigs.UNCLEAN_LEADER_ELECTION, "true")))
        .get(Requests.TIMEOUT_S, TimeUnit.SECONDS);
    q.controller()
        .createTopics(Requests.create("clean", 1, 2))
        .get(Requests.TIMEOUT_S, TimeUnit.SECONDS);
    // Placement spreads preferred leaders: "unclean" on 1, "clean" on 2.
    assertThat(q.image().topic("unclean").orElseThrow().partition(0).leader()).isEqualTo(1);
    assertThat(q.image().topic("clean").orElseThrow().partition(0).leader()).isEqualTo(2);
    // Both leaders shrink their ISR to themselves (their follower fell behind).
    for (String t : List.of("clean", "unclean")) {
      PartitionState p = q.image().topic(t).orElseThrow().partition(0);
      PartitionState shrunk =
          q.controller()
              .alterPartition(
                  t, 0, p.leader(), p.leaderEpoch(), p.partitionEpoch(), List.of(p.leader()))
              .get(Requests.TIMEOUT_S, TimeUnit.SECONDS);
      assertThat(shrunk.isr()).containsExactly(p.leader());
      assertThat(shrunk.partitionEpoch()).isEqualTo(p.partitionEpoch() + 1);
    }

    // Broker 1 goes silent: "unclean" has no live ISR member and takes the out-of-sync replica.
    clock.advance(SESSION.plusSeconds(1));
    heartbeat(q, 2, epochs[2]);
    await().atMost(QuorumCluster.WAIT).until(() -> fenced(q, 1));
    PartitionState unclean = q.image().topic("unclean").orElseThrow().partition(0);
    assertThat(unclean.leader()).isEqualTo(2);
    assertThat(unclean.isr()).containsExactly(2);
    assertThat(unclean.leaderEpoch()).isEqualTo(1);

    // Broker 1 returns (in no ISR), then broker 2 goes silent: "clean" stays offline.
    heartbeat(q, 1, epochs[1]);
    assertThat(fenced(q, 1)).isFalse();
    clock.advance(SESSION.plusSeconds(1));
    heartbeat(q, 1, epochs[1]);
    await().atMost(QuorumCluster.WAIT).until(() -> fenced(q, 2));
    PartitionState clean = q.image().topic("clean").orElseThrow().partition(0);
    assertThat(clean.leader()).isEqualTo(PartitionState.NO_LEADER);
    assertThat(clean.isr()).containsExactly(2);
    unclean = q.image().topic("unclean").orElseThrow().partition(0);
    assertThat(unclean.leader()).isEqualTo(1);
    assertThat(unclean.isr()).containsExactly(1);
  }

  @Test
  void alterPartitionIsAcceptedOnlyWithCurrentLeaderAndPartitionEpochs() throws Exception {
    MetadataQuorum q = startSingle();
    Requests.registerBrokers(q, 3);
    Requests.createTopic(q, "isr", 1, 3);
    PartitionState p = q.image().topic("isr").orElseThrow().partition(0);
    List<Integer> shrunk = p.replicas().subList(0, 2);
    PartitionState after =
        q.controller()
            .alterPartition("isr", 0, p.leader(), p.leaderEpoch(), p.partitionEpoch(), shrunk)
            .get(Requests.TIMEOUT_S, TimeUnit.SECONDS);
    assertThat(after.isr()).isEqualTo(shrunk);
    long index = q.image().lastAppliedIndex();

    assertError(
        () ->
            q.controller()
                .alterPartition("isr", 0, p.leader(), p.leaderEpoch(), p.partitionEpoch(), p.isr())
                .get(Requests.TIMEOUT_S, TimeUnit.SECONDS),
        ErrorCode.INVALID_UPDATE_VERSION);
    assertError(
        () ->
            q.controller()
                .alterPartition(
                    "isr", 0, p.leader(), p.leaderEpoch() - 1, after.partitionEpoch(), p.isr())
                .get(Requests.TIMEOUT_S, TimeUnit.SECONDS),
        ErrorCode.FENCED_LEADER_EPOCH);
    int notLeader = p.replicas().get(1);
    assertError(
        () ->
            q.controller()
                .alterPartition(
                    "isr", 0, notLeader, p.leaderEpoch(), after.partitionEpoch(), p.isr())
                .get(Requests.TIMEOUT_S, TimeUnit.SECONDS),
        ErrorCode.FENCED_LEADER_EPOCH);
    assertThat(q.linearizableImage().get(Requests.TIMEOUT_S, TimeUnit.SECONDS).lastAppliedIndex())
        .isEqualTo(index);
  }

  @Test
  void newControllerGivesBrokersAFullSessionBeforeFencing() throws Exception {
    cluster = QuorumCluster.start(dir, 3, clock, SESSION);
    MetadataQuorum leader = cluster.awaitController();
    long[] epochs = Requests.registerBrokers(leader, 1);
    heartbeat(leader, 1, epochs[1]);
    clock.advance(Duration.ofSeconds(5));
    cluster.stop(leader.nodeId());
    MetadataQuorum next = cluster.awaitController();
    // The new controller has taken over (and started its sessions) once it has ticked.
    await().atMost(QuorumCluster.WAIT).until(() -> next.controllerTicks() >= 1);
    // 9 s since the last heartbeat, 4 s since the new controller took over: not fenced yet.
    clock.advance(Duration.ofSeconds(4));
    long ticks = next.controllerTicks();
    await().atMost(QuorumCluster.WAIT).until(() -> next.controllerTicks() >= ticks + 3);
    assertThat(fenced(next, 1)).isFalse();
    clock.advance(Duration.ofSeconds(3));
    await().atMost(QuorumCluster.WAIT).until(() -> fenced(next, 1));
  }

  interface Call {
    Object run() throws Exception;
  }

  static void assertError(Call call, ErrorCode code) {
    assertThatThrownBy(call::run)
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(ControllerException.class)
        .satisfies(e -> assertThat(((ControllerException) e).error()).isEqualTo(code));
  }
}
