package io.logbus.group;

import static org.assertj.core.api.Assertions.assertThat;

import io.logbus.log.LogConfig;
import io.logbus.log.LogManager;
import io.logbus.log.PartitionLog;
import io.logbus.proto.DeleteGroupRequest;
import io.logbus.proto.DescribeGroupRequest;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.GroupDescription;
import io.logbus.proto.OffsetCommitPartition;
import io.logbus.proto.OffsetCommitRequest;
import io.logbus.proto.OffsetCommitTopic;
import io.logbus.proto.OffsetFetchRequest;
import io.logbus.proto.TopicPartitions;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator over real log-store partitions in a temp folder: writes go to segment files, a
 * new coordinator (failover) or a reopened log manager (restart) rebuilds state from them, and
 * log-store's compaction keeps only the latest record per key.
 */
class CoordinatorOverPartitionLogTest {

  static final GroupConfig CONFIG = GroupConfig.defaults().withOffsetsTopicPartitions(2);

  @TempDir Path dir;
  MutableClock clock = new MutableClock(1_700_000_000_000L);
  LogManager logs;
  PartitionLogOffsetsLog offsetsLog;
  GroupCoordinator coordinator;

  @BeforeEach
  void open() {
    openLogs();
    coordinator = newCoordinator();
  }

  @AfterEach
  void close() {
    if (logs != null) {
      logs.close();
    }
  }

  void openLogs() {
    // No background thread: compaction runs when the test asks.
    logs = LogManager.open(dir, LogConfig.defaults(), clock, null);
    offsetsLog = new PartitionLogOffsetsLog(logs);
  }

  GroupCoordinator newCoordinator() {
    GroupCoordinator c = new GroupCoordinator(CONFIG, offsetsLog, null, clock);
    c.onTopicMetadata(Map.of("t", 6));
    for (int p = 0; p < CONFIG.offsetsTopicPartitions(); p++) {
      c.loadPartition(p).join();
    }
    return c;
  }

  static OffsetCommitRequest commit(
      String group, String member, int epoch, int partition, long offset) {
    return OffsetCommitRequest.newBuilder()
        .setGroupId(group)
        .setMemberId(member)
        .setMemberEpoch(epoch)
        .addTopics(
            OffsetCommitTopic.newBuilder()
                .setTopic("t")
                .addPartitions(
                    OffsetCommitPartition.newBuilder()
                        .setPartition(partition)
                        .setCommittedOffset(offset)))
        .build();
  }

  static long fetch(GroupCoordinator c, String group, int partition) {
    return c.fetchOffsets(
            OffsetFetchRequest.newBuilder()
                .setGroupId(group)
                .addTopics(TopicPartitions.newBuilder().setTopic("t").addPartitions(partition))
                .build())
        .join()
        .getTopics(0)
        .getPartitions(0)
        .getCommittedOffset();
  }

  static GroupDescription describe(GroupCoordinator c, String group) {
    return c.describeGroups(DescribeGroupRequest.newBuilder().addGroupIds(group).build())
        .join()
        .getGroups(0);
  }

  /** Every record of a partition, in offset order, as (key, value) entries. */
  List<OffsetsBatches.LoadedEntry> scan(int partition) {
    PartitionLog log = offsetsLog.log(partition);
    List<OffsetsBatches.LoadedEntry> all = new ArrayList<>();
    long from = log.logStartOffset();
    while (from < log.highWatermark()) {
      ByteBuffer data = log.read(from, 1 << 20, log.highWatermark()).records();
      if (!data.hasRemaining()) {
        break;
      }
      all.addAll(OffsetsBatches.decode(data.duplicate()));
      from = OffsetsBatches.nextOffset(data, from);
    }
    return all;
  }

  @Test
  void aNewCoordinatorOverTheSameFilesRestoresOffsetsAndGroups() {
    TestMember a = new TestMember(coordinator, "g", "t");
    TestMember b = new TestMember(coordinator, "g", "t");
    TestMember.converge(a, b);
    assertThat(
            coordinator.commitOffsets(commit("g", a.memberId, a.epoch, 1, 100)).join().getError())
        .isEqualTo(ErrorCode.NONE);
    GroupDescription before = describe(coordinator, "g");

    GroupCoordinator failover = newCoordinator();
    assertThat(fetch(failover, "g", 1)).isEqualTo(100);
    assertThat(describe(failover, "g")).isEqualTo(before);
  }

  @Test
  void aRestartFromDiskRestoresCommittedOffsets() {
    TestMember a = new TestMember(coordinator, "g", "t");
    a.heartbeat();
    coordinator.commitOffsets(commit("g", a.memberId, a.epoch, 0, 7)).join();
    coordinator.commitOffsets(commit("h", "", -1, 5, 55)).join();
    logs.close();
    openLogs();
    GroupCoordinator restarted = newCoordinator();
    assertThat(fetch(restarted, "g", 0)).isEqualTo(7);
    assertThat(fetch(restarted, "h", 5)).isEqualTo(55);
    assertThat(describe(restarted, "g").getMembersCount()).isEqualTo(1);
  }

  @Test
  void compactionKeepsOnlyTheLatestOffsetPerKey() {
    int p = GroupCoordinator.partitionFor("g", CONFIG.offsetsTopicPartitions());
    for (long offset = 1; offset <= 200; offset++) {
      coordinator.commitOffsets(commit("g", "", -1, (int) (offset % 3), offset)).join();
    }
    PartitionLog log = offsetsLog.log(p);
    assertThat(log.segmentCount()).as("small segments rolled").isGreaterThan(1);
    log.roll(); // everything in closed segments: the cleaner never touches the active one
    long sizeBefore = log.sizeInBytes();
    logs.runBackgroundPass();

    Map<String, Integer> recordsPerKey = new HashMap<>();
    for (OffsetsBatches.LoadedEntry e : scan(p)) {
      recordsPerKey.merge(
          OffsetsTopicFormat.decodeKey(ByteBuffer.wrap(e.key())).toString(), 1, Integer::sum);
    }
    assertThat(recordsPerKey).hasSize(3).allSatisfy((key, n) -> assertThat(n).as(key).isEqualTo(1));
    assertThat(log.sizeInBytes()).isLessThan(sizeBefore);
    // The survivors are the latest commits, and a reload from the compacted log sees them.
    GroupCoordinator reloaded = newCoordinator();
    assertThat(fetch(reloaded, "g", 0)).isEqualTo(198);
    assertThat(fetch(reloaded, "g", 1)).isEqualTo(199);
    assertThat(fetch(reloaded, "g", 2)).isEqualTo(200);
  }

  @Test
  void aDeletedGroupsTombstonesAreCompactedAwayAfterDeleteRetention() {
    int p = GroupCoordinator.partitionFor("g", CONFIG.offsetsTopicPartitions());
    for (long offset = 1; offset <= 50; offset++) {
      coordinator.commitOffsets(commit("g", "", -1, 0, offset)).join();
    }
    assertThat(
            coordinator
                .deleteGroups(DeleteGroupRequest.newBuilder().addGroupIds("g").build())
                .join()
                .getResults(0)
                .getError())
        .isEqualTo(ErrorCode.NONE);
    PartitionLog log = offsetsLog.log(p);
    log.roll();
    logs.runBackgroundPass();
    // Tombstones stay for delete.retention.ms so that a lagging reader still sees the delete.
    assertThat(scan(p))
        .extracting(OffsetsBatches.LoadedEntry::value)
        .containsOnlyNulls()
        .isNotEmpty();
    assertThat(fetch(newCoordinator(), "g", 0)).isEqualTo(-1);

    clock.advance(log.config().deleteRetentionMs() + 1);
    String other = "other";
    for (int i = 0;
        GroupCoordinator.partitionFor(other, CONFIG.offsetsTopicPartitions()) != p;
        i++) {
      other = "other-" + i;
    }
    coordinator.commitOffsets(commit(other, "", -1, 0, 1)).join(); // new dirty data in p
    log.roll();
    logs.runBackgroundPass();
    assertThat(scan(p))
        .extracting(e -> OffsetsTopicFormat.decodeKey(ByteBuffer.wrap(e.key())).group())
        .doesNotContain("g");
  }
}
