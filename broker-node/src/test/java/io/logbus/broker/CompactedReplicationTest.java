package io.logbus.broker;

import static io.logbus.broker.TestRecords.produce;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.logbus.log.PartitionLog;
import io.logbus.proto.ErrorCode;
import io.logbus.record.CompressionType;
import io.logbus.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A compacted leader log has gaps: the batch holding a follower's next offset may start later. A
 * follower must still catch up, or a compacted topic (the consumer-offsets topic among them) could
 * never regain a full ISR after a replica restarts.
 */
class CompactedReplicationTest {
  private static final String TOPIC = "offsets";
  private static final PartitionKey P0 = new PartitionKey(TOPIC, 0);

  @TempDir Path dir;
  private TestCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static ByteBuffer keyed(String key, String value) {
    RecordBatchBuilder builder = new RecordBatchBuilder(CompressionType.NONE, 0);
    builder.append(
        1_700_000_000_000L,
        key.getBytes(StandardCharsets.UTF_8),
        value.getBytes(StandardCharsets.UTF_8),
        List.of());
    return builder.build();
  }

  private PartitionLog log(int broker) {
    return cluster.broker(broker).replicaManager().partition(P0).orElseThrow().log();
  }

  @Test
  void followerCatchesUpAcrossCompactionGaps() {
    cluster =
        new TestCluster(
            dir,
            10_000,
            Map.of(
                "cleanup.policy", "compact",
                "segment.bytes", "1024",
                "min.cleanable.dirty.ratio", "0.01"));
    cluster.start(1);
    cluster.createPartition(TOPIC, 0, List.of(1));
    for (int i = 0; i < 60; i++) {
      var result =
          cluster
              .blocking(1)
              .withDeadlineAfter(20, TimeUnit.SECONDS)
              .produce(produce(TOPIC, 0, 1, keyed("k" + (i % 3), "v" + i)))
              .getPartitions(0);
      assertThat(result.getError()).isEqualTo(ErrorCode.NONE);
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> log(1).highWatermark() == log(1).logEndOffset());
    cluster.broker(1).logManager().runBackgroundPass();
    long leaderEnd = log(1).logEndOffset();
    assertThat(log(1).read(0, 1 << 20, leaderEnd).firstOffset())
        .as("compaction removed the first offsets")
        .isPositive();

    cluster.start(2);
    PartitionAssignment before = cluster.assignment(P0);
    cluster.apply(
        new PartitionAssignment(
            TOPIC,
            0,
            1,
            before.leaderEpoch(),
            before.partitionEpoch() + 1,
            List.of(1, 2),
            List.of(1)));

    await().atMost(Duration.ofSeconds(20)).until(() -> log(2).logEndOffset() == leaderEnd);
    assertThat(TestRecords.logValues(log(2), leaderEnd))
        .isEqualTo(TestRecords.logValues(log(1), leaderEnd))
        .hasSizeLessThan(60);
  }
}
