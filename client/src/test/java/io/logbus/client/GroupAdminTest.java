package io.logbus.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.logbus.client.testing.FakeCluster;
import io.logbus.proto.ConsumerGroupHeartbeatRequest;
import io.logbus.proto.ConsumerGroupHeartbeatResponse;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.GroupServiceGrpc;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** LogbusAdmin's consumer-group calls against the in-process fake cluster. */
class GroupAdminTest {
  private FakeCluster cluster;
  private LogbusAdmin admin;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    cluster = FakeCluster.start(3);
    cluster.createTopic("t", 3);
    admin =
        LogbusAdmin.builder()
            .bootstrapServers(cluster.bootstrap())
            .apiTimeoutMs(5_000)
            .retryBackoffMs(10)
            .build();
    try (LogbusProducer producer =
        LogbusProducer.builder().bootstrapServers(cluster.bootstrap()).lingerMs(0).build()) {
      for (int p = 0; p < 3; p++) {
        for (int i = 0; i <= p; i++) {
          // Timestamps 1000, 2000, ... so a reset to a datetime has something to find.
          producer.send(
              new ProducerRecord(
                  "t", p, 1000L * (i + 1), null, ("v" + i).getBytes(UTF_8), List.of()));
        }
      }
      producer.flush();
    }
  }

  @AfterEach
  void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    admin.close();
    cluster.close();
  }

  private static TopicPartition tp(int p) {
    return new TopicPartition("t", p);
  }

  /** Joins the group with one raw heartbeat at its coordinator; returns the member id. */
  private String join(String group) {
    int coordinator = cluster.groups().coordinator(group);
    channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", cluster.port(coordinator))
            .usePlaintext()
            .build();
    ConsumerGroupHeartbeatResponse r =
        GroupServiceGrpc.newBlockingStub(channel)
            .consumerGroupHeartbeat(
                ConsumerGroupHeartbeatRequest.newBuilder()
                    .setGroupId(group)
                    .setMemberEpoch(0)
                    .setClientId("c1")
                    .addSubscribedTopicNames("t")
                    .build());
    assertThat(r.getError()).isEqualTo(ErrorCode.NONE);
    return r.getMemberId();
  }

  private static ErrorCode codeOf(Throwable t) {
    return ((ApiException) t).code();
  }

  @Test
  void listGroupsMergesTheGroupsOfEveryCoordinator() {
    List<String> ids = List.of("g-a", "g-b", "g-c", "g-d", "g-e");
    for (String g : ids) {
      cluster.groups().commit(g, "t", 0, 1);
    }
    assertThat(ids.stream().map(cluster.groups()::coordinator).distinct().count())
        .as("the groups live on more than one broker")
        .isGreaterThan(1);
    List<GroupListing> listed = Futures.get(admin.listGroups());
    assertThat(listed).extracting(GroupListing::groupId).containsExactlyElementsOf(ids);
    assertThat(listed).allMatch(l -> l.state() == GroupState.EMPTY && l.members() == 0);
  }

  @Test
  void describeShowsMembersAssignmentAndLag() {
    cluster.groups().commit("g", "t", 2, 1);
    String member = join("g");
    GroupDescription d = Futures.get(admin.describeGroup("g"));
    assertThat(d.groupId()).isEqualTo("g");
    assertThat(d.state()).isEqualTo(GroupState.STABLE);
    assertThat(d.members())
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.memberId()).isEqualTo(member);
              assertThat(m.clientId()).isEqualTo("c1");
              assertThat(m.subscribedTopics()).containsExactly("t");
              assertThat(m.assignment()).containsExactly(tp(0), tp(1), tp(2));
            });
    assertThat(d.partitions())
        .containsExactly(
            new GroupPartitionLag(tp(0), -1, 1, -1, member, "c1", "127.0.0.1"),
            new GroupPartitionLag(tp(1), -1, 2, -1, member, "c1", "127.0.0.1"),
            new GroupPartitionLag(tp(2), 1, 3, 2, member, "c1", "127.0.0.1"));
  }

  @Test
  void describingAnUnknownGroupFailsWithGroupIdNotFound() {
    assertThatThrownBy(() -> Futures.get(admin.describeGroup("ghost")))
        .isInstanceOf(ApiException.class)
        .hasMessageContaining("ghost")
        .extracting(GroupAdminTest::codeOf)
        .isEqualTo(ErrorCode.GROUP_ID_NOT_FOUND);
  }

  @Test
  void resetToEarliestLatestOffsetAndShiftMoveTheCommittedOffsets() {
    Futures.get(admin.resetOffsets("g", "t", null, new OffsetResetSpec.ToLatest(), false));
    assertThat(Futures.get(admin.listCommittedOffsets("g")))
        .isEqualTo(Map.of(tp(0), 1L, tp(1), 2L, tp(2), 3L));
    List<OffsetResetResult> shifted =
        Futures.get(admin.resetOffsets("g", "t", 2, new OffsetResetSpec.ShiftBy(-2), false));
    assertThat(shifted).containsExactly(new OffsetResetResult(tp(2), 3, 1));
    Futures.get(admin.resetOffsets("g", "t", 1, new OffsetResetSpec.ToOffset(1), false));
    assertThat(Futures.get(admin.listCommittedOffsets("g")))
        .isEqualTo(Map.of(tp(0), 1L, tp(1), 1L, tp(2), 1L));
    Futures.get(admin.resetOffsets("g", "t", null, new OffsetResetSpec.ToEarliest(), false));
    assertThat(Futures.get(admin.listCommittedOffsets("g")))
        .isEqualTo(Map.of(tp(0), 0L, tp(1), 0L, tp(2), 0L));
  }

  @Test
  void resetToDatetimeFindsTheFirstRecordAtOrAfterIt() {
    List<OffsetResetResult> r =
        Futures.get(
            admin.resetOffsets("g", "t", null, new OffsetResetSpec.ToDatetime(2000), false));
    // Partition 0 has one record (t=1000): none at or after 2000, so its end.
    assertThat(r)
        .containsExactly(
            new OffsetResetResult(tp(0), -1, 1),
            new OffsetResetResult(tp(1), -1, 1),
            new OffsetResetResult(tp(2), -1, 1));
  }

  @Test
  void dryRunReportsWithoutChangingAnything() {
    cluster.groups().commit("g", "t", 0, 1);
    List<OffsetResetResult> r =
        Futures.get(admin.resetOffsets("g", "t", 0, new OffsetResetSpec.ToEarliest(), true));
    assertThat(r).containsExactly(new OffsetResetResult(tp(0), 1, 0));
    assertThat(Futures.get(admin.listCommittedOffsets("g"))).isEqualTo(Map.of(tp(0), 1L));
  }

  @Test
  void resetAndDeleteOfAGroupWithMembersFailWithGroupNotEmpty() {
    join("g");
    assertThatThrownBy(
            () ->
                Futures.get(
                    admin.resetOffsets("g", "t", null, new OffsetResetSpec.ToEarliest(), false)))
        .extracting(GroupAdminTest::codeOf)
        .isEqualTo(ErrorCode.GROUP_NOT_EMPTY);
    assertThatThrownBy(() -> Futures.get(admin.deleteGroup("g")))
        .extracting(GroupAdminTest::codeOf)
        .isEqualTo(ErrorCode.GROUP_NOT_EMPTY);
  }

  @Test
  void deletedGroupIsGoneAndDeletingItAgainFails() {
    cluster.groups().commit("g", "t", 0, 1);
    Futures.get(admin.deleteGroup("g"));
    assertThat(Futures.get(admin.listGroups())).isEmpty();
    assertThatThrownBy(() -> Futures.get(admin.deleteGroup("g")))
        .extracting(GroupAdminTest::codeOf)
        .isEqualTo(ErrorCode.GROUP_ID_NOT_FOUND);
  }

  @Test
  void callsFollowAMovedCoordinatorAndWaitOutItsLoading() {
    cluster.groups().commit("g", "t", 0, 7);
    assertThat(Futures.get(admin.listCommittedOffsets("g"))).isEqualTo(Map.of(tp(0), 7L));
    int before = cluster.groups().coordinator("g");
    cluster.groups().moveCoordinator("g", before % 3 + 1);
    cluster.groups().failNext("fetch", ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    cluster.groups().failNext("findCoordinator", ErrorCode.COORDINATOR_NOT_AVAILABLE);
    assertThat(Futures.get(admin.listCommittedOffsets("g"))).isEqualTo(Map.of(tp(0), 7L));
  }

  @Test
  void retriableErrorsThatNeverEndTimeOutWithTheLastError() {
    LogbusAdmin quick =
        LogbusAdmin.builder()
            .bootstrapServers(cluster.bootstrap())
            .apiTimeoutMs(300)
            .retryBackoffMs(10)
            .build();
    try (quick) {
      ErrorCode[] loading = new ErrorCode[1000];
      java.util.Arrays.fill(loading, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      cluster.groups().failNext("describe", loading);
      assertThatThrownBy(() -> Futures.get(quick.describeGroup("g")))
          .isInstanceOf(ClientTimeoutException.class)
          .hasMessageContaining("coordinator load in progress");
    }
  }

  @Test
  void badArgumentsAreRefused() {
    assertThatThrownBy(() -> Futures.get(admin.describeGroup("")))
        .extracting(GroupAdminTest::codeOf)
        .isEqualTo(ErrorCode.INVALID_GROUP_ID);
    assertThatThrownBy(() -> Futures.get(admin.listCommittedOffsets(" ")))
        .extracting(GroupAdminTest::codeOf)
        .isEqualTo(ErrorCode.INVALID_GROUP_ID);
    assertThatThrownBy(() -> Futures.get(admin.describeGroup(null)))
        .hasRootCauseInstanceOf(NullPointerException.class);
    assertThatThrownBy(
            () ->
                Futures.get(
                    admin.resetOffsets("g", "t", -1, new OffsetResetSpec.ToEarliest(), false)))
        .hasRootCauseInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                Futures.get(
                    admin.resetOffsets(
                        "g", "ghost", null, new OffsetResetSpec.ToEarliest(), false)))
        .extracting(GroupAdminTest::codeOf)
        .isEqualTo(ErrorCode.UNKNOWN_TOPIC);
    assertThatThrownBy(() -> Futures.get(admin.resetOffsets("g", "t", null, null, false)))
        .hasRootCauseInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> new OffsetResetSpec.ToOffset(-1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new OffsetResetSpec.ToDatetime(-5))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
