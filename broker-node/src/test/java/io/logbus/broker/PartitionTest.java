package io.logbus.broker;

import static io.logbus.broker.TestRecords.batch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.logbus.log.LogConfig;
import io.logbus.log.LogManager;
import io.logbus.proto.ErrorCode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One {@link Partition} on a real log, driven by hand: a controller whose answers the test gives, a
 * clock the test moves. Covers the ISR/HW rules under uncertain controller answers, live config
 * changes, the produce wait across role changes and log failures.
 */
class PartitionTest {
  private static final PartitionKey KEY = new PartitionKey("t", 0);

  /** An alterPartition call the test answers. */
  private record Proposal(
      PartitionAssignment base, List<Integer> isr, CompletableFuture<PartitionAssignment> answer) {}

  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(1_000_000);
  private final List<Proposal> proposals = new ArrayList<>();
  private final List<Partition> failures = new ArrayList<>();
  private LogManager logs;
  private Partition partition;

  @BeforeEach
  void open() {
    LogConfig config = LogConfig.defaults().with("flush", "never");
    logs = LogManager.open(dir, config, clock);
    partition =
        new Partition(
            KEY,
            logs.getOrCreate(KEY.topic(), KEY.partition(), config),
            1,
            clock,
            10_000,
            (base, isr) -> {
              CompletableFuture<PartitionAssignment> answer = new CompletableFuture<>();
              proposals.add(new Proposal(base, isr, answer));
              return answer;
            },
            new BrokerMetrics(new SimpleMeterRegistry()),
            failures::add);
  }

  @AfterEach
  void close() {
    logs.close();
  }

  private static PartitionAssignment state(int leaderEpoch, int partitionEpoch, List<Integer> isr) {
    return new PartitionAssignment(
        KEY.topic(), KEY.partition(), 1, leaderEpoch, partitionEpoch, List.of(1, 2), isr);
  }

  private long append(int acks, String... values) {
    Partition.LeaderAppend a = partition.appendAsLeader(batch(values), acks);
    partition.changed();
    return a.info().lastOffset() + 1;
  }

  /** Leads alone in the ISR with 3 records, HW 3; follower 2 catches up, so 1+2 is proposed. */
  private Proposal expansionInFlight() {
    partition.becomeLeader(state(0, 0, List.of(1)));
    append(1, "a", "b", "c");
    assertThat(partition.highWatermark()).isEqualTo(3);
    partition.updateFollowerLogEndOffset(2, 0, 3);
    assertThat(proposals).hasSize(1);
    assertThat(proposals.get(0).isr()).containsExactly(1, 2);
    return proposals.get(0);
  }

  @Test
  void expansionWithAnUnknownOutcomeStillBoundsTheHighWatermarkAndIsSentAgain() {
    Proposal sent = expansionInFlight();
    // The controller may have committed 1+2 even though the answer is a timeout.
    sent.answer().completeExceptionally(new BrokerException(ErrorCode.REQUEST_TIMED_OUT, "lost"));

    append(1, "d", "e");
    assertThat(partition.highWatermark()).as("follower 2 only has 3 records").isEqualTo(3);

    clock.advance(1_000);
    partition.maybeShrinkIsr();
    assertThat(proposals).hasSize(2);
    assertThat(proposals.get(1).isr()).containsExactly(1, 2);
    assertThat(proposals.get(1).base().partitionEpoch()).isZero();

    // The metadata shows the first send was applied: the ISR is now 1+2 on record.
    partition.becomeLeader(state(0, 1, List.of(1, 2)));
    partition.changed();
    assertThat(partition.isr()).containsExactly(1, 2);
    assertThat(partition.highWatermark()).isEqualTo(3);
    partition.updateFollowerLogEndOffset(2, 0, 5);
    assertThat(partition.highWatermark()).isEqualTo(5);
  }

  @Test
  void expansionAnsweredWithAStaleEpochWaitsForMetadataWithoutResending() {
    Proposal sent = expansionInFlight();
    sent.answer()
        .completeExceptionally(new BrokerException(ErrorCode.INVALID_UPDATE_VERSION, "stale"));

    append(1, "d", "e");
    assertThat(partition.highWatermark()).isEqualTo(3);
    clock.advance(1_000);
    partition.maybeShrinkIsr();
    assertThat(proposals).hasSize(1);

    // The metadata shows it was not applied (ISR still 1 at a newer partition epoch).
    partition.becomeLeader(state(0, 1, List.of(1)));
    partition.changed();
    assertThat(partition.highWatermark()).isEqualTo(5);
  }

  @Test
  void expansionRefusedOutrightNoLongerBoundsTheHighWatermark() {
    Proposal sent = expansionInFlight();
    sent.answer()
        .completeExceptionally(new BrokerException(ErrorCode.INELIGIBLE_REPLICA, "fenced"));

    append(1, "d", "e");
    assertThat(partition.highWatermark()).isEqualTo(5);
  }

  @Test
  void shrinkInFlightDoesNotHoldTheHighWatermarkBelowTheRemainingIsr() {
    partition.becomeLeader(state(0, 0, List.of(1, 2)));
    append(1, "a");
    clock.advance(20_000);
    partition.maybeShrinkIsr();
    assertThat(proposals).hasSize(1);
    assertThat(proposals.get(0).isr()).containsExactly(1);
    assertThat(partition.highWatermark()).as("the committed ISR still holds 2").isZero();
    proposals.get(0).answer().complete(state(0, 1, List.of(1)));
    assertThat(partition.highWatermark()).isEqualTo(1);
  }

  @Test
  void minInsyncReplicasChangedByAlterConfigsAppliesToTheLiveLeader() {
    partition.becomeLeader(state(0, 0, List.of(1)));
    append(-1, "a");
    logs.updateConfig(
        KEY.topic(), KEY.partition(), partition.log().config().with("min.insync.replicas", "2"));

    assertThatThrownBy(() -> append(-1, "b"))
        .isInstanceOfSatisfying(
            BrokerException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_ENOUGH_REPLICAS));
    assertThat(partition.logEndOffset()).isEqualTo(1);
    append(1, "acks=1 does not care");
    assertThat(partition.logEndOffset()).isEqualTo(2);
  }

  @Test
  void produceWaitFailsWhenLeadershipIsLostRightAfterTheAppendEvenIfRegained() {
    partition.becomeLeader(state(0, 0, List.of(1, 2)));
    Partition.LeaderAppend waiting = partition.appendAsLeader(batch("lost"), -1);
    partition.changed();
    assertThat(waiting.replicated()).isNotDone();

    // Before the producer's answer: follower at epoch 1 (the tail is cut), leader again at 2
    // with other data at the same offset, replicated this time.
    partition.becomeFollower(
        new PartitionAssignment(KEY.topic(), KEY.partition(), 2, 1, 1, List.of(1, 2), List.of(2)));
    partition.truncateTo(1, 0);
    partition.becomeLeader(state(2, 2, List.of(1, 2)));
    append(1, "other");
    partition.updateFollowerLogEndOffset(2, 2, 1);
    assertThat(partition.highWatermark()).isEqualTo(1);

    assertThat(waiting.replicated())
        .failsWithin(java.time.Duration.ZERO)
        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .havingCause()
        .isInstanceOfSatisfying(
            BrokerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_LEADER));
  }

  @Test
  void logFailureTakesTheReplicaOutOfServiceWithStorageError() {
    partition.becomeLeader(state(0, 0, List.of(1, 2)));
    Partition.LeaderAppend waiting = partition.appendAsLeader(batch("a"), -1);
    partition.log().close(); // every later log call fails with LogStorageException

    assertThatThrownBy(() -> append(1, "b"))
        .isInstanceOfSatisfying(
            BrokerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.STORAGE_ERROR));
    assertThat(partition.role()).isEqualTo(Partition.Role.FAILED);
    assertThat(failures).containsExactly(partition);
    assertThat(waiting.replicated()).isCompletedExceptionally();
    assertThatThrownBy(() -> waiting.replicated().join())
        .isInstanceOf(CompletionException.class)
        .cause()
        .isInstanceOfSatisfying(
            BrokerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.STORAGE_ERROR));

    assertThatThrownBy(() -> partition.readForConsumer(0, 1024, -1))
        .isInstanceOfSatisfying(
            BrokerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.STORAGE_ERROR));
    // Metadata cannot bring it back: it neither leads nor follows again until a restart.
    assertThat(partition.becomeLeader(state(1, 1, List.of(1, 2)))).isFalse();
    assertThat(partition.becomeFollower(state(2, 2, List.of(2)))).isFalse();
    assertThat(partition.role()).isEqualTo(Partition.Role.FAILED);
    assertThat(failures).hasSize(1);
  }

  private void requireTwoInsyncReplicas() {
    logs.updateConfig(
        KEY.topic(), KEY.partition(), partition.log().config().with("min.insync.replicas", "2"));
  }

  private static void assertRefusedForTooFewReplicas(Runnable produce) {
    assertThatThrownBy(produce::run)
        .isInstanceOfSatisfying(
            BrokerException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_ENOUGH_REPLICAS));
  }

  @Test
  void periodicCheckExpandsTheIsrAgainAfterARefusalWhileWritesAreRefused() {
    requireTwoInsyncReplicas();
    Proposal sent = expansionInFlight();
    sent.answer()
        .completeExceptionally(new BrokerException(ErrorCode.INELIGIBLE_REPLICA, "fenced now"));
    assertRefusedForTooFewReplicas(() -> append(-1, "refused"));

    // Writes are refused, so follower 2 gets nothing new and never reports again: only the
    // periodic check can add it back.
    clock.advance(1_000);
    partition.maybeShrinkIsr();
    assertThat(proposals).hasSize(2);
    assertThat(proposals.get(1).isr()).containsExactly(1, 2);
    proposals.get(1).answer().complete(state(0, 1, List.of(1, 2)));
    assertThat(partition.isr()).containsExactly(1, 2);
    Partition.LeaderAppend accepted = partition.appendAsLeader(batch("accepted"), -1);
    partition.updateFollowerLogEndOffset(2, 0, 4);
    partition.changed();
    assertThat(accepted.replicated()).isCompleted();
  }

  @Test
  void expansionIsProposedAgainAsSoonAsMetadataShowsThePendingOneWasNotApplied() {
    requireTwoInsyncReplicas();
    Proposal sent = expansionInFlight();
    sent.answer()
        .completeExceptionally(new BrokerException(ErrorCode.INVALID_UPDATE_VERSION, "stale"));

    // The controller changed something else (partition epoch 1); the ISR is still 1 alone.
    partition.becomeLeader(state(0, 1, List.of(1)));
    assertThat(proposals).hasSize(2);
    assertThat(proposals.get(1).isr()).containsExactly(1, 2);
    assertThat(proposals.get(1).base().partitionEpoch()).isEqualTo(1);
  }

  @Test
  void periodicCheckDoesNotExpandWithAFollowerBelowTheHighWatermark() {
    partition.becomeLeader(state(0, 0, List.of(1)));
    append(1, "a", "b", "c");
    partition.updateFollowerLogEndOffset(2, 0, 2);
    clock.advance(1_000);
    partition.maybeShrinkIsr();
    assertThat(proposals).isEmpty();
  }

  /** Writes one record every 100 ms for {@code steps} steps, running the periodic check each. */
  private void writeSteadily(int steps, List<Long> endsSoFar, boolean followerReports) {
    for (int i = 0; i < steps; i++) {
      clock.advance(100);
      endsSoFar.add(append(1, "r"));
      if (followerReports && endsSoFar.size() > 3) {
        // fsync before each report: the follower's durable end is the leader's of 300 ms ago.
        partition.updateFollowerLogEndOffset(2, 0, endsSoFar.get(endsSoFar.size() - 4));
      }
      partition.maybeShrinkIsr();
    }
  }

  @Test
  void followerAFewHundredMillisecondsBehindAMovingLogEndStaysInTheIsr() {
    partition.becomeLeader(state(0, 0, List.of(1, 2)));
    List<Long> ends = new ArrayList<>();
    writeSteadily(300, ends, true); // 30 s, three times replica.lag.time.max.ms
    assertThat(proposals).isEmpty();
    assertThat(partition.highWatermark()).isEqualTo(ends.get(ends.size() - 4));
  }

  @Test
  void followerThatStopsReportingIsShrunkAfterTheLagTimeWhileWritesGoOn() {
    partition.becomeLeader(state(0, 0, List.of(1, 2)));
    List<Long> ends = new ArrayList<>();
    writeSteadily(50, ends, true);
    // Its last report holds the leader's end of 300 ms ago, passed 200 ms before the report.
    writeSteadily(97, ends, false);
    assertThat(proposals).as("caught up 9.9 s ago").isEmpty();
    writeSteadily(2, ends, false);
    assertThat(proposals).hasSize(1);
    assertThat(proposals.get(0).isr()).containsExactly(1);
  }
}
