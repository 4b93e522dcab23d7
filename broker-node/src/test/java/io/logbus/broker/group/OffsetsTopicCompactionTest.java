package io.logbus.broker.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.logbus.broker.LogbusNode;
import io.logbus.broker.testing.NodeCluster;
import io.logbus.group.GroupConfig;
import io.logbus.group.OffsetsTopicFormat;
import io.logbus.group.TopicPartition;
import io.logbus.log.LogReadInfo;
import io.logbus.log.PartitionLog;
import io.logbus.proto.AdminServiceGrpc;
import io.logbus.proto.AlterConfigsRequest;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.FindCoordinatorRequest;
import io.logbus.proto.FindCoordinatorResponse;
import io.logbus.proto.GroupServiceGrpc;
import io.logbus.proto.OffsetCommitPartition;
import io.logbus.proto.OffsetCommitRequest;
import io.logbus.proto.OffsetCommitTopic;
import io.logbus.proto.OffsetFetchPartitionResult;
import io.logbus.proto.OffsetFetchRequest;
import io.logbus.proto.OffsetFetchResponse;
import io.logbus.record.Record;
import io.logbus.record.RecordBatch;
import io.logbus.record.RecordBatches;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7's compaction check at broker level, on three real nodes: many commits of the same (group,
 * topic, partition) keys into {@code __consumer_offsets} with small segments, then the cleaner runs
 * on every replica; each replica keeps only the latest record per key, and a coordinator that
 * reloads from the compacted log (after the old one's node dies) answers the latest offsets.
 */
class OffsetsTopicCompactionTest {
  private static final String GROUP = "ledger";
  private static final String TOPIC = "orders";
  private static final int KEYS = 3;
  private static final int ROUNDS = 60;
  private static final String OFFSETS_PARTITION = GroupConfig.OFFSETS_TOPIC + "-0";

  @TempDir Path dir;
  private NodeCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private GroupServiceGrpc.GroupServiceBlockingStub groups(int node) {
    return GroupServiceGrpc.newBlockingStub(cluster.channel(node))
        .withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  /** Asks {@code node} until a coordinator is named and has loaded the group's partition. */
  private int coordinator(int node, int notThis) {
    AtomicReference<FindCoordinatorResponse> found = new AtomicReference<>();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(
            () -> {
              found.set(
                  groups(node)
                      .findCoordinator(
                          FindCoordinatorRequest.newBuilder().setGroupId(GROUP).build()));
              int id = found.get().getNodeId();
              return found.get().getError() == ErrorCode.NONE
                  && id != notThis
                  && fetch(id).getError() == ErrorCode.NONE;
            });
    return found.get().getNodeId();
  }

  private OffsetFetchResponse fetch(int node) {
    return groups(node).offsetFetch(OffsetFetchRequest.newBuilder().setGroupId(GROUP).build());
  }

  /** A commit outside any membership (empty member id, epoch -1), as Kafka's simple consumers. */
  private void commit(int node, long offset) {
    OffsetCommitTopic.Builder t = OffsetCommitTopic.newBuilder().setTopic(TOPIC);
    for (int p = 0; p < KEYS; p++) {
      t.addPartitions(
          OffsetCommitPartition.newBuilder()
              .setPartition(p)
              .setCommittedOffset(offset + p)
              .setCommittedLeaderEpoch(-1));
    }
    var answer =
        groups(node)
            .offsetCommit(
                OffsetCommitRequest.newBuilder()
                    .setGroupId(GROUP)
                    .setMemberId("")
                    .setMemberEpoch(-1)
                    .addTopics(t)
                    .build());
    assertThat(answer.getError()).isEqualTo(ErrorCode.NONE);
    answer
        .getTopicsList()
        .forEach(
            r ->
                r.getPartitionsList()
                    .forEach(p -> assertThat(p.getError()).isEqualTo(ErrorCode.NONE)));
  }

  private static PartitionLog offsetsLog(LogbusNode node) {
    return node.broker().logManager().get(GroupConfig.OFFSETS_TOPIC, 0).orElseThrow();
  }

  /** Every offset-commit record of the log: (partition committed, offset committed), in order. */
  private static List<long[]> offsetRecords(PartitionLog log) {
    List<long[]> out = new ArrayList<>();
    long next = log.logStartOffset();
    long end = log.logEndOffset();
    while (next < end) {
      LogReadInfo read = log.read(next, 1 << 20, end);
      ByteBuffer records = read.records();
      if (!records.hasRemaining()) {
        break;
      }
      for (RecordBatch batch : RecordBatches.parse(records.duplicate())) {
        for (Record r : batch.records()) {
          if (r.offset() < next || r.key() == null) {
            continue;
          }
          if (OffsetsTopicFormat.decodeKey(ByteBuffer.wrap(r.key()))
                  instanceof OffsetsTopicFormat.OffsetKey key
              && key.group().equals(GROUP)
              && r.value() != null) {
            long committed =
                OffsetsTopicFormat.decodeOffsetValue(ByteBuffer.wrap(r.value())).offset();
            out.add(new long[] {key.partition().partition(), committed});
          }
        }
        next = batch.lastOffset() + 1;
      }
    }
    return out;
  }

  @Test
  void cleanerKeepsTheLatestCommitPerKeyAndAReloadedCoordinatorServesIt() {
    cluster = NodeCluster.start(dir, 3, GroupConfig.defaults().withOffsetsTopicPartitions(1));
    int coordinator = coordinator(1, -1);

    // Small segments for the offsets topic, on every live replica, through AlterConfigs.
    var altered =
        AdminServiceGrpc.newBlockingStub(cluster.channel(1))
            .alterConfigs(
                AlterConfigsRequest.newBuilder()
                    .setTopic(GroupConfig.OFFSETS_TOPIC)
                    .putSet("segment.bytes", "1024")
                    .build());
    assertThat(altered.getError()).isEqualTo(ErrorCode.NONE);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                cluster.nodes().stream()
                    .allMatch(n -> offsetsLog(n).config().segmentBytes() == 1024));

    for (int round = 0; round < ROUNDS; round++) {
      commit(coordinator, 1000L * round);
    }
    long last = 1000L * (ROUNDS - 1);
    // acks=all: every replica has every commit once the answers are in.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                cluster.nodes().stream()
                    .allMatch(n -> offsetRecords(offsetsLog(n)).size() == ROUNDS * KEYS));

    AtomicInteger segmentsBefore = new AtomicInteger();
    for (LogbusNode node : cluster.nodes()) {
      PartitionLog log = offsetsLog(node);
      segmentsBefore.set(Math.max(segmentsBefore.get(), log.segmentCount()));
      log.roll(); // the cleaner never touches the active segment: close the last commits' one
      node.broker().logManager().runBackgroundPass();
    }
    assertThat(segmentsBefore.get()).as("small segments rolled").isGreaterThan(5);

    for (LogbusNode node : cluster.nodes()) {
      List<long[]> kept = offsetRecords(offsetsLog(node));
      assertThat(kept)
          .as("node %d keeps one record per key, the latest", node.id())
          .hasSize(KEYS)
          .allMatch(r -> r[1] == last + r[0]);
    }

    cluster.kill(coordinator);
    int survivor = cluster.nodes().iterator().next().id();
    int next = coordinator(survivor, coordinator);
    Map<TopicPartition, Long> offsets = new HashMap<>();
    for (var t : fetch(next).getTopicsList()) {
      for (OffsetFetchPartitionResult p : t.getPartitionsList()) {
        offsets.put(new TopicPartition(t.getTopic(), p.getPartition()), p.getCommittedOffset());
      }
    }
    assertThat(offsets)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                new TopicPartition(TOPIC, 0), last,
                new TopicPartition(TOPIC, 1), last + 1,
                new TopicPartition(TOPIC, 2), last + 2));
  }
}
