package io.logbus.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.logbus.proto.ConsumerGroupHeartbeatResponse;
import io.logbus.proto.DeleteGroupRequest;
import io.logbus.proto.DescribeGroupRequest;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.GroupDescription;
import io.logbus.proto.GroupListing;
import io.logbus.proto.GroupState;
import io.logbus.proto.ListGroupsRequest;
import io.logbus.proto.OffsetCommitPartition;
import io.logbus.proto.OffsetCommitRequest;
import io.logbus.proto.OffsetCommitResponse;
import io.logbus.proto.OffsetCommitTopic;
import io.logbus.proto.OffsetFetchPartitionResult;
import io.logbus.proto.OffsetFetchRequest;
import io.logbus.proto.OffsetFetchResponse;
import io.logbus.proto.ResetOffsetsRequest;
import io.logbus.proto.ResetOffsetsResponse;
import io.logbus.proto.TopicPartitions;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class GroupCoordinatorTest {

  static final GroupConfig CONFIG = GroupConfig.defaults().withOffsetsTopicPartitions(4);
  static final Map<String, Integer> TOPICS = Map.of("t", 6);

  MutableClock clock = new MutableClock(1_000_000);
  MemoryOffsetsLog log = new MemoryOffsetsLog();
  GroupCoordinator coordinator;

  @BeforeEach
  void start() {
    coordinator = newCoordinator();
  }

  GroupCoordinator newCoordinator() {
    GroupCoordinator c =
        new GroupCoordinator(CONFIG, log, new FixedPartitionOffsets(10, 100), clock);
    for (int p = 0; p < CONFIG.offsetsTopicPartitions(); p++) {
      c.loadPartition(p).join();
    }
    c.onTopicMetadata(TOPICS);
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
                        .setCommittedOffset(offset)
                        .setCommittedLeaderEpoch(3)
                        .setMetadata("m")))
        .build();
  }

  static ErrorCode commitError(OffsetCommitResponse r) {
    return r.getTopics(0).getPartitions(0).getError();
  }

  OffsetFetchPartitionResult fetch(GroupCoordinator c, String group, int partition) {
    OffsetFetchResponse r =
        c.fetchOffsets(
                OffsetFetchRequest.newBuilder()
                    .setGroupId(group)
                    .addTopics(TopicPartitions.newBuilder().setTopic("t").addPartitions(partition))
                    .build())
            .join();
    assertThat(r.getError()).isEqualTo(ErrorCode.NONE);
    return r.getTopics(0).getPartitions(0);
  }

  GroupDescription describe(GroupCoordinator c, String group) {
    return c.describeGroups(DescribeGroupRequest.newBuilder().addGroupIds(group).build())
        .join()
        .getGroups(0);
  }

  ResetOffsetsResponse reset(ResetOffsetsRequest.Builder r) {
    return coordinator.resetOffsets(r.setGroupId("g").setTopic("t").build()).join();
  }

  @Test
  void groupPartitionIsKafkasAbsHashModN() {
    for (String group :
        new String[] {"g", "orders", "consumer-7", "Aa", "BB", "polygenelubricants"}) {
      int kafka = org.apache.kafka.common.utils.Utils.abs(group.hashCode()) % 50;
      assertThat(GroupCoordinator.partitionFor(group, 50)).as(group).isEqualTo(kafka);
    }
    // "polygenelubricants".hashCode() == Integer.MIN_VALUE: Kafka maps it to partition 0.
    assertThat("polygenelubricants".hashCode()).isEqualTo(Integer.MIN_VALUE);
    assertThat(GroupCoordinator.partitionFor("polygenelubricants", 7)).isZero();
  }

  @Test
  void findCoordinatorNamesTheLeaderOfTheGroupsPartition() {
    int p = GroupCoordinator.partitionFor("g", CONFIG.offsetsTopicPartitions());
    io.logbus.proto.BrokerInfo leader =
        io.logbus.proto.BrokerInfo.newBuilder()
            .setId(2)
            .setHost("127.0.0.1")
            .setPort(19092)
            .build();
    var found =
        coordinator.findCoordinator(
            io.logbus.proto.FindCoordinatorRequest.newBuilder().setGroupId("g").build(),
            partition -> partition == p ? leader : null);
    assertThat(found.getError()).isEqualTo(ErrorCode.NONE);
    assertThat(found.getNodeId()).isEqualTo(2);
    assertThat(found.getPort()).isEqualTo(19092);
    assertThat(found.getOffsetsPartition()).isEqualTo(p);
    var none =
        coordinator.findCoordinator(
            io.logbus.proto.FindCoordinatorRequest.newBuilder().setGroupId("g").build(), x -> null);
    assertThat(none.getError()).isEqualTo(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    assertThat(none.getNodeId()).isEqualTo(-1);
    var bad =
        coordinator.findCoordinator(
            io.logbus.proto.FindCoordinatorRequest.getDefaultInstance(), x -> leader);
    assertThat(bad.getError()).isEqualTo(ErrorCode.INVALID_GROUP_ID);
  }

  @Test
  void aCommitIsAnsweredOnlyAfterTheAppendCompletes() {
    TestMember a = new TestMember(coordinator, "g", "t");
    a.heartbeat();
    log.hold();
    CompletableFuture<OffsetCommitResponse> pending =
        coordinator.commitOffsets(commit("g", a.memberId, a.epoch, 0, 42));
    assertThat(pending).isNotDone();
    assertThat(fetch(coordinator, "g", 0).getCommittedOffset())
        .as("not visible before ack")
        .isEqualTo(-1);
    log.release();
    assertThat(commitError(pending.join())).isEqualTo(ErrorCode.NONE);
    OffsetFetchPartitionResult r = fetch(coordinator, "g", 0);
    assertThat(r.getCommittedOffset()).isEqualTo(42);
    assertThat(r.getCommittedLeaderEpoch()).isEqualTo(3);
    assertThat(r.getMetadata()).isEqualTo("m");
  }

  @Test
  void aJoinIsAnsweredOnlyAfterTheGroupRecordIsWritten() {
    log.hold();
    TestMember a = new TestMember(coordinator, "g", "t");
    CompletableFuture<ConsumerGroupHeartbeatResponse> pending =
        coordinator.heartbeat(a.request().build());
    assertThat(pending).isNotDone();
    log.release();
    assertThat(pending.join().getAssignmentCount()).isEqualTo(1);
  }

  @Test
  void aFailedWriteAnswersCoordinatorNotAvailable() {
    TestMember a = new TestMember(coordinator, "g", "t");
    a.heartbeat();
    log.failAppends(true);
    assertThat(
            commitError(coordinator.commitOffsets(commit("g", a.memberId, a.epoch, 0, 5)).join()))
        .isEqualTo(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    assertThat(fetch(coordinator, "g", 0).getCommittedOffset()).isEqualTo(-1);
  }

  @Test
  void afterAFailedGroupWriteTheNextHeartbeatWritesTheGroupAgain() {
    TestMember a = new TestMember(coordinator, "g", "t");
    a.heartbeat();
    log.failAppends(true);
    assertThat(coordinator.heartbeat(a.request().setClientId("renamed").build()).join().getError())
        .isEqualTo(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    log.failAppends(false);
    assertThat(coordinator.heartbeat(a.request().setClientId("renamed").build()).join().getError())
        .isEqualTo(ErrorCode.NONE);
    assertThat(describe(newCoordinator(), "g").getMembers(0).getClientId()).isEqualTo("renamed");
  }

  @Test
  void aJoinWhoseWriteFailedIsUndone() {
    TestMember a = new TestMember(coordinator, "g", "t");
    a.heartbeat();
    GroupDescription before = describe(coordinator, "g");
    log.failAppends(true);
    TestMember b = new TestMember(coordinator, "g", "t");
    assertThat(b.heartbeat().getError()).isEqualTo(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    assertThat(new TestMember(coordinator, "new-group", "t").heartbeat().getError())
        .isEqualTo(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    log.failAppends(false);
    assertThat(describe(coordinator, "g")).isEqualTo(before);
    assertThat(describe(coordinator, "new-group").getError())
        .isEqualTo(ErrorCode.GROUP_ID_NOT_FOUND);
    a.heartbeat();
    assertThat(a.owned).hasSize(6);
    b.heartbeat();
    TestMember.converge(a, b);
    assertThat(a.owned).hasSize(3);
  }

  @Test
  void listGroupsSaysWhenAPartitionIsStillLoading() {
    CompletableFuture<ByteBuffer> never = new CompletableFuture<>();
    OffsetsLog slow =
        new OffsetsLog() {
          @Override
          public CompletableFuture<Long> append(int partition, ByteBuffer batches) {
            return log.append(partition, batches);
          }

          @Override
          public CompletableFuture<ByteBuffer> read(int partition, long from, int maxBytes) {
            return partition == 1
                ? never
                : CompletableFuture.completedFuture(ByteBuffer.allocate(0));
          }
        };
    GroupCoordinator c = new GroupCoordinator(CONFIG, slow, null, clock);
    c.loadPartition(0).join();
    c.loadPartition(1);
    assertThat(c.listGroups(ListGroupsRequest.getDefaultInstance()).join().getError())
        .isEqualTo(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    c.unloadPartition(1);
    assertThat(c.listGroups(ListGroupsRequest.getDefaultInstance()).join().getError())
        .isEqualTo(ErrorCode.NONE);
  }

  @Test
  void commitsFromAStaleFencedOrUnknownMemberAreRejected() {
    TestMember a = new TestMember(coordinator, "g", "t");
    a.heartbeat();
    TestMember b = new TestMember(coordinator, "g", "t");
    TestMember.converge(a, b);
    assertThat(a.epoch).isGreaterThan(1);
    assertThat(
            commitError(
                coordinator.commitOffsets(commit("g", a.memberId, a.epoch - 1, 0, 5)).join()))
        .isEqualTo(ErrorCode.STALE_MEMBER_EPOCH);
    assertThat(
            commitError(
                coordinator.commitOffsets(commit("g", a.memberId, a.epoch + 1, 0, 5)).join()))
        .isEqualTo(ErrorCode.FENCED_MEMBER_EPOCH);
    assertThat(commitError(coordinator.commitOffsets(commit("g", "nobody", 1, 0, 5)).join()))
        .isEqualTo(ErrorCode.UNKNOWN_MEMBER_ID);
    // A commit from outside the group while it has members.
    assertThat(commitError(coordinator.commitOffsets(commit("g", "", -1, 0, 5)).join()))
        .isEqualTo(ErrorCode.UNKNOWN_MEMBER_ID);
    assertThat(fetch(coordinator, "g", 0).getCommittedOffset()).isEqualTo(-1);
    assertThat(
            commitError(coordinator.commitOffsets(commit("g", a.memberId, a.epoch, 0, 5)).join()))
        .isEqualTo(ErrorCode.NONE);
  }

  @Test
  void aMemberStillRevokingCanCommitBeforeItLetsGo() {
    TestMember a = new TestMember(coordinator, "g", "t");
    a.heartbeat();
    TestMember b = new TestMember(coordinator, "g", "t");
    b.heartbeat();
    a.heartbeat(); // revocation pending, a keeps its epoch
    TopicPartition revoked =
        TestMember.partitions("t", 0, 1, 2, 3, 4, 5).stream()
            .filter(tp -> !a.owned.contains(tp))
            .findFirst()
            .orElseThrow();
    assertThat(
            commitError(
                coordinator
                    .commitOffsets(commit("g", a.memberId, a.epoch, revoked.partition(), 9))
                    .join()))
        .isEqualTo(ErrorCode.NONE);
  }

  @Test
  void membersAreAskedBackSoonerWhileTheirGroupRebalances() {
    int steady = CONFIG.heartbeatIntervalMs();
    assertThat(steady).isGreaterThan(OffsetsShard.REBALANCE_HEARTBEAT_INTERVAL_MS);
    TestMember a = new TestMember(coordinator, "g", "t");
    TestMember.converge(a);
    assertThat(a.heartbeat().getHeartbeatIntervalMs()).isEqualTo(steady);
    TestMember b = new TestMember(coordinator, "g", "t");
    assertThat(b.heartbeat().getHeartbeatIntervalMs())
        .isEqualTo(OffsetsShard.REBALANCE_HEARTBEAT_INTERVAL_MS);
    assertThat(a.heartbeat().getHeartbeatIntervalMs())
        .isEqualTo(OffsetsShard.REBALANCE_HEARTBEAT_INTERVAL_MS);
    TestMember.converge(a, b);
    assertThat(a.heartbeat().getHeartbeatIntervalMs()).isEqualTo(steady);
    assertThat(b.heartbeat().getHeartbeatIntervalMs()).isEqualTo(steady);
  }

  @Test
  void twoGroupsAreIndependent() {
    TestMember a = new TestMember(coordinator, "g1", "t");
    TestMember b = new TestMember(coordinator, "g2", "t");
    TestMember.converge(a, b);
    assertThat(a.owned).hasSize(6);
    assertThat(b.owned).hasSize(6);
    coordinator.commitOffsets(commit("g1", a.memberId, a.epoch, 0, 7)).join();
    coordinator.commitOffsets(commit("g2", b.memberId, b.epoch, 0, 70)).join();
    assertThat(fetch(coordinator, "g1", 0).getCommittedOffset()).isEqualTo(7);
    assertThat(fetch(coordinator, "g2", 0).getCommittedOffset()).isEqualTo(70);
    a.leave();
    b.heartbeat();
    assertThat(b.owned).hasSize(6);
  }

  @Test
  void aRestartedMemberResumesFromTheCommittedOffset() {
    TestMember a = new TestMember(coordinator, "g", "t");
    a.heartbeat();
    coordinator.commitOffsets(commit("g", a.memberId, a.epoch, 2, 123)).join();
    a.leave();
    TestMember restarted = new TestMember(coordinator, "g", "t");
    restarted.heartbeat();
    assertThat(restarted.owned).contains(new TopicPartition("t", 2));
    assertThat(fetch(coordinator, "g", 2).getCommittedOffset()).isEqualTo(123);
    assertThat(fetch(coordinator, "g", 3).getCommittedOffset()).isEqualTo(-1);
  }

  @Test
  void fetchingWithoutTopicsReturnsEveryCommittedOffset() {
    coordinator.commitOffsets(commit("g", "", -1, 1, 11)).join();
    coordinator.commitOffsets(commit("g", "", -1, 4, 44)).join();
    OffsetFetchResponse r =
        coordinator.fetchOffsets(OffsetFetchRequest.newBuilder().setGroupId("g").build()).join();
    assertThat(r.getTopics(0).getPartitionsList())
        .extracting(OffsetFetchPartitionResult::getCommittedOffset)
        .containsExactly(11L, 44L);
  }

  @Test
  void resetOffsetsIsRefusedWhileTheGroupHasMembers() {
    TestMember a = new TestMember(coordinator, "g", "t");
    a.heartbeat();
    assertThat(reset(ResetOffsetsRequest.newBuilder().setToEarliest(true)).getError())
        .isEqualTo(ErrorCode.GROUP_NOT_EMPTY);
    a.leave();
    assertThat(reset(ResetOffsetsRequest.newBuilder().setToEarliest(true)).getError())
        .isEqualTo(ErrorCode.NONE);
  }

  @Test
  void aDryRunReportsButChangesNothing() {
    coordinator.commitOffsets(commit("g", "", -1, 0, 50)).join();
    int appends = log.appends;
    ResetOffsetsResponse r =
        reset(ResetOffsetsRequest.newBuilder().setToLatest(true).setPartition(0).setDryRun(true));
    assertThat(r.getPartitions(0).getPreviousOffset()).isEqualTo(50);
    assertThat(r.getPartitions(0).getNewOffset()).isEqualTo(100);
    assertThat(fetch(coordinator, "g", 0).getCommittedOffset()).isEqualTo(50);
    assertThat(log.appends).isEqualTo(appends);
  }

  @Test
  void resetComputesEveryKindOfTarget() {
    coordinator.commitOffsets(commit("g", "", -1, 0, 50)).join();
    assertThat(reset(ResetOffsetsRequest.newBuilder().setToEarliest(true)).getPartitionsCount())
        .isEqualTo(6);
    assertThat(fetch(coordinator, "g", 5).getCommittedOffset()).isEqualTo(10);
    reset(ResetOffsetsRequest.newBuilder().setToLatest(true).setPartition(1));
    assertThat(fetch(coordinator, "g", 1).getCommittedOffset()).isEqualTo(100);
    reset(ResetOffsetsRequest.newBuilder().setToOffset(500).setPartition(1));
    assertThat(fetch(coordinator, "g", 1).getCommittedOffset()).as("clamped").isEqualTo(100);
    reset(ResetOffsetsRequest.newBuilder().setToOffset(30).setPartition(1));
    assertThat(fetch(coordinator, "g", 1).getCommittedOffset()).isEqualTo(30);
    reset(ResetOffsetsRequest.newBuilder().setShiftBy(-5).setPartition(1));
    assertThat(fetch(coordinator, "g", 1).getCommittedOffset()).isEqualTo(25);
    reset(ResetOffsetsRequest.newBuilder().setShiftBy(Long.MIN_VALUE).setPartition(1));
    assertThat(fetch(coordinator, "g", 1).getCommittedOffset()).isEqualTo(10);
    reset(ResetOffsetsRequest.newBuilder().setToDatetimeMs(42_500).setPartition(2));
    assertThat(fetch(coordinator, "g", 2).getCommittedOffset()).isEqualTo(43);
  }

  @Test
  void aNewCoordinatorOverTheSameLogRestoresOffsetsAndGroups() {
    TestMember a = new TestMember(coordinator, "g", "t");
    TestMember b = new TestMember(coordinator, "g", "t");
    TestMember.converge(a, b);
    coordinator.commitOffsets(commit("g", a.memberId, a.epoch, 0, 17)).join();
    coordinator.commitOffsets(commit("g", a.memberId, a.epoch, 0, 18)).join();
    coordinator.commitOffsets(commit("other", "", -1, 3, 33)).join();
    GroupDescription before = describe(coordinator, "g");

    GroupCoordinator failover = newCoordinator();
    assertThat(fetch(failover, "g", 0).getCommittedOffset()).isEqualTo(18);
    assertThat(fetch(failover, "other", 3).getCommittedOffset()).isEqualTo(33);
    assertThat(describe(failover, "g")).isEqualTo(before);
    // Members carry on with their epochs and keep what they own.
    TestMember aAgain = new TestMember(failover, "g", "t");
    aAgain.memberId = a.memberId;
    aAgain.epoch = a.epoch;
    aAgain.owned = a.owned;
    assertThat(aAgain.heartbeat().getError()).isEqualTo(ErrorCode.NONE);
    assertThat(aAgain.owned).isEqualTo(a.owned);
  }

  @Test
  void aGroupMidRebalanceResumesReconcilingAfterFailover() {
    TestMember a = new TestMember(coordinator, "g", "t");
    a.heartbeat();
    TestMember b = new TestMember(coordinator, "g", "t");
    b.heartbeat();
    a.heartbeat(); // revocation pending
    GroupCoordinator failover = newCoordinator();
    TestMember a2 = new TestMember(failover, "g", "t");
    a2.memberId = a.memberId;
    a2.epoch = a.epoch;
    a2.owned = a.owned;
    TestMember b2 = new TestMember(failover, "g", "t");
    b2.memberId = b.memberId;
    b2.epoch = b.epoch;
    TestMember.converge(b2, a2);
    assertThat(a2.owned).hasSize(3);
    assertThat(b2.owned).hasSize(3);
    assertThat(describe(failover, "g").getState()).isEqualTo(GroupState.STABLE);
  }

  @Test
  void requestsWhileLoadingAnswerLoadInProgressAndAfterUnloadNotCoordinator() {
    CompletableFuture<ByteBuffer> read = new CompletableFuture<>();
    OffsetsLog slow =
        new OffsetsLog() {
          @Override
          public CompletableFuture<Long> append(int partition, ByteBuffer batches) {
            return log.append(partition, batches);
          }

          @Override
          public CompletableFuture<ByteBuffer> read(int partition, long from, int maxBytes) {
            return from == 0 ? read : log.read(partition, from, maxBytes);
          }
        };
    GroupCoordinator c =
        new GroupCoordinator(CONFIG.withOffsetsTopicPartitions(1), slow, null, clock);
    CompletableFuture<Void> loaded = c.loadPartition(0);
    assertThat(
            c.fetchOffsets(OffsetFetchRequest.newBuilder().setGroupId("g").build())
                .join()
                .getError())
        .isEqualTo(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    read.complete(ByteBuffer.allocate(0));
    assertThat(loaded).isCompleted();
    assertThat(c.isLoaded(0)).isTrue();
    assertThat(
            c.fetchOffsets(OffsetFetchRequest.newBuilder().setGroupId("g").build())
                .join()
                .getError())
        .isEqualTo(ErrorCode.NONE);
    c.unloadPartition(0);
    assertThat(
            c.fetchOffsets(OffsetFetchRequest.newBuilder().setGroupId("g").build())
                .join()
                .getError())
        .isEqualTo(ErrorCode.NOT_COORDINATOR);
    assertThat(new TestMember(c, "g", "t").heartbeat().getError())
        .isEqualTo(ErrorCode.NOT_COORDINATOR);
  }

  @Test
  void aGroupOfAPartitionNotLoadedHereGetsNotCoordinator() {
    GroupCoordinator c = new GroupCoordinator(CONFIG, log, null, clock);
    c.loadPartition(GroupCoordinator.partitionFor("g", 4)).join();
    String elsewhere = "h";
    for (int i = 0;
        GroupCoordinator.partitionFor(elsewhere, 4) == GroupCoordinator.partitionFor("g", 4);
        i++) {
      elsewhere = "h-" + i;
    }
    assertThat(describe(c, elsewhere).getError()).isEqualTo(ErrorCode.NOT_COORDINATOR);
    assertThat(describe(c, "g").getError()).isEqualTo(ErrorCode.GROUP_ID_NOT_FOUND);
  }

  @Test
  void deleteGroupRefusesMembersAndUnknownGroupsAndRemovesOffsets() {
    TestMember a = new TestMember(coordinator, "g", "t");
    a.heartbeat();
    coordinator.commitOffsets(commit("g", a.memberId, a.epoch, 0, 5)).join();
    DeleteGroupRequest delete =
        DeleteGroupRequest.newBuilder().addGroupIds("g").addGroupIds("nope").build();
    var r = coordinator.deleteGroups(delete).join();
    assertThat(r.getResults(0).getError()).isEqualTo(ErrorCode.GROUP_NOT_EMPTY);
    assertThat(r.getResults(1).getError()).isEqualTo(ErrorCode.GROUP_ID_NOT_FOUND);
    a.leave();
    assertThat(coordinator.deleteGroups(delete).join().getResults(0).getError())
        .isEqualTo(ErrorCode.NONE);
    assertThat(describe(coordinator, "g").getError()).isEqualTo(ErrorCode.GROUP_ID_NOT_FOUND);
    assertThat(fetch(coordinator, "g", 0).getCommittedOffset()).isEqualTo(-1);
    GroupCoordinator failover = newCoordinator();
    assertThat(describe(failover, "g").getError()).isEqualTo(ErrorCode.GROUP_ID_NOT_FOUND);
    assertThat(fetch(failover, "g", 0).getCommittedOffset()).isEqualTo(-1);
  }

  @Test
  void offsetsOfAnEmptyGroupExpireAfterRetentionAndStayExpiredAfterReload() {
    coordinator.commitOffsets(commit("idle", "", -1, 0, 5)).join();
    TestMember a = new TestMember(coordinator, "busy", "t");
    a.heartbeat();
    coordinator.commitOffsets(commit("busy", a.memberId, a.epoch, 0, 6)).join();
    clock.advance(CONFIG.offsetsRetentionMs() - 1);
    a.heartbeat();
    coordinator.tick();
    assertThat(fetch(coordinator, "idle", 0).getCommittedOffset()).isEqualTo(5);
    clock.advance(1);
    a.heartbeat();
    coordinator.tick();
    assertThat(fetch(coordinator, "idle", 0).getCommittedOffset()).isEqualTo(-1);
    assertThat(fetch(coordinator, "busy", 0).getCommittedOffset()).isEqualTo(6);
    assertThat(fetch(newCoordinator(), "idle", 0).getCommittedOffset()).isEqualTo(-1);
  }

  @Test
  void anEmptyGroupWithoutOffsetsIsDeletedAtTheNextTick() {
    TestMember a = new TestMember(coordinator, "short-lived", "t");
    a.heartbeat();
    coordinator.tick();
    assertThat(describe(coordinator, "short-lived").getError()).isEqualTo(ErrorCode.NONE);
    a.leave();
    coordinator.tick();
    assertThat(describe(coordinator, "short-lived").getError())
        .isEqualTo(ErrorCode.GROUP_ID_NOT_FOUND);
    assertThat(describe(newCoordinator(), "short-lived").getError())
        .isEqualTo(ErrorCode.GROUP_ID_NOT_FOUND);
  }

  @Test
  void listGroupsShowsStatesAndFilters() {
    TestMember a = new TestMember(coordinator, "active", "t");
    a.heartbeat();
    coordinator.commitOffsets(commit("idle", "", -1, 0, 5)).join();
    var all = coordinator.listGroups(ListGroupsRequest.getDefaultInstance()).join();
    assertThat(all.getGroupsList())
        .extracting(GroupListing::getGroupId, GroupListing::getState)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("active", GroupState.STABLE),
            org.assertj.core.groups.Tuple.tuple("idle", GroupState.EMPTY));
    var empty =
        coordinator
            .listGroups(ListGroupsRequest.newBuilder().addStatesFilter(GroupState.EMPTY).build())
            .join();
    assertThat(empty.getGroupsList()).extracting(GroupListing::getGroupId).containsExactly("idle");
  }

  @Test
  void describeShowsMembersAssignmentsAndCommittedOffsets() {
    TestMember a = new TestMember(coordinator, "g", "t");
    a.heartbeat();
    coordinator.commitOffsets(commit("g", a.memberId, a.epoch, 4, 40)).join();
    GroupDescription d = describe(coordinator, "g");
    assertThat(d.getState()).isEqualTo(GroupState.STABLE);
    assertThat(d.getMembers(0).getClientId()).isEqualTo("client-g");
    assertThat(d.getMembers(0).getClientHost()).isEqualTo("/127.0.0.1");
    assertThat(d.getOffsetsCount()).isEqualTo(6);
    assertThat(d.getOffsets(4).getCommittedOffset()).isEqualTo(40);
    assertThat(d.getOffsets(4).getMemberId()).isEqualTo(a.memberId);
    assertThat(d.getOffsets(3).getCommittedOffset()).isEqualTo(-1);
    assertThat(d.getOffsets(3).getLag()).isEqualTo(-1);
  }

  // ---------------------------------------------------------------- bad input

  @Test
  void anEmptyGroupIdIsRefusedByEveryEntryPoint() {
    assertThat(new TestMember(coordinator, "", "t").heartbeat().getError())
        .isEqualTo(ErrorCode.INVALID_GROUP_ID);
    assertThat(coordinator.commitOffsets(commit("", "", -1, 0, 1)).join().getError())
        .isEqualTo(ErrorCode.INVALID_GROUP_ID);
    assertThat(coordinator.fetchOffsets(OffsetFetchRequest.getDefaultInstance()).join().getError())
        .isEqualTo(ErrorCode.INVALID_GROUP_ID);
    assertThat(describe(coordinator, "").getError()).isEqualTo(ErrorCode.INVALID_GROUP_ID);
    assertThat(
            coordinator
                .deleteGroups(DeleteGroupRequest.newBuilder().addGroupIds("").build())
                .join()
                .getResults(0)
                .getError())
        .isEqualTo(ErrorCode.INVALID_GROUP_ID);
    assertThat(
            coordinator
                .resetOffsets(
                    ResetOffsetsRequest.newBuilder().setTopic("t").setToEarliest(true).build())
                .join()
                .getError())
        .isEqualTo(ErrorCode.INVALID_GROUP_ID);
    assertThatThrownBy(
            () ->
                coordinator.coordinatorPartition(
                    io.logbus.proto.FindCoordinatorRequest.getDefaultInstance()))
        .isInstanceOf(GroupException.class)
        .extracting(e -> ((GroupException) e).code())
        .isEqualTo(ErrorCode.INVALID_GROUP_ID);
    assertThat(describe(coordinator, "x".repeat(250)).getError())
        .isEqualTo(ErrorCode.INVALID_GROUP_ID);
  }

  @Test
  void badHeartbeatsAreRefusedAndChangeNothing() {
    TestMember a = new TestMember(coordinator, "g", "t");
    a.heartbeat();
    int appends = log.appends;
    assertThat(coordinator.heartbeat(a.request().setMemberEpoch(-2).build()).join().getError())
        .isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(
            coordinator.heartbeat(a.request().setServerAssignor("magic").build()).join().getError())
        .isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(
            coordinator.heartbeat(a.request().setRebalanceTimeoutMs(-1).build()).join().getError())
        .isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(
            coordinator
                .heartbeat(a.request().addSubscribedTopicNames("").build())
                .join()
                .getError())
        .isEqualTo(ErrorCode.INVALID_TOPIC);
    assertThat(
            coordinator
                .heartbeat(
                    a.request()
                        .addOwnedPartitions(
                            TopicPartitions.newBuilder().setTopic("t").addPartitions(-1))
                        .build())
                .join()
                .getError())
        .isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(
            coordinator
                .heartbeat(a.request().setMemberId("").setMemberEpoch(4).build())
                .join()
                .getError())
        .isEqualTo(ErrorCode.UNKNOWN_MEMBER_ID);
    assertThat(
            new TestMember(coordinator, "fresh", "t")
                .request()
                .setMemberId("x")
                .setMemberEpoch(3)
                .build())
        .satisfies(
            r ->
                assertThat(coordinator.heartbeat(r).join().getError())
                    .isEqualTo(ErrorCode.UNKNOWN_MEMBER_ID));
    assertThat(log.appends).isEqualTo(appends);
    assertThat(describe(coordinator, "fresh").getError()).isEqualTo(ErrorCode.GROUP_ID_NOT_FOUND);
    assertThat(a.heartbeat().getError()).isEqualTo(ErrorCode.NONE);
    assertThat(a.owned).hasSize(6);
  }

  @Test
  void overlongStringsAreRefusedBeforeAnythingIsWritten() {
    TestMember a = new TestMember(coordinator, "g", "t");
    a.heartbeat();
    int appends = log.appends;
    assertThat(
            coordinator
                .heartbeat(a.request().setClientId("c".repeat(40_000)).build())
                .join()
                .getError())
        .isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(
            coordinator
                .heartbeat(a.request().setRackId("r".repeat(1025)).build())
                .join()
                .getError())
        .isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(
            coordinator
                .heartbeat(a.request().addSubscribedTopicNames("t".repeat(250)).build())
                .join()
                .getError())
        .isEqualTo(ErrorCode.INVALID_TOPIC);
    OffsetCommitRequest longTopic =
        OffsetCommitRequest.newBuilder()
            .setGroupId("g")
            .setMemberId(a.memberId)
            .setMemberEpoch(a.epoch)
            .addTopics(
                OffsetCommitTopic.newBuilder()
                    .setTopic("t".repeat(40_000))
                    .addPartitions(OffsetCommitPartition.newBuilder().setCommittedOffset(1)))
            .build();
    assertThat(commitError(coordinator.commitOffsets(longTopic).join()))
        .isEqualTo(ErrorCode.INVALID_TOPIC);
    assertThat(log.appends).isEqualTo(appends);
    assertThat(a.heartbeat().getError()).isEqualTo(ErrorCode.NONE);
  }

  @Test
  void aWriteRefusedByTheBrokerKeepsTheBrokersErrorCode() {
    OffsetsLog notLeader =
        new OffsetsLog() {
          @Override
          public CompletableFuture<Long> append(int partition, ByteBuffer batches) {
            return CompletableFuture.failedFuture(
                new GroupException(ErrorCode.NOT_COORDINATOR, "lost leadership of " + partition));
          }

          @Override
          public CompletableFuture<ByteBuffer> read(int partition, long from, int maxBytes) {
            return CompletableFuture.completedFuture(ByteBuffer.allocate(0));
          }
        };
    GroupCoordinator c =
        new GroupCoordinator(CONFIG.withOffsetsTopicPartitions(1), notLeader, null, clock);
    c.loadPartition(0).join();
    assertThat(commitError(c.commitOffsets(commit("g", "", -1, 0, 1)).join()))
        .isEqualTo(ErrorCode.NOT_COORDINATOR);
  }

  @Test
  void badCommitPartitionsGetTheirOwnErrorsAndValidOnesAreCommitted() {
    OffsetCommitRequest r =
        OffsetCommitRequest.newBuilder()
            .setGroupId("g")
            .setMemberEpoch(-1)
            .addTopics(
                OffsetCommitTopic.newBuilder()
                    .setTopic("t")
                    .addPartitions(
                        OffsetCommitPartition.newBuilder().setPartition(-1).setCommittedOffset(1))
                    .addPartitions(
                        OffsetCommitPartition.newBuilder().setPartition(1).setCommittedOffset(-5))
                    .addPartitions(
                        OffsetCommitPartition.newBuilder()
                            .setPartition(2)
                            .setCommittedOffset(1)
                            .setMetadata("x".repeat(OffsetRequests.MAX_METADATA_BYTES + 1)))
                    .addPartitions(
                        OffsetCommitPartition.newBuilder().setPartition(3).setCommittedOffset(8)))
            .addTopics(
                OffsetCommitTopic.newBuilder()
                    .setTopic("")
                    .addPartitions(
                        OffsetCommitPartition.newBuilder().setPartition(0).setCommittedOffset(1)))
            .build();
    OffsetCommitResponse resp = coordinator.commitOffsets(r).join();
    assertThat(resp.getTopics(0).getPartitionsList())
        .extracting(p -> p.getError())
        .containsExactly(
            ErrorCode.INVALID_REQUEST,
            ErrorCode.INVALID_REQUEST,
            ErrorCode.INVALID_REQUEST,
            ErrorCode.NONE);
    assertThat(resp.getTopics(1).getPartitions(0).getError()).isEqualTo(ErrorCode.INVALID_TOPIC);
    assertThat(fetch(coordinator, "g", 3).getCommittedOffset()).isEqualTo(8);
    assertThat(fetch(coordinator, "g", 1).getCommittedOffset()).isEqualTo(-1);
    assertThat(coordinator.commitOffsets(commit("g", "", -2, 0, 1)).join().getError())
        .isEqualTo(ErrorCode.INVALID_REQUEST);
  }

  @Test
  void badFetchPartitionsGetTheirOwnErrors() {
    OffsetFetchResponse r =
        coordinator
            .fetchOffsets(
                OffsetFetchRequest.newBuilder()
                    .setGroupId("g")
                    .addTopics(TopicPartitions.newBuilder().setTopic("t").addPartitions(-3))
                    .addTopics(TopicPartitions.newBuilder().setTopic("").addPartitions(0))
                    .build())
            .join();
    assertThat(r.getTopicsList())
        .flatExtracting(t -> t.getPartitionsList())
        .extracting(OffsetFetchPartitionResult::getError)
        .containsExactlyInAnyOrder(ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_TOPIC);
  }

  @Test
  void badResetRequestsAreRefusedAndChangeNothing() {
    coordinator.commitOffsets(commit("g", "", -1, 0, 50)).join();
    int appends = log.appends;
    assertThat(reset(ResetOffsetsRequest.newBuilder()).getError())
        .isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(reset(ResetOffsetsRequest.newBuilder().setToOffset(-1)).getError())
        .isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(reset(ResetOffsetsRequest.newBuilder().setToDatetimeMs(-1)).getError())
        .isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(
            reset(ResetOffsetsRequest.newBuilder().setToEarliest(true).setPartition(-1)).getError())
        .isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(
            reset(ResetOffsetsRequest.newBuilder().setToEarliest(true).setPartition(6)).getError())
        .isEqualTo(ErrorCode.UNKNOWN_PARTITION);
    assertThat(
            coordinator
                .resetOffsets(
                    ResetOffsetsRequest.newBuilder()
                        .setGroupId("g")
                        .setTopic("nope")
                        .setToEarliest(true)
                        .build())
                .join()
                .getError())
        .isEqualTo(ErrorCode.UNKNOWN_TOPIC);
    assertThat(
            coordinator
                .resetOffsets(
                    ResetOffsetsRequest.newBuilder().setGroupId("g").setToEarliest(true).build())
                .join()
                .getError())
        .isEqualTo(ErrorCode.INVALID_TOPIC);
    assertThat(log.appends).isEqualTo(appends);
    assertThat(fetch(coordinator, "g", 0).getCommittedOffset()).isEqualTo(50);
  }

  @Test
  void lifecycleCallsRefuseOutOfRangePartitions() {
    assertThatThrownBy(() -> coordinator.loadPartition(-1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> coordinator.loadPartition(4))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> coordinator.unloadPartition(-1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> coordinator.onTopicMetadata(Map.of("t", -1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> coordinator.onTopicMetadata(Map.of("", 3)))
        .isInstanceOf(IllegalArgumentException.class);
    // The refused metadata changed nothing: a member still gets all six partitions.
    TestMember a = new TestMember(coordinator, "g", "t");
    a.heartbeat();
    assertThat(a.owned).hasSize(6);
    assertThatThrownBy(() -> new TopicPartition("t", -1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> GroupConfig.defaults().withOffsetsTopicPartitions(0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
