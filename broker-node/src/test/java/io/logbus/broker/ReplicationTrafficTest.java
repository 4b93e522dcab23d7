package io.logbus.broker;

import static io.logbus.broker.TestRecords.batch;
import static io.logbus.broker.TestRecords.produce;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.logbus.proto.ErrorCode;
import io.logbus.proto.PartitionProduceResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What replication and produce cost per request: messages per batch, timers left queued. */
class ReplicationTrafficTest {
  private static final String TOPIC = "traffic";
  private static final PartitionKey P0 = new PartitionKey(TOPIC, 0);

  @TempDir Path dir;
  private TestCluster cluster;

  @BeforeEach
  void start() {
    cluster = new TestCluster(dir, 10_000, Map.of("min.insync.replicas", "2"));
    for (int id = 1; id <= 3; id++) {
      cluster.start(id);
    }
  }

  private void createPartition() {
    cluster.createPartition(TOPIC, 0, List.of(1, 2, 3));
  }

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private void sendAcked(int i) {
    PartitionProduceResult result =
        cluster
            .blocking(1)
            .withDeadlineAfter(20, TimeUnit.SECONDS)
            .produce(produce(TOPIC, 0, -1, batch("v" + i)))
            .getPartitions(0);
    assertThat(result.getError()).isEqualTo(ErrorCode.NONE);
    assertThat(result.getBaseOffset()).isEqualTo(i);
  }

  private Partition partition(int broker) {
    return cluster.broker(broker).replicaManager().partition(P0).orElseThrow();
  }

  private BrokerMetrics metrics(int broker) {
    return cluster.broker(broker).replicaManager().metrics();
  }

  @Test
  void aHighWatermarkMoveRidesOnTheNextPushWithRecords() {
    // So long that no HW-only push can go out during the test.
    cluster.broker(1).replicaManager().hwOnlyPushDelayMs(600_000);
    createPartition();
    for (int i = 0; i < 10; i++) {
      sendAcked(i);
    }
    assertThat(metrics(1).replicationPushCount(false)).isZero();
    assertThat(metrics(1).replicationPushCount(true)).isGreaterThanOrEqualTo(20);
    // Batch 9 was pushed after batch 8 was acknowledged (HW 9), and both followers appended it
    // (taking its HW) before reporting it durable, which the acknowledgement of batch 9 needed.
    for (int follower : List.of(2, 3)) {
      assertThat(partition(follower).highWatermark()).isGreaterThanOrEqualTo(9);
    }
  }

  @Test
  void anIdleFollowerLearnsTheHighWatermarkWithoutFurtherRecords() {
    createPartition();
    for (int i = 0; i < 3; i++) {
      sendAcked(i);
    }
    assertThat(partition(1).highWatermark()).isEqualTo(3);
    for (int follower : List.of(2, 3)) {
      await().atMost(Duration.ofSeconds(10)).until(() -> partition(follower).highWatermark() == 3);
    }
    assertThat(metrics(1).replicationPushCount(false)).isGreaterThanOrEqualTo(1);
  }

  @Test
  void followersReportDurableEndsAndTheLeaderCountsThem() {
    createPartition();
    for (int i = 0; i < 5; i++) {
      sendAcked(i);
    }
    for (int follower : List.of(2, 3)) {
      assertThat(partition(1).followerLogEndOffset(follower)).isEqualTo(5);
      // Each message carries at least one partition's report.
      assertThat(metrics(follower).leoReportCount())
          .isGreaterThanOrEqualTo(metrics(follower).leoMessageCount());
      assertThat(metrics(follower).leoMessageCount()).isGreaterThanOrEqualTo(1);
    }
  }

  @Test
  void answeredProducesLeaveNoTimeoutQueued() {
    createPartition();
    ScheduledThreadPoolExecutor scheduler =
        (ScheduledThreadPoolExecutor) cluster.broker(1).scheduler();
    int before = scheduler.getQueue().size();
    for (int i = 0; i < 30; i++) {
      sendAcked(i);
    }
    // Each acks=all request scheduled a 30 s timeout; answered ones are cancelled and removed at
    // once. (Short HW wake-ups of 50 ms may still be queued for a moment, hence the wait.)
    await().atMost(Duration.ofSeconds(10)).until(() -> scheduler.getQueue().size() < before + 5);
  }

  @Test
  void hwOnlyPushDelayMustBePositive() {
    ReplicaManager replicas = cluster.broker(1).replicaManager();
    assertThatThrownBy(() -> replicas.hwOnlyPushDelayMs(0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> replicas.hwOnlyPushDelayMs(-5))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(replicas.hwOnlyPushDelayMs())
        .isEqualTo(ReplicaManager.DEFAULT_HW_ONLY_PUSH_DELAY_MS);
  }
}
