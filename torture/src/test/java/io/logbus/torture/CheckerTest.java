package io.logbus.torture;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CheckerTest {
  private final History history = new History();
  private final Map<Integer, List<StoredRecord>> leader = new HashMap<>();
  private final Map<Integer, Map<Integer, List<StoredRecord>>> replicas = new HashMap<>();

  private void sendAndStore(int partition, long offset, String value, long ackedAtMs) {
    history.attempted(value);
    history.acked(new History.Ack(value, 0, offset, partition, offset, ackedAtMs));
    leader.computeIfAbsent(partition, p -> new ArrayList<>()).add(new StoredRecord(offset, value));
  }

  private Verdict check() {
    return Checker.check(
        42, history, new Checker.Observed(leader, Map.of(), replicas, 3, 0L, lastAckMs()));
  }

  private long lastAckMs() {
    return history.acks().stream().mapToLong(History.Ack::ackedAtMs).max().orElse(0);
  }

  @Test
  void cleanHistoryPasses() {
    sendAndStore(0, 0, "w0-0", 10);
    sendAndStore(0, 1, "w0-1", 20);
    replicas.put(0, Map.of(1, List.copyOf(leader.get(0)), 2, List.copyOf(leader.get(0))));

    Verdict verdict = check();

    assertThat(verdict.passed()).isTrue();
    assertThat(verdict.acked()).isEqualTo(2);
    assertThat(verdict.availability().longestMs()).isEqualTo(10);
  }

  @Test
  void acknowledgedRecordMissingFromTheLeaderIsLost() {
    sendAndStore(0, 0, "w0-0", 10);
    history.attempted("w0-1");
    history.acked(new History.Ack("w0-1", 0, 1, 0, 1, 20));

    Verdict verdict = check();

    assertThat(verdict.lost()).isEqualTo(1);
    assertThat(verdict.passed()).isFalse();
    assertThat(verdict.examples()).anyMatch(e -> e.contains("lost w0-1"));
  }

  @Test
  void ackWithUnknownOffsetIsAcceptedWhereverItsPartitionHoldsIt() {
    sendAndStore(0, 0, "w0-0", 10);
    history.attempted("w0-1");
    history.acked(new History.Ack("w0-1", 0, 1, 0, -1, 20));
    leader.get(0).add(new StoredRecord(1, "w0-1"));

    assertThat(check().passed()).isTrue();
  }

  @Test
  void ackWithUnknownOffsetFoundInAnotherPartitionIsDisordered() {
    sendAndStore(0, 0, "w0-0", 10);
    history.attempted("w0-1");
    history.acked(new History.Ack("w0-1", 0, 1, 1, -1, 20));
    leader.get(0).add(new StoredRecord(1, "w0-1"));

    assertThat(check().disordered()).isEqualTo(1);
  }

  @Test
  void valueStoredTwiceIsDuplicated() {
    sendAndStore(0, 0, "w0-0", 10);
    leader.get(0).add(new StoredRecord(1, "w0-0"));

    assertThat(check().duplicated()).isEqualTo(1);
  }

  @Test
  void valueNoProducerSentIsPhantom() {
    sendAndStore(0, 0, "w0-0", 10);
    leader.get(0).add(new StoredRecord(1, "w9-9"));

    assertThat(check().phantom()).isEqualTo(1);
  }

  @Test
  void unacknowledgedButAttemptedValueIsNeitherLostNorPhantom() {
    sendAndStore(0, 0, "w0-0", 10);
    history.attempted("w0-1");
    history.failed(new History.Failure("w0-1", "timeout", 30));
    leader.get(0).add(new StoredRecord(1, "w0-1"));

    assertThat(check().passed()).isTrue();
  }

  @Test
  void replicaThatDiffersBelowTheHighWatermarkIsDivergent() {
    sendAndStore(0, 0, "w0-0", 10);
    sendAndStore(0, 1, "w0-1", 20);
    replicas.put(0, Map.of(2, List.of(new StoredRecord(0, "w0-0"), new StoredRecord(1, "w1-0"))));

    assertThat(check().divergent()).isEqualTo(1);
  }

  @Test
  void gapInOffsetsIsDisordered() {
    sendAndStore(0, 0, "w0-0", 10);
    sendAndStore(0, 2, "w0-1", 20);

    assertThat(check().disordered()).isEqualTo(1);
  }

  @Test
  void writerSequenceGoingBackwardsWithinAPartitionIsDisordered() {
    sendAndStore(0, 0, "w0-5", 10);
    sendAndStore(0, 1, "w0-4", 20);

    assertThat(check().disordered()).isEqualTo(1);
  }

  @Test
  void ackThatNamesTheWrongOffsetIsDisordered() {
    history.attempted("w0-0");
    history.acked(new History.Ack("w0-0", 0, 0, 0, 7, 10));
    leader.put(0, new ArrayList<>(List.of(new StoredRecord(0, "w0-0"))));

    Verdict verdict = check();

    assertThat(verdict.lost()).isZero();
    assertThat(verdict.disordered()).isEqualTo(1);
  }

  private void observe(int partition, long offset, long startMs, long endMs, String source) {
    history.committed(
        new History.CommitObservation("g", partition, offset, startMs, endMs, source));
  }

  @Test
  void committedOffsetBelowOneCommittedBeforeIsBackwardsAndFails() {
    sendAndStore(0, 0, "w0-0", 10);
    observe(0, 9, 100, 120, "commit:m0.0");
    observe(0, 7, 130, 140, "read");

    Verdict verdict = check();

    assertThat(verdict.offsetsBackwards()).isEqualTo(1);
    assertThat(verdict.passed()).isFalse();
    assertThat(verdict.examples()).anyMatch(e -> e.contains("went from 9") && e.contains("to 7"));
  }

  @Test
  void commitsThatOnlyGoUpAreNotBackwards() {
    observe(0, 5, 100, 120, "commit:m0.0");
    observe(0, 5, 130, 140, "read");
    observe(0, 9, 150, 160, "commit:m1.0");
    observe(0, 9, 170, 180, "read");

    assertThat(check().offsetsBackwards()).isZero();
  }

  @Test
  void observationsWhoseWindowsOverlapAreNotOrdered() {
    // The read may have been served before the commit took effect.
    observe(0, 9, 100, 150, "commit:m0.0");
    observe(0, 5, 140, 160, "read");

    assertThat(check().offsetsBackwards()).isZero();
  }

  @Test
  void lowerOffsetAcrossAnExplicitResetIsNotBackwards() {
    observe(0, 9, 100, 120, "commit:m0.0");
    history.reset(new History.OffsetReset("g", 0, 125, 128));
    observe(0, 2, 130, 140, "read");

    assertThat(check().offsetsBackwards()).isZero();
  }

  @Test
  void resetOfAnotherPartitionDoesNotExcuseABackwardsCommit() {
    observe(0, 9, 100, 120, "commit:m0.0");
    history.reset(new History.OffsetReset("g", 1, 125, 128));
    observe(0, 2, 130, 140, "read");

    assertThat(check().offsetsBackwards()).isEqualTo(1);
  }

  @Test
  void readFindingNoCommittedOffsetAfterACommitIsBackwards() {
    observe(0, 9, 100, 120, "commit:m0.0");
    observe(0, -1, 130, 140, "read");

    assertThat(check().offsetsBackwards()).isEqualTo(1);
  }

  @Test
  void recordBelowTheCommittedOffsetThatNoMemberReceivedIsSkipped() {
    sendAndStore(0, 0, "w0-0", 10);
    sendAndStore(0, 1, "w0-1", 20);
    history.consumed(new History.Consumed("g", "m0.0", 0, 0, "w0-0"));
    observe(0, 2, 100, 120, "commit:m0.0");

    Verdict verdict = check();

    assertThat(verdict.skipped()).isEqualTo(1);
    assertThat(verdict.passed()).isFalse();
  }

  @Test
  void recordsAtOrAboveTheCommittedOffsetMayBeUnreceived() {
    sendAndStore(0, 0, "w0-0", 10);
    sendAndStore(0, 1, "w0-1", 20);
    history.consumed(new History.Consumed("g", "m0.0", 0, 0, "w0-0"));
    observe(0, 1, 100, 120, "commit:m0.0");

    assertThat(check().passed()).isTrue();
  }

  @Test
  void receivedRecordThatIsNotTheLogsRecordAtItsOffsetIsDisordered() {
    sendAndStore(0, 0, "w0-0", 10);
    history.consumed(new History.Consumed("g", "m0.0", 0, 0, "w0-7"));

    assertThat(check().disordered()).isEqualTo(1);
  }

  @Test
  void failoverSampleIsTimeFromFaultToNextAckOnTheLeaderlessPartition() {
    sendAndStore(0, 0, "w0-0", 100);
    sendAndStore(1, 0, "w0-1", 1_500);
    sendAndStore(0, 1, "w0-2", 2_300);
    history.fault(new History.Fault(1_000, "KILL", List.of(2), List.of(0)));

    Verdict verdict = check();

    assertThat(verdict.failoverSamplesMs()).containsExactly(1_300L);
    assertThat(Availability.percentile(verdict.failoverSamplesMs(), 50)).isEqualTo(1_300);
  }

  @Test
  void scheduleIsAFunctionOfTheSeed() {
    assertThat(FaultPlan.schedule(7, 120_000, 3, 8_000))
        .isEqualTo(FaultPlan.schedule(7, 120_000, 3, 8_000))
        .isNotEqualTo(FaultPlan.schedule(8, 120_000, 3, 8_000));
    assertThat(FaultPlan.schedule(7, 120_000, 3, 8_000))
        .allSatisfy(
            plan -> assertThat(plan.nodes()).allSatisfy(n -> assertThat(n).isBetween(1, 3)));
  }

  @Test
  void valuesOtherThanWriterSequenceAreNotParsed() {
    assertThat(Checker.parseValue("w3-17")).containsExactly("3", "17");
    assertThat(Checker.parseValue("x3-17")).isNull();
    assertThat(Checker.parseValue("w-17")).isNull();
    assertThat(Checker.parseValue("w3-")).isNull();
    assertThat(Checker.parseValue(null)).isNull();
  }
}
