package io.logbus.group;

import static org.assertj.core.api.Assertions.assertThat;

import io.logbus.proto.DescribeGroupRequest;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.GroupDescription;
import io.logbus.proto.GroupState;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Membership and incremental reconciliation (KIP-848 model) through the GroupCoordinator API. */
class ConsumerGroupReconciliationTest {

  static final GroupConfig CONFIG = GroupConfig.defaults().withOffsetsTopicPartitions(1);

  MutableClock clock = new MutableClock(1_000_000);
  MemoryOffsetsLog log = new MemoryOffsetsLog();
  GroupCoordinator coordinator;

  @BeforeEach
  void start() {
    coordinator = new GroupCoordinator(CONFIG, log, null, clock);
    coordinator.loadPartition(0).join();
    coordinator.onTopicMetadata(Map.of("t", 6, "u", 2));
  }

  static void assertDisjoint(TestMember... members) {
    Set<TopicPartition> seen = new HashSet<>();
    for (TestMember m : members) {
      for (TopicPartition tp : m.owned) {
        assertThat(seen.add(tp)).as("%s owned by two members", tp).isTrue();
      }
    }
  }

  GroupDescription describe(String group) {
    return coordinator
        .describeGroups(DescribeGroupRequest.newBuilder().addGroupIds(group).build())
        .join()
        .getGroups(0);
  }

  @Test
  void threeMembersOnASixPartitionTopicGetTwoEach() {
    TestMember a = new TestMember(coordinator, "g", "t");
    TestMember b = new TestMember(coordinator, "g", "t");
    TestMember c = new TestMember(coordinator, "g", "t");
    TestMember.converge(a, b, c);
    assertThat(a.owned).hasSize(2);
    assertThat(b.owned).hasSize(2);
    assertThat(c.owned).hasSize(2);
    assertDisjoint(a, b, c);
    assertThat(describe("g").getState()).isEqualTo(GroupState.STABLE);
  }

  @Test
  void aLeavingMembersPartitionsMoveWithoutTheOthersLosingAny() {
    TestMember a = new TestMember(coordinator, "g", "t");
    TestMember b = new TestMember(coordinator, "g", "t");
    TestMember c = new TestMember(coordinator, "g", "t");
    TestMember.converge(a, b, c);
    Set<TopicPartition> aBefore = new TreeSet<>(a.owned);
    Set<TopicPartition> bBefore = new TreeSet<>(b.owned);
    Set<TopicPartition> cBefore = new TreeSet<>(c.owned);

    assertThat(c.leave().getError()).isEqualTo(ErrorCode.NONE);
    for (int round = 0; round < 3; round++) {
      a.heartbeat();
      b.heartbeat();
      // Never a pause: each keeps everything it had at every step.
      assertThat(a.owned).containsAll(aBefore);
      assertThat(b.owned).containsAll(bBefore);
    }
    assertThat(a.owned).hasSize(3);
    assertThat(b.owned).hasSize(3);
    Set<TopicPartition> moved = new TreeSet<>(a.owned);
    moved.addAll(b.owned);
    moved.removeAll(aBefore);
    moved.removeAll(bBefore);
    assertThat(moved).isEqualTo(cBefore);
    assertDisjoint(a, b);
  }

  @Test
  void aPartitionIsRevokedFromItsOwnerBeforeTheNewOwnerGetsIt() {
    TestMember a = new TestMember(coordinator, "g", "t");
    a.heartbeat();
    assertThat(a.owned).hasSize(6);
    int epochOfA = a.epoch;

    TestMember b = new TestMember(coordinator, "g", "t");
    b.heartbeat();
    assertThat(b.owned).as("a has not released anything yet").isEmpty();
    assertThat(b.epoch).isGreaterThan(epochOfA);

    a.heartbeat(); // told to revoke 3; keeps its epoch until it confirms
    assertThat(a.owned).hasSize(3);
    assertThat(a.epoch).isEqualTo(epochOfA);
    assertThat(describe("g").getState()).isEqualTo(GroupState.RECONCILING);

    b.heartbeat();
    assertThat(b.owned).as("a still has to confirm the revocation").isEmpty();

    a.heartbeat(); // confirms: heartbeats without the revoked partitions
    assertThat(a.epoch).isEqualTo(b.epoch);
    b.heartbeat();
    assertThat(b.owned).hasSize(3);
    assertDisjoint(a, b);
    assertThat(describe("g").getState()).isEqualTo(GroupState.STABLE);
  }

  @Test
  void aMemberThatKeepsFetchingARevokedPartitionBlocksOnlyThatPartition() {
    TestMember a = new TestMember(coordinator, "g", "t");
    a.heartbeat();
    Set<TopicPartition> all = new TreeSet<>(a.owned);
    TestMember b = new TestMember(coordinator, "g", "t");
    b.heartbeat();
    a.heartbeat();
    // a misbehaves: keeps claiming all six.
    a.owned = all;
    a.heartbeat();
    a.owned = all;
    a.heartbeat();
    b.heartbeat();
    assertThat(b.owned).isEmpty();
  }

  @Test
  void aStaleEpochIsFencedAndAnUnknownMemberIsRejected() {
    TestMember a = new TestMember(coordinator, "g", "t");
    a.heartbeat();
    TestMember b = new TestMember(coordinator, "g", "t");
    TestMember.converge(a, b);

    TestMember stale = new TestMember(coordinator, "g", "t");
    stale.memberId = a.memberId;
    stale.epoch = a.epoch + 5;
    assertThat(stale.heartbeat().getError()).isEqualTo(ErrorCode.FENCED_MEMBER_EPOCH);

    TestMember ghost = new TestMember(coordinator, "g", "t");
    ghost.memberId = "nobody";
    ghost.epoch = 3;
    assertThat(ghost.heartbeat().getError()).isEqualTo(ErrorCode.UNKNOWN_MEMBER_ID);
    assertThat(ghost.leave().getError()).isEqualTo(ErrorCode.UNKNOWN_MEMBER_ID);

    TestMember.converge(a, b);
    assertThat(a.owned).hasSize(3);
  }

  @Test
  void aMemberThatMissedAResponseMayRetryWithItsPreviousEpoch() {
    TestMember a = new TestMember(coordinator, "g", "t");
    a.heartbeat();
    int first = a.epoch;
    TestMember b = new TestMember(coordinator, "g", "t");
    b.heartbeat();
    a.heartbeat(); // revoke
    a.heartbeat(); // confirm, gets the new epoch
    assertThat(a.epoch).isGreaterThan(first);
    TestMember retry = new TestMember(coordinator, "g", "t");
    retry.memberId = a.memberId;
    retry.epoch = first;
    retry.owned = a.owned;
    assertThat(retry.heartbeat().getError()).isEqualTo(ErrorCode.NONE);
    assertThat(retry.epoch).isEqualTo(a.epoch);
  }

  @Test
  void aFencedMemberRejoinsWithEpochZeroAndGetsPartitionsBack() {
    TestMember a = new TestMember(coordinator, "g", "t");
    TestMember b = new TestMember(coordinator, "g", "t");
    TestMember.converge(a, b);
    a.epoch = 0;
    a.owned = new TreeSet<>();
    TestMember.converge(a, b);
    assertThat(a.owned).hasSize(3);
    assertThat(b.owned).hasSize(3);
    assertDisjoint(a, b);
  }

  @Test
  void sessionTimeoutRemovesASilentMember() {
    TestMember a = new TestMember(coordinator, "g", "t");
    TestMember b = new TestMember(coordinator, "g", "t");
    TestMember.converge(a, b);
    clock.advance(CONFIG.sessionTimeoutMs() - 1);
    a.heartbeat();
    coordinator.tick();
    assertThat(describe("g").getMembersCount()).isEqualTo(2);
    clock.advance(1);
    coordinator.tick();
    assertThat(describe("g").getMembersCount()).isEqualTo(1);
    a.heartbeat();
    assertThat(a.owned).hasSize(6);
    assertThat(b.heartbeat().getError()).isEqualTo(ErrorCode.UNKNOWN_MEMBER_ID);
  }

  @Test
  void aMemberThatNeverConfirmsARevocationIsRemovedAfterItsRebalanceTimeout() {
    TestMember a = new TestMember(coordinator, "g", "t");
    a.heartbeat();
    Set<TopicPartition> all = new TreeSet<>(a.owned);
    TestMember b = new TestMember(coordinator, "g", "t");
    b.heartbeat();
    a.heartbeat();
    clock.advance(CONFIG.defaultRebalanceTimeoutMs());
    a.owned = all; // still claims everything
    b.heartbeat(); // b stays alive; a heartbeats too but never lets go
    a.heartbeat();
    coordinator.tick();
    assertThat(a.heartbeat().getError()).isEqualTo(ErrorCode.UNKNOWN_MEMBER_ID);
    b.heartbeat();
    assertThat(b.owned).hasSize(6);
  }

  @Test
  void newPartitionsOfASubscribedTopicAreAssigned() {
    TestMember a = new TestMember(coordinator, "g", "t");
    TestMember b = new TestMember(coordinator, "g", "t");
    TestMember.converge(a, b);
    int epoch = a.epoch;
    coordinator.onTopicMetadata(Map.of("t", 8, "u", 2));
    TestMember.converge(a, b);
    assertThat(a.owned.size() + b.owned.size()).isEqualTo(8);
    assertThat(a.owned).hasSize(4);
    assertThat(a.epoch).isGreaterThan(epoch);
  }

  @Test
  void aNewSubscriptionTriggersReassignment() {
    TestMember a = new TestMember(coordinator, "g", "t");
    a.heartbeat();
    a.topics = java.util.List.of("t", "u");
    TestMember.converge(a);
    assertThat(a.owned).hasSize(8).contains(new TopicPartition("u", 1));
  }

  @Test
  void theRangeAssignorIsUsedWhenMembersAskForIt() {
    TestMember a = new TestMember(coordinator, "g", "t");
    TestMember b = new TestMember(coordinator, "g", "t");
    a.assignor = "range";
    b.assignor = "range";
    TestMember.converge(a, b);
    TestMember first = a.memberId.compareTo(b.memberId) < 0 ? a : b;
    assertThat(first.owned).isEqualTo(TestMember.partitions("t", 0, 1, 2));
    assertThat(describe("g").getAssignor()).isEqualTo("range");
  }

  @Test
  void aLastMemberLeavingLeavesAnEmptyGroup() {
    TestMember a = new TestMember(coordinator, "g", "t");
    a.heartbeat();
    a.leave();
    GroupDescription d = describe("g");
    assertThat(d.getState()).isEqualTo(GroupState.EMPTY);
    assertThat(d.getMembersCount()).isZero();
  }
}
