package io.logbus.group;

import static org.assertj.core.api.Assertions.assertThat;

import io.logbus.log.LogConfig;
import io.logbus.log.LogManager;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.OffsetCommitPartition;
import io.logbus.proto.OffsetCommitRequest;
import io.logbus.proto.OffsetCommitTopic;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Members on their own threads heartbeat, commit, leave and rejoin against one coordinator over a
 * real log (appends complete on log-store's flusher thread). Each member claims a partition in a
 * shared map when it is given one and drops the claim before the heartbeat that releases it, so a
 * partition handed over before its owner let go would show up as a double claim.
 */
class ConcurrentMembersTest {

  static final int MEMBERS = 4;
  static final int PARTITIONS = 12;
  static final int ROUNDS = 150;

  @TempDir Path dir;
  LogManager logs;
  ExecutorService threads = Executors.newFixedThreadPool(MEMBERS);

  @AfterEach
  void stop() throws InterruptedException {
    threads.shutdownNow();
    assertThat(threads.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    if (logs != null) {
      logs.close();
    }
  }

  @Test
  void concurrentMembersNeverShareAPartitionAndTheLastCommitWins() throws Exception {
    MutableClock clock = new MutableClock(1_700_000_000_000L);
    logs = LogManager.open(dir, LogConfig.defaults(), clock, null);
    PartitionLogOffsetsLog offsetsLog = new PartitionLogOffsetsLog(logs);
    GroupConfig config = GroupConfig.defaults().withOffsetsTopicPartitions(1);
    GroupCoordinator coordinator = new GroupCoordinator(config, offsetsLog, null, clock);
    coordinator.onTopicMetadata(Map.of("t", PARTITIONS));
    coordinator.loadPartition(0).join();

    Map<TopicPartition, String> claims = new ConcurrentHashMap<>();
    Map<Integer, Long> lastCommitted = new ConcurrentHashMap<>();
    AtomicLong values = new AtomicLong();
    List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
    List<TestMember> members = new ArrayList<>();
    List<Future<?>> running = new ArrayList<>();
    for (int i = 0; i < MEMBERS; i++) {
      TestMember m = new TestMember(coordinator, "g", "t");
      members.add(m);
      int index = i;
      running.add(
          threads.submit(
              () -> {
                for (int round = 0; round < ROUNDS && problems.isEmpty(); round++) {
                  if (round % 50 == 49 && index % 2 == 0) {
                    release(m, m.owned, claims);
                    m.leave();
                    m.epoch = 0;
                    m.memberId = "";
                    continue;
                  }
                  Set<TopicPartition> before = new TreeSet<>(m.owned);
                  if (m.heartbeat().getError() != ErrorCode.NONE) {
                    problems.add(
                        m.memberId + ": " + m.last.getError() + " " + m.last.getErrorMessage());
                    return;
                  }
                  for (TopicPartition tp : m.owned) {
                    if (!before.contains(tp)) {
                      String previous = claims.putIfAbsent(tp, m.memberId);
                      if (previous != null) {
                        problems.add(
                            tp + " given to " + m.memberId + " while " + previous + " owns it");
                      }
                    }
                  }
                  // Commit what we still own, then let go of what was revoked (before
                  // heartbeating).
                  commitOwned(coordinator, m, values, lastCommitted, problems);
                  Set<TopicPartition> revoked = new TreeSet<>(before);
                  revoked.removeAll(m.owned);
                  release(m, revoked, claims);
                }
              }));
    }
    for (Future<?> f : running) {
      f.get(120, TimeUnit.SECONDS);
    }
    assertThat(problems).isEmpty();

    TestMember[] all = members.toArray(TestMember[]::new);
    for (TestMember m : all) {
      if (m.memberId.isEmpty()) {
        m.heartbeat();
      }
    }
    TestMember.converge(all);
    Set<TopicPartition> owned = new HashSet<>();
    for (TestMember m : all) {
      assertThat(m.owned).hasSize(PARTITIONS / MEMBERS);
      owned.addAll(m.owned);
    }
    assertThat(owned).hasSize(PARTITIONS);

    GroupCoordinator reloaded = new GroupCoordinator(config, offsetsLog, null, clock);
    reloaded.onTopicMetadata(Map.of("t", PARTITIONS));
    reloaded.loadPartition(0).join();
    for (Map.Entry<Integer, Long> e : lastCommitted.entrySet()) {
      assertThat(CoordinatorOverPartitionLogTest.fetch(coordinator, "g", e.getKey()))
          .isEqualTo(e.getValue());
      assertThat(CoordinatorOverPartitionLogTest.fetch(reloaded, "g", e.getKey()))
          .isEqualTo(e.getValue());
    }
  }

  private static void release(
      TestMember m, Set<TopicPartition> tps, Map<TopicPartition, String> claims) {
    for (TopicPartition tp : tps) {
      claims.remove(tp, m.memberId);
    }
  }

  private static void commitOwned(
      GroupCoordinator coordinator,
      TestMember m,
      AtomicLong values,
      Map<Integer, Long> lastCommitted,
      List<String> problems) {
    if (m.owned.isEmpty()) {
      return;
    }
    OffsetCommitTopic.Builder topic = OffsetCommitTopic.newBuilder().setTopic("t");
    Map<Integer, Long> mine = new java.util.HashMap<>();
    for (TopicPartition tp : m.owned) {
      long value = values.incrementAndGet();
      mine.put(tp.partition(), value);
      topic.addPartitions(
          OffsetCommitPartition.newBuilder()
              .setPartition(tp.partition())
              .setCommittedOffset(value));
    }
    var response =
        coordinator
            .commitOffsets(
                OffsetCommitRequest.newBuilder()
                    .setGroupId("g")
                    .setMemberId(m.memberId)
                    .setMemberEpoch(m.epoch)
                    .addTopics(topic)
                    .build())
            .join();
    if (response.getError() != ErrorCode.NONE) {
      problems.add(
          m.memberId + " commit: " + response.getError() + " " + response.getErrorMessage());
      return;
    }
    lastCommitted.putAll(mine);
  }
}
