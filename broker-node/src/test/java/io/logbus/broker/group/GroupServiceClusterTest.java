package io.logbus.broker.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.logbus.broker.LogbusNode;
import io.logbus.broker.testing.NodeCluster;
import io.logbus.group.GroupConfig;
import io.logbus.proto.AdminServiceGrpc;
import io.logbus.proto.BrokerServiceGrpc;
import io.logbus.proto.ConsumerGroupHeartbeatRequest;
import io.logbus.proto.ConsumerGroupHeartbeatResponse;
import io.logbus.proto.CreateTopicsRequest;
import io.logbus.proto.DeleteGroupRequest;
import io.logbus.proto.DescribeGroupRequest;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.FindCoordinatorRequest;
import io.logbus.proto.FindCoordinatorResponse;
import io.logbus.proto.GroupDescription;
import io.logbus.proto.GroupPartitionOffset;
import io.logbus.proto.GroupServiceGrpc;
import io.logbus.proto.ListGroupsRequest;
import io.logbus.proto.MetadataRequest;
import io.logbus.proto.OffsetCommitPartition;
import io.logbus.proto.OffsetCommitRequest;
import io.logbus.proto.OffsetCommitResponse;
import io.logbus.proto.OffsetCommitTopic;
import io.logbus.proto.OffsetFetchPartitionResult;
import io.logbus.proto.OffsetFetchRequest;
import io.logbus.proto.OffsetFetchResponse;
import io.logbus.proto.PartitionMetadata;
import io.logbus.proto.PartitionRecords;
import io.logbus.proto.ProduceRequest;
import io.logbus.proto.ResetOffsetsPartitionResult;
import io.logbus.proto.ResetOffsetsRequest;
import io.logbus.proto.ResetOffsetsResponse;
import io.logbus.proto.TopicPartitions;
import io.logbus.proto.TopicSpec;
import io.logbus.record.CompressionType;
import io.logbus.record.RecordBatchBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GroupService on three full nodes (Ratis quorum + brokers) in one JVM on loopback:
 * __consumer_offsets is created on first use, members heartbeating into one group share a topic's
 * partitions, commits are replicated and read back, and survive the coordinator's broker dying.
 */
class GroupServiceClusterTest {
  private static final String TOPIC = "orders";
  private static final String GROUP = "billing";

  @TempDir Path dir;
  private NodeCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private void startCluster() {
    cluster = NodeCluster.start(dir, 3, GroupConfig.defaults().withOffsetsTopicPartitions(3));
  }

  private GroupServiceGrpc.GroupServiceBlockingStub groups(int node) {
    return GroupServiceGrpc.newBlockingStub(cluster.channel(node))
        .withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  private void createTopic(int partitions) {
    var created =
        AdminServiceGrpc.newBlockingStub(cluster.channel(1))
            .createTopics(
                CreateTopicsRequest.newBuilder()
                    .addTopics(
                        TopicSpec.newBuilder()
                            .setName(TOPIC)
                            .setPartitions(partitions)
                            .setReplicationFactor(1))
                    .build());
    assertThat(created.getTopics(0).getError()).isEqualTo(ErrorCode.NONE);
  }

  /** Asks {@code node} until it names a live coordinator; returns that node's id. */
  private int coordinator(int node) {
    AtomicReference<FindCoordinatorResponse> found = new AtomicReference<>();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              found.set(
                  groups(node)
                      .findCoordinator(
                          FindCoordinatorRequest.newBuilder().setGroupId(GROUP).build()));
              return found.get().getError() == ErrorCode.NONE;
            });
    FindCoordinatorResponse answer = found.get();
    assertThat(answer.getPort()).isEqualTo(cluster.node(answer.getNodeId()).port());
    assertThat(answer.getHost()).isEqualTo("127.0.0.1");
    // The asked broker's image may name the leader before the leader has applied it and loaded
    // the partition: until then it answers NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS.
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () ->
                groups(answer.getNodeId())
                        .offsetFetch(OffsetFetchRequest.newBuilder().setGroupId(GROUP).build())
                        .getError()
                    == ErrorCode.NONE);
    return answer.getNodeId();
  }

  /** A consumer that adopts every answered assignment at once (revokes immediately). */
  private final class Member {
    final String clientId;
    String memberId = "";
    int epoch = 0;
    Set<String> owned = new TreeSet<>();
    ConsumerGroupHeartbeatResponse last;

    Member(String clientId) {
      this.clientId = clientId;
    }

    ConsumerGroupHeartbeatRequest.Builder request() {
      ConsumerGroupHeartbeatRequest.Builder b =
          ConsumerGroupHeartbeatRequest.newBuilder()
              .setGroupId(GROUP)
              .setMemberId(memberId)
              .setMemberEpoch(epoch)
              .setClientId(clientId)
              .addSubscribedTopicNames(TOPIC);
      TopicPartitions.Builder tp = TopicPartitions.newBuilder().setTopic(TOPIC);
      owned.forEach(p -> tp.addPartitions(Integer.parseInt(p.substring(TOPIC.length() + 1))));
      if (!owned.isEmpty()) {
        b.addOwnedPartitions(tp);
      }
      return b;
    }

    ConsumerGroupHeartbeatResponse heartbeat(int node) {
      last = groups(node).consumerGroupHeartbeat(request().build());
      if (last.getError() == ErrorCode.NONE) {
        memberId = last.getMemberId();
        epoch = last.getMemberEpoch();
        Set<String> now = new TreeSet<>();
        for (TopicPartitions t : last.getAssignmentList()) {
          t.getPartitionsList().forEach(p -> now.add(t.getTopic() + "-" + p));
        }
        owned = now;
      }
      return last;
    }
  }

  /** Heartbeats every member in turn until each owns {@code each} partitions and none overlap. */
  private void converge(int node, List<Member> members, int each) {
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              for (Member m : members) {
                // NOT_COORDINATOR too: the asked broker's image may name the leader before the
                // leader itself has applied it and started loading (a client finds it again).
                ErrorCode e = m.heartbeat(node).getError();
                assertThat(e)
                    .isIn(
                        ErrorCode.NONE,
                        ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
                        ErrorCode.NOT_COORDINATOR);
              }
              Set<String> all = new HashSet<>();
              for (Member m : members) {
                if (m.owned.size() != each) {
                  return false;
                }
                all.addAll(m.owned);
              }
              return all.size() == each * members.size();
            });
  }

  private OffsetCommitResponse commit(int node, Member m, Map<Integer, Long> offsets) {
    OffsetCommitTopic.Builder t = OffsetCommitTopic.newBuilder().setTopic(TOPIC);
    offsets.forEach(
        (p, o) ->
            t.addPartitions(
                OffsetCommitPartition.newBuilder()
                    .setPartition(p)
                    .setCommittedOffset(o)
                    .setCommittedLeaderEpoch(-1)));
    return groups(node)
        .offsetCommit(
            OffsetCommitRequest.newBuilder()
                .setGroupId(GROUP)
                .setMemberId(m.memberId)
                .setMemberEpoch(m.epoch)
                .addTopics(t)
                .build());
  }

  private static Map<Integer, Long> committed(OffsetFetchResponse fetched) {
    Map<Integer, Long> out = new HashMap<>();
    fetched
        .getTopicsList()
        .forEach(
            t -> {
              for (OffsetFetchPartitionResult p : t.getPartitionsList()) {
                assertThat(p.getError()).isEqualTo(ErrorCode.NONE);
                out.put(p.getPartition(), p.getCommittedOffset());
              }
            });
    return out;
  }

  private static int partitionOf(String owned) {
    return Integer.parseInt(owned.substring(TOPIC.length() + 1));
  }

  @Test
  void threeMembersShareSixPartitionsAndCommitsAreReadBack() throws Exception {
    startCluster();
    createTopic(6);
    int coordinator = coordinator(1);
    List<Member> members = List.of(new Member("c1"), new Member("c2"), new Member("c3"));
    converge(coordinator, members, 2);

    Map<Integer, Long> expected = new HashMap<>();
    for (Member m : members) {
      Map<Integer, Long> mine = new HashMap<>();
      for (String owned : m.owned) {
        mine.put(partitionOf(owned), 10L + partitionOf(owned));
      }
      OffsetCommitResponse answer = commit(coordinator, m, mine);
      assertThat(answer.getError()).isEqualTo(ErrorCode.NONE);
      answer
          .getTopicsList()
          .forEach(
              t ->
                  t.getPartitionsList()
                      .forEach(p -> assertThat(p.getError()).isEqualTo(ErrorCode.NONE)));
      expected.putAll(mine);
    }
    OffsetFetchResponse fetched =
        groups(coordinator).offsetFetch(OffsetFetchRequest.newBuilder().setGroupId(GROUP).build());
    assertThat(fetched.getError()).isEqualTo(ErrorCode.NONE);
    assertThat(committed(fetched)).isEqualTo(expected);

    // Describe: log end offsets come from each partition's leader (here or over ListOffsets).
    GroupDescription described =
        groups(coordinator)
            .describeGroup(DescribeGroupRequest.newBuilder().addGroupIds(GROUP).build())
            .getGroups(0);
    assertThat(described.getError()).isEqualTo(ErrorCode.NONE);
    assertThat(described.getMembersCount()).isEqualTo(3);
    assertThat(described.getOffsetsList()).hasSize(6);
    for (GroupPartitionOffset row : described.getOffsetsList()) {
      assertThat(row.getLogEndOffset()).as("log end of %s", row.getPartition()).isZero();
      assertThat(row.getLag()).isZero();
      assertThat(row.getClientHost()).isEqualTo("127.0.0.1");
    }

    // Only the coordinator lists the group; the other brokers answer with nothing.
    List<String> listed = new ArrayList<>();
    for (LogbusNode node : cluster.nodes()) {
      int id = node.id();
      groups(id)
          .listGroups(ListGroupsRequest.getDefaultInstance())
          .getGroupsList()
          .forEach(g -> listed.add(g.getGroupId()));
    }
    assertThat(listed).containsExactly(GROUP);
  }

  @Test
  void badInputGetsTypedErrors() throws Exception {
    startCluster();
    createTopic(6);
    var empty =
        groups(1).findCoordinator(FindCoordinatorRequest.newBuilder().setGroupId("").build());
    assertThat(empty.getError()).isEqualTo(ErrorCode.INVALID_GROUP_ID);
    int coordinator = coordinator(1);
    int other = coordinator == 1 ? 2 : 1;

    Member m = new Member("c1");
    converge(coordinator, List.of(m), 6);

    var emptyGroup = groups(coordinator).consumerGroupHeartbeat(m.request().setGroupId("").build());
    assertThat(emptyGroup.getError()).isEqualTo(ErrorCode.INVALID_GROUP_ID);

    var unknown =
        groups(coordinator)
            .consumerGroupHeartbeat(m.request().setMemberId("nobody").setMemberEpoch(1).build());
    assertThat(unknown.getError()).isEqualTo(ErrorCode.UNKNOWN_MEMBER_ID);

    var fenced =
        groups(coordinator).consumerGroupHeartbeat(m.request().setMemberEpoch(m.epoch + 5).build());
    assertThat(fenced.getError()).isEqualTo(ErrorCode.FENCED_MEMBER_EPOCH);

    OffsetCommitRequest stale =
        OffsetCommitRequest.newBuilder()
            .setGroupId(GROUP)
            .setMemberId(m.memberId)
            .setMemberEpoch(m.epoch + 5)
            .addTopics(
                OffsetCommitTopic.newBuilder()
                    .setTopic(TOPIC)
                    .addPartitions(
                        OffsetCommitPartition.newBuilder().setPartition(0).setCommittedOffset(5)))
            .build();
    assertThat(groups(coordinator).offsetCommit(stale).getError())
        .isIn(ErrorCode.FENCED_MEMBER_EPOCH, ErrorCode.STALE_MEMBER_EPOCH);

    var elsewhere =
        groups(other).offsetFetch(OffsetFetchRequest.newBuilder().setGroupId(GROUP).build());
    assertThat(elsewhere.getError()).isEqualTo(ErrorCode.NOT_COORDINATOR);

    // Nothing was committed by the refused calls.
    OffsetFetchResponse fetched =
        groups(coordinator).offsetFetch(OffsetFetchRequest.newBuilder().setGroupId(GROUP).build());
    assertThat(committed(fetched).values()).allMatch(o -> o == -1L);
  }

  @Test
  void committedOffsetsSurviveTheCoordinatorsBroker() throws Exception {
    startCluster();
    createTopic(6);
    int coordinator = coordinator(1);
    Member m = new Member("c1");
    converge(coordinator, List.of(m), 6);
    Map<Integer, Long> offsets = new HashMap<>();
    for (int p = 0; p < 6; p++) {
      offsets.put(p, 100L + p);
    }
    assertThat(commit(coordinator, m, offsets).getError()).isEqualTo(ErrorCode.NONE);

    cluster.kill(coordinator);
    int survivor = cluster.nodes().iterator().next().id();
    AtomicReference<Integer> next = new AtomicReference<>();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              FindCoordinatorResponse r =
                  groups(survivor)
                      .findCoordinator(
                          FindCoordinatorRequest.newBuilder().setGroupId(GROUP).build());
              next.set(r.getNodeId());
              return r.getError() == ErrorCode.NONE && r.getNodeId() != coordinator;
            });
    int newCoordinator = next.get();
    assertThat(cluster.nodes()).extracting(LogbusNode::id).contains(newCoordinator);

    AtomicReference<OffsetFetchResponse> fetched = new AtomicReference<>();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              fetched.set(
                  groups(newCoordinator)
                      .offsetFetch(OffsetFetchRequest.newBuilder().setGroupId(GROUP).build()));
              ErrorCode e = fetched.get().getError();
              assertThat(e)
                  .isIn(
                      ErrorCode.NONE,
                      ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
                      ErrorCode.NOT_COORDINATOR);
              return e == ErrorCode.NONE;
            });
    assertThat(committed(fetched.get())).isEqualTo(offsets);
  }

  /** Produces {@code count} records to each partition's leader; returns partition -> leader. */
  private Map<Integer, Integer> produceToEveryPartition(
      int partitions, java.util.function.IntUnaryOperator count) {
    Map<Integer, Integer> leaders = new HashMap<>();
    await()
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .until(
            () -> {
              List<PartitionMetadata> ps =
                  BrokerServiceGrpc.newBlockingStub(cluster.channel(1))
                      .metadata(MetadataRequest.newBuilder().addTopics(TOPIC).build())
                      .getTopics(0)
                      .getPartitionsList();
              ps.forEach(p -> leaders.put(p.getPartition(), p.getLeader()));
              return ps.size() == partitions && ps.stream().allMatch(p -> p.getLeader() > 0);
            });
    for (int p = 0; p < partitions; p++) {
      RecordBatchBuilder batch = new RecordBatchBuilder(CompressionType.NONE, 0);
      for (int i = 0; i < count.applyAsInt(p); i++) {
        batch.append(
            1_700_000_000_000L, null, ("r" + i).getBytes(StandardCharsets.UTF_8), List.of());
      }
      int partition = p;
      ByteString records = ByteString.copyFrom(batch.build());
      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(
              () ->
                  BrokerServiceGrpc.newBlockingStub(cluster.channel(leaders.get(partition)))
                          .withDeadlineAfter(10, TimeUnit.SECONDS)
                          .produce(
                              ProduceRequest.newBuilder()
                                  .setAcks(-1)
                                  .setTimeoutMs(10_000)
                                  .addPartitions(
                                      PartitionRecords.newBuilder()
                                          .setTopic(TOPIC)
                                          .setPartition(partition)
                                          .setRecords(records))
                                  .build())
                          .getPartitions(0)
                          .getError()
                      == ErrorCode.NONE);
    }
    return leaders;
  }

  private Map<Integer, Long> reset(int node, ResetOffsetsRequest.Builder request) {
    ResetOffsetsResponse answer =
        groups(node).resetOffsets(request.setGroupId(GROUP).setTopic(TOPIC).build());
    assertThat(answer.getError()).as(answer.getErrorMessage()).isEqualTo(ErrorCode.NONE);
    Map<Integer, Long> out = new HashMap<>();
    for (ResetOffsetsPartitionResult r : answer.getPartitionsList()) {
      assertThat(r.getError()).as(r.getErrorMessage()).isEqualTo(ErrorCode.NONE);
      out.put(r.getPartition(), r.getNewOffset());
    }
    return out;
  }

  @Test
  void resetOffsetsAsksEveryPartitionsLeaderAndDeleteRemovesTheGroup() throws Exception {
    startCluster();
    createTopic(6);
    Map<Integer, Integer> leaders = produceToEveryPartition(6, p -> p + 1);
    int coordinator = coordinator(1);
    // Replication factor 1 spreads leaders: some partitions are answered over ListOffsets.
    assertThat(leaders.values()).anyMatch(l -> l != coordinator);

    Map<Integer, Long> latest =
        reset(coordinator, ResetOffsetsRequest.newBuilder().setToLatest(true));
    Map<Integer, Long> expected = new HashMap<>();
    for (int p = 0; p < 6; p++) {
      expected.put(p, (long) p + 1);
    }
    assertThat(latest).isEqualTo(expected);
    OffsetFetchResponse fetched =
        groups(coordinator).offsetFetch(OffsetFetchRequest.newBuilder().setGroupId(GROUP).build());
    assertThat(committed(fetched)).isEqualTo(expected);

    Map<Integer, Long> earliest =
        reset(coordinator, ResetOffsetsRequest.newBuilder().setToEarliest(true));
    assertThat(earliest.values()).containsOnly(0L).hasSize(6);
    GroupDescription described =
        groups(coordinator)
            .describeGroup(DescribeGroupRequest.newBuilder().addGroupIds(GROUP).build())
            .getGroups(0);
    assertThat(described.getOffsetsList()).hasSize(6);
    for (GroupPartitionOffset row : described.getOffsetsList()) {
      assertThat(row.getCommittedOffset()).isZero();
      assertThat(row.getLogEndOffset()).isEqualTo(row.getPartition() + 1);
      assertThat(row.getLag()).isEqualTo(row.getPartition() + 1);
    }

    var deleted =
        groups(coordinator).deleteGroup(DeleteGroupRequest.newBuilder().addGroupIds(GROUP).build());
    assertThat(deleted.getResults(0).getError()).isEqualTo(ErrorCode.NONE);
    OffsetFetchResponse after =
        groups(coordinator).offsetFetch(OffsetFetchRequest.newBuilder().setGroupId(GROUP).build());
    if (after.getError() == ErrorCode.NONE) {
      assertThat(committed(after).values()).allMatch(o -> o == -1L);
    } else {
      assertThat(after.getError()).isEqualTo(ErrorCode.GROUP_ID_NOT_FOUND);
    }
  }
}
