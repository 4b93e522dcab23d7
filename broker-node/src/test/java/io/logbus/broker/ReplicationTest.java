package io.logbus.broker;

import static io.logbus.broker.TestRecords.batch;
import static io.logbus.broker.TestRecords.logValues;
import static io.logbus.broker.TestRecords.produce;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.logbus.log.PartitionLog;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.PartitionProduceResult;
import io.logbus.proto.ProduceResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The replication path between real brokers over loopback gRPC. */
class ReplicationTest {
  private static final String TOPIC = "orders";
  private static final PartitionKey P0 = new PartitionKey(TOPIC, 0);

  @TempDir Path dir;
  private TestCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private TestCluster cluster(long lagMs, Map<String, String> topicDefaults, int... ids) {
    cluster = new TestCluster(dir, lagMs, topicDefaults);
    for (int id : ids) {
      cluster.start(id);
    }
    return cluster;
  }

  private PartitionProduceResult send(int broker, int acks, String... values) {
    ProduceResponse response =
        cluster
            .blocking(broker)
            .withDeadlineAfter(20, java.util.concurrent.TimeUnit.SECONDS)
            .produce(produce(TOPIC, 0, acks, batch(values)));
    return response.getPartitions(0);
  }

  private PartitionLog log(int broker) {
    return cluster.broker(broker).replicaManager().partition(P0).orElseThrow().log();
  }

  @Test
  void acksAllProduceReachesEveryReplicaBeforeTheAnswer() {
    cluster(10_000, Map.of("min.insync.replicas", "2"), 1, 2, 3);
    cluster.createPartition(TOPIC, 0, List.of(1, 2, 3));
    List<String> sent = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      PartitionProduceResult result = send(1, -1, "v" + i);
      assertThat(result.getError()).isEqualTo(ErrorCode.NONE);
      assertThat(result.getBaseOffset()).isEqualTo(i);
      sent.add("v" + i);
      // acks=all: the HW passed the batch, so every ISR member had it durable.
      for (int replica : List.of(2, 3)) {
        assertThat(log(replica).logEndOffset()).isGreaterThanOrEqualTo(i + 1);
      }
    }
    for (int replica : List.of(1, 2, 3)) {
      assertThat(logValues(log(replica), 20)).isEqualTo(sent);
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                cluster.broker(2).replicaManager().partition(P0).orElseThrow().highWatermark()
                    == 20);
  }

  @Test
  void everyAcknowledgedRecordSurvivesLeaderLossOnceAndInOrder() {
    cluster(10_000, Map.of("min.insync.replicas", "2"), 1, 2, 3);
    cluster.createPartition(TOPIC, 0, List.of(1, 2, 3));
    List<String> acked = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      if (send(1, -1, "a" + i).getError() == ErrorCode.NONE) {
        acked.add("a" + i);
      }
    }
    cluster.kill(1);
    cluster.elect(P0, 2, List.of(2, 3));
    for (int i = 0; i < 30; i++) {
      PartitionProduceResult result = send(2, -1, "b" + i);
      assertThat(result.getError()).isEqualTo(ErrorCode.NONE);
      acked.add("b" + i);
    }
    assertThat(acked).hasSize(60);
    long hw = cluster.broker(2).replicaManager().partition(P0).orElseThrow().highWatermark();
    assertThat(hw).isEqualTo(60);
    assertThat(logValues(log(2), hw)).isEqualTo(acked);
    await().atMost(Duration.ofSeconds(10)).until(() -> log(3).logEndOffset() == 60);
    assertThat(logValues(log(3), 60)).isEqualTo(acked);
  }

  @Test
  void followerTruncatesTheUnreplicatedTailOfALostLeader() {
    cluster(10_000, Map.of(), 1, 2);
    cluster.createPartition(TOPIC, 0, List.of(1, 2));
    for (int i = 0; i < 5; i++) {
      assertThat(send(1, -1, "common" + i).getError()).isEqualTo(ErrorCode.NONE);
    }
    // Broker 2 goes away; broker 1 takes writes nobody else has (acks=1).
    cluster.kill(2);
    for (int i = 0; i < 3; i++) {
      assertThat(send(1, 1, "lost" + i).getError()).isEqualTo(ErrorCode.NONE);
    }
    assertThat(log(1).logEndOffset()).isEqualTo(8);
    // Broker 1 dies; 2 comes back and is made leader (unclean: the tail is lost).
    cluster.kill(1);
    cluster.start(2);
    cluster.elect(P0, 2, List.of(2));
    for (int i = 0; i < 2; i++) {
      assertThat(send(2, -1, "new" + i).getError()).isEqualTo(ErrorCode.NONE);
    }
    // Broker 1 returns as a follower at the new epoch: it must drop "lost*" before fetching.
    cluster.start(1);
    cluster.apply(cluster.assignment(P0));
    List<String> expected =
        List.of("common0", "common1", "common2", "common3", "common4", "new0", "new1");
    await().atMost(Duration.ofSeconds(10)).until(() -> log(1).logEndOffset() == 7);
    assertThat(logValues(log(1), 7)).isEqualTo(expected);
    assertThat(logValues(log(2), 7)).isEqualTo(expected);
  }

  @Test
  void laggingFollowerLeavesTheIsrAndAcksAllCarriesOn() {
    cluster(300, Map.of("min.insync.replicas", "2"), 1, 2, 3);
    cluster.createPartition(TOPIC, 0, List.of(1, 2, 3));
    // A cold JVM may take longer than the lag bound to connect a follower: wait for a full ISR.
    assertThat(send(1, 1, "x").getError()).isEqualTo(ErrorCode.NONE);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                cluster.assignment(P0).isr().size() == 3
                    && cluster
                            .broker(1)
                            .replicaManager()
                            .partition(P0)
                            .orElseThrow()
                            .highWatermark()
                        == 1);
    cluster.kill(3);
    PartitionProduceResult result = send(1, -1, "y");
    assertThat(result.getError()).isEqualTo(ErrorCode.NONE);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> cluster.assignment(P0).isr().equals(List.of(1, 2)));
    assertThat(cluster.broker(1).metrics().isrShrinkCount()).isGreaterThanOrEqualTo(1);
  }

  @Test
  void returningFollowerRejoinsTheIsrOnceCaughtUp() {
    cluster(300, Map.of(), 1, 2);
    cluster.createPartition(TOPIC, 0, List.of(1, 2));
    cluster.kill(2);
    assertThat(send(1, 1, "while-away").getError()).isEqualTo(ErrorCode.NONE);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> cluster.assignment(P0).isr().equals(List.of(1)));
    cluster.start(2);
    cluster.apply(cluster.assignment(P0));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> cluster.assignment(P0).isr().containsAll(List.of(1, 2)));
    assertThat(logValues(log(2), 1)).containsExactly("while-away");
  }

  @Test
  void acksAllIsRefusedWhenTheIsrIsBelowMinInsync() {
    cluster(10_000, Map.of("min.insync.replicas", "2"), 1, 2);
    cluster.createPartition(TOPIC, 0, List.of(1, 2));
    cluster.kill(2);
    cluster.elect(P0, 1, List.of(1));
    PartitionProduceResult result = send(1, -1, "nope");
    assertThat(result.getError()).isEqualTo(ErrorCode.NOT_ENOUGH_REPLICAS);
    assertThat(log(1).logEndOffset()).isZero();
    assertThat(send(1, 1, "fine").getError()).isEqualTo(ErrorCode.NONE);
  }
}
