package io.logbus.broker;

import static io.logbus.broker.TestRecords.batch;
import static io.logbus.broker.TestRecords.produce;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.logbus.proto.ErrorCode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Followers of a partition that has no data yet must still count as caught up. If they never told
 * the leader where they stand, the leader would drop them from the ISR after the lag time, and with
 * min.insync.replicas=2 no acks=all write could ever be appended for them to catch up with: a new
 * topic would refuse every write forever.
 */
class EmptyPartitionIsrTest {
  private static final String TOPIC = "fresh";
  private static final PartitionKey P0 = new PartitionKey(TOPIC, 0);

  @TempDir Path dir;
  private TestCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void followersOfAnEmptyPartitionAreCaughtUpAndTheFirstWriteSucceeds() {
    cluster = new TestCluster(dir, 10_000, Map.of("min.insync.replicas", "2"));
    for (int id = 1; id <= 3; id++) {
      cluster.start(id);
    }
    cluster.createPartition(TOPIC, 0, List.of(1, 2, 3));
    Partition leader = cluster.broker(1).replicaManager().partition(P0).orElseThrow();

    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> leader.followerLogEndOffset(2) == 0 && leader.followerLogEndOffset(3) == 0);

    var result =
        cluster
            .blocking(1)
            .withDeadlineAfter(20, TimeUnit.SECONDS)
            .produce(produce(TOPIC, 0, -1, batch("first")))
            .getPartitions(0);
    assertThat(result.getError()).isEqualTo(ErrorCode.NONE);
    assertThat(result.getBaseOffset()).isZero();
  }
}
