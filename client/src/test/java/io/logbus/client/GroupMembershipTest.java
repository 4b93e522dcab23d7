package io.logbus.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.logbus.client.GroupMembership.Heartbeat;
import io.logbus.client.GroupMembership.State;
import io.logbus.proto.ConsumerGroupHeartbeatResponse;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.TopicPartitions;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The member's state machine, driven step by step with made-up times: no threads, no sleeps. */
class GroupMembershipTest {
  private static final long SESSION_MS = 10_000;
  private static final long BACKOFF_MS = 100;

  private final GroupMembership m =
      new GroupMembership("g", "c1", "uniform", SESSION_MS, BACKOFF_MS);

  private static TopicPartition tp(int p) {
    return new TopicPartition("t", p);
  }

  private static ConsumerGroupHeartbeatResponse answer(int epoch, int interval, int... partitions) {
    TopicPartitions.Builder t = TopicPartitions.newBuilder().setTopic("t");
    for (int p : partitions) {
      t.addPartitions(p);
    }
    return ConsumerGroupHeartbeatResponse.newBuilder()
        .setMemberId("m-1")
        .setMemberEpoch(epoch)
        .setHeartbeatIntervalMs(interval)
        .addAssignment(t)
        .build();
  }

  private static ConsumerGroupHeartbeatResponse error(ErrorCode code) {
    return ConsumerGroupHeartbeatResponse.newBuilder().setError(code).build();
  }

  private static Set<TopicPartition> owned(Heartbeat hb) {
    return new java.util.TreeSet<>(GroupAdmin.partitions(hb.request().getOwnedPartitionsList()));
  }

  /** Joins at time 0 and owns partitions 0 and 1 at epoch 1 (interval 1000). */
  private void joinOwning01() {
    m.subscribe(List.of("t"), 0);
    m.onResponse(m.startHeartbeat(), answer(1, 1000, 0, 1), 0);
    m.assigned(m.pending().assign(), 0);
    m.onResponse(m.startHeartbeat(), answer(1, 1000, 0, 1), 0);
    assertThat(m.state()).isEqualTo(State.STABLE);
  }

  @Test
  void subscribeMakesAJoinHeartbeatDueAtOnceWithEpochZeroAndTheWholeSubscription() {
    assertThat(m.timeToNextHeartbeat(0)).isEqualTo(Long.MAX_VALUE);
    m.subscribe(List.of("b", "a"), 5);
    assertThat(m.timeToNextHeartbeat(5)).isZero();
    Heartbeat hb = m.startHeartbeat();
    assertThat(hb.request().getMemberEpoch()).isZero();
    assertThat(hb.request().getMemberId()).isEmpty();
    assertThat(hb.request().getSubscribedTopicNamesList()).containsExactly("a", "b");
    assertThat(hb.request().getServerAssignor()).isEqualTo("uniform");
    assertThat(m.timeToNextHeartbeat(5))
        .as("one heartbeat in flight at a time")
        .isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void anAssignmentIsAppliedByTheApplicationThenReportedAsOwned() {
    m.subscribe(List.of("t"), 0);
    m.onResponse(m.startHeartbeat(), answer(3, 2000, 0, 1), 0);
    assertThat(m.memberId()).isEqualTo("m-1");
    assertThat(m.memberEpoch()).isEqualTo(3);
    assertThat(m.state()).isEqualTo(State.RECONCILING);
    assertThat(m.pending().assign()).containsExactly(tp(0), tp(1));
    assertThat(m.timeToNextHeartbeat(0)).isEqualTo(2000);
    m.assigned(Set.of(tp(0), tp(1)), 50);
    assertThat(m.state()).isEqualTo(State.STABLE);
    assertThat(m.timeToNextHeartbeat(50)).as("acknowledged at once").isZero();
    Heartbeat hb = m.startHeartbeat();
    assertThat(hb.request().getMemberEpoch()).isEqualTo(3);
    assertThat(owned(hb)).containsExactly(tp(0), tp(1));
  }

  @Test
  void partitionsRevokedWhileTheApplicationPreparedThemAreNotTaken() {
    m.subscribe(List.of("t"), 0);
    m.onResponse(m.startHeartbeat(), answer(1, 1000, 0, 1, 2), 0);
    Set<TopicPartition> toAssign = m.pending().assign();
    // The coordinator takes 1 and 2 back before the application claimed them.
    m.onResponse(m.startHeartbeat(), answer(1, 1000, 0), 10);
    assertThat(m.assigned(toAssign, 20)).containsExactly(tp(0));
    assertThat(m.state()).isEqualTo(State.STABLE);
    assertThat(owned(m.startHeartbeat())).containsExactly(tp(0));
  }

  @Test
  void heartbeatsFollowTheIntervalTheCoordinatorSends() {
    joinOwning01();
    m.onResponse(m.startHeartbeat(), answer(1, 3000, 0, 1), 10_000);
    assertThat(m.timeToNextHeartbeat(10_000)).isEqualTo(3000);
    assertThat(m.timeToNextHeartbeat(12_999)).isEqualTo(1);
    assertThat(m.timeToNextHeartbeat(13_000)).isZero();
  }

  @Test
  void revokedPartitionsStayOwnedUntilTheApplicationReleasesThem() {
    joinOwning01();
    m.onResponse(m.startHeartbeat(), answer(1, 1000, 0), 100);
    assertThat(m.pending().revoke()).containsExactly(tp(1));
    assertThat(m.pending().assign()).isEmpty();
    // Heartbeats before the release still report partition 1: the coordinator keeps it ours.
    assertThat(owned(m.startHeartbeat())).containsExactly(tp(0), tp(1));
    m.onResponse(
        new Heartbeat(m.startHeartbeat().request(), 0) /* from an old incarnation */,
        answer(9, 1000),
        150);
    assertThat(m.memberEpoch()).as("stale answers are ignored").isEqualTo(1);
  }

  @Test
  void releasingARevokedPartitionSendsAHeartbeatWithoutItAtOnce() {
    joinOwning01();
    m.onResponse(m.startHeartbeat(), answer(1, 1000, 0), 100);
    m.revoked(Set.of(tp(1)), 200);
    assertThat(m.state()).isEqualTo(State.STABLE);
    assertThat(m.timeToNextHeartbeat(200)).isZero();
    assertThat(owned(m.startHeartbeat())).containsExactly(tp(0));
  }

  @Test
  void nothingIsAssignedWhileSomethingIsStillToRevoke() {
    joinOwning01();
    m.onResponse(m.startHeartbeat(), answer(2, 1000, 0, 2), 100);
    GroupMembership.Work work = m.pending();
    assertThat(work.revoke()).containsExactly(tp(1));
    assertThat(work.assign()).isEmpty();
    m.revoked(work.revoke(), 100);
    assertThat(m.pending().assign()).containsExactly(tp(2));
  }

  @Test
  void aFencedMemberLosesItsPartitionsAndRejoinsWithEpochZeroAfterTheApplicationDropsThem() {
    joinOwning01();
    m.onResponse(m.startHeartbeat(), error(ErrorCode.FENCED_MEMBER_EPOCH), 500);
    assertThat(m.state()).isEqualTo(State.FENCED);
    assertThat(m.pending().lost()).containsExactly(tp(0), tp(1));
    assertThat(m.timeToNextHeartbeat(500))
        .as("no rejoin before the app dropped them")
        .isEqualTo(Long.MAX_VALUE);
    m.lostHandled(600);
    assertThat(m.state()).isEqualTo(State.JOINING);
    assertThat(m.timeToNextHeartbeat(600)).isZero();
    Heartbeat rejoin = m.startHeartbeat();
    assertThat(rejoin.request().getMemberEpoch()).isZero();
    assertThat(rejoin.request().getMemberId()).isEqualTo("m-1");
    assertThat(rejoin.request().getOwnedPartitionsList()).isEmpty();
  }

  @Test
  void unknownMemberIdIsHandledLikeAFence() {
    joinOwning01();
    m.onResponse(m.startHeartbeat(), error(ErrorCode.UNKNOWN_MEMBER_ID), 500);
    assertThat(m.pending().lost()).containsExactly(tp(0), tp(1));
  }

  @Test
  void aFencedMemberOwningNothingRejoinsAtOnce() {
    m.subscribe(List.of("t"), 0);
    m.onResponse(m.startHeartbeat(), answer(1, 1000), 0);
    m.onResponse(m.startHeartbeat(), error(ErrorCode.FENCED_MEMBER_EPOCH), 10);
    assertThat(m.state()).isEqualTo(State.JOINING);
    assertThat(m.pending().isEmpty()).isTrue();
  }

  @Test
  void retriableErrorsRetryAfterTheBackOffAndKeepThePartitions() {
    joinOwning01();
    m.onResponse(m.startHeartbeat(), error(ErrorCode.NOT_COORDINATOR), 1000);
    assertThat(m.timeToNextHeartbeat(1000)).isEqualTo(BACKOFF_MS);
    m.onFailure(m.startHeartbeat(), "unreachable", 1100);
    assertThat(m.state()).isEqualTo(State.STABLE);
    assertThat(m.owned()).containsExactly(tp(0), tp(1));
  }

  @Test
  void noAnsweredHeartbeatForTheSessionTimeoutLosesThePartitions() {
    joinOwning01();
    m.onFailure(m.startHeartbeat(), "unreachable", SESSION_MS - 1);
    assertThat(m.state()).isEqualTo(State.STABLE);
    m.onFailure(m.startHeartbeat(), "unreachable", SESSION_MS);
    assertThat(m.state()).isEqualTo(State.FENCED);
    assertThat(m.pending().lost()).containsExactly(tp(0), tp(1));
  }

  @Test
  void leaveReturnsAnEpochMinusOneHeartbeatAndIgnoresLaterAnswers() {
    joinOwning01();
    Heartbeat inFlight = m.startHeartbeat();
    var leave = m.leave();
    assertThat(leave).isPresent();
    assertThat(leave.get().getMemberEpoch()).isEqualTo(-1);
    assertThat(leave.get().getMemberId()).isEqualTo("m-1");
    m.onResponse(inFlight, answer(2, 1000, 0, 1), 10);
    assertThat(m.state()).isEqualTo(State.UNSUBSCRIBED);
    assertThat(m.owned()).isEmpty();
    assertThat(m.timeToNextHeartbeat(10)).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void leavingBeforeJoiningSendsNothing() {
    m.subscribe(List.of("t"), 0);
    assertThat(m.leave()).isEmpty();
  }

  @Test
  void aNonRetriableErrorStopsHeartbeatsAndIsReportedOnce() {
    m.subscribe(List.of("t"), 0);
    m.onResponse(m.startHeartbeat(), error(ErrorCode.INVALID_REQUEST), 0);
    assertThat(m.state()).isEqualTo(State.FAILED);
    assertThat(m.timeToNextHeartbeat(0)).isEqualTo(Long.MAX_VALUE);
    assertThat(m.takeFatal()).isInstanceOf(ApiException.class).hasMessageContaining("group g");
    assertThat(m.takeFatal()).isNull();
    m.subscribe(List.of("t"), 10);
    assertThat(m.state()).isEqualTo(State.JOINING);
  }

  @Test
  void aNewSubscriptionIsSentWithTheNextHeartbeatAtOnce() {
    joinOwning01();
    m.onResponse(m.startHeartbeat(), answer(1, 5000, 0, 1), 100);
    m.subscribe(List.of("t", "u"), 200);
    assertThat(m.timeToNextHeartbeat(200)).isZero();
    assertThat(m.startHeartbeat().request().getSubscribedTopicNamesList())
        .containsExactly("t", "u");
  }
}
