package io.logbus.client.testing;

import io.grpc.stub.StreamObserver;
import io.logbus.client.testing.FakeGroups.Group;
import io.logbus.client.testing.FakeGroups.Member;
import io.logbus.client.testing.FakeGroups.TP;
import io.logbus.proto.ConsumerGroupHeartbeatRequest;
import io.logbus.proto.ConsumerGroupHeartbeatResponse;
import io.logbus.proto.DeleteGroupRequest;
import io.logbus.proto.DeleteGroupResponse;
import io.logbus.proto.DeleteGroupResult;
import io.logbus.proto.DescribeGroupRequest;
import io.logbus.proto.DescribeGroupResponse;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.FindCoordinatorRequest;
import io.logbus.proto.FindCoordinatorResponse;
import io.logbus.proto.GroupDescription;
import io.logbus.proto.GroupListing;
import io.logbus.proto.GroupMemberDescription;
import io.logbus.proto.GroupPartitionOffset;
import io.logbus.proto.GroupServiceGrpc;
import io.logbus.proto.ListGroupsRequest;
import io.logbus.proto.ListGroupsResponse;
import io.logbus.proto.OffsetCommitPartition;
import io.logbus.proto.OffsetCommitPartitionResult;
import io.logbus.proto.OffsetCommitRequest;
import io.logbus.proto.OffsetCommitResponse;
import io.logbus.proto.OffsetCommitTopic;
import io.logbus.proto.OffsetCommitTopicResult;
import io.logbus.proto.OffsetFetchPartitionResult;
import io.logbus.proto.OffsetFetchRequest;
import io.logbus.proto.OffsetFetchResponse;
import io.logbus.proto.OffsetFetchTopicResult;
import io.logbus.proto.ResetOffsetsPartitionResult;
import io.logbus.proto.ResetOffsetsRequest;
import io.logbus.proto.ResetOffsetsResponse;
import io.logbus.proto.TopicPartitions;
import io.logbus.record.Record;
import io.logbus.record.RecordBatch;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * GroupService of one {@link FakeCluster} broker over the shared {@link FakeGroups}: a broker that
 * does not coordinate a group answers NOT_COORDINATOR, ListGroups lists only this broker's groups,
 * as the real brokers do.
 */
final class FakeGroupService extends GroupServiceGrpc.GroupServiceImplBase {
  private final FakeCluster cluster;
  private final FakeGroups groups;
  private final int id;

  FakeGroupService(FakeCluster cluster, int id) {
    this.cluster = cluster;
    this.groups = cluster.groups;
    this.id = id;
  }

  private static <T> void send(StreamObserver<T> out, T answer) {
    out.onNext(answer);
    out.onCompleted();
  }

  /** NONE when this broker coordinates a valid group id and no fault is injected. */
  private ErrorCode check(String kind, String groupId) {
    ErrorCode fault = groups.fault(kind);
    if (fault != ErrorCode.NONE) {
      return fault;
    }
    if (groupId.isBlank()) {
      return ErrorCode.INVALID_GROUP_ID;
    }
    return groups.coordinator(groupId) == id ? ErrorCode.NONE : ErrorCode.NOT_COORDINATOR;
  }

  @Override
  public void findCoordinator(
      FindCoordinatorRequest req, StreamObserver<FindCoordinatorResponse> out) {
    FindCoordinatorResponse.Builder r = FindCoordinatorResponse.newBuilder().setNodeId(-1);
    ErrorCode fault = groups.fault("findCoordinator");
    int coordinator = groups.coordinator(req.getGroupId());
    if (fault != ErrorCode.NONE) {
      r.setError(fault);
    } else if (req.getGroupId().isBlank()) {
      r.setError(ErrorCode.INVALID_GROUP_ID).setErrorMessage("group id is empty");
    } else if (coordinator < 0) {
      r.setError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    } else {
      r.setNodeId(coordinator).setHost("127.0.0.1").setPort(cluster.port(coordinator));
    }
    send(out, r.build());
  }

  @Override
  public void consumerGroupHeartbeat(
      ConsumerGroupHeartbeatRequest req, StreamObserver<ConsumerGroupHeartbeatResponse> out) {
    groups.countHeartbeat();
    ConsumerGroupHeartbeatResponse.Builder r = ConsumerGroupHeartbeatResponse.newBuilder();
    ErrorCode error = check("heartbeat", req.getGroupId());
    if (error != ErrorCode.NONE) {
      send(out, r.setError(error).build());
      return;
    }
    synchronized (groups) {
      Group g = groups.group(req.getGroupId());
      long now = System.currentTimeMillis();
      groups.expire(g, now);
      Member m = g.members.get(req.getMemberId());
      int epoch = req.getMemberEpoch();
      if (epoch == -1) {
        if (m == null) {
          r.setError(ErrorCode.UNKNOWN_MEMBER_ID);
        } else {
          groups.removeMember(g, m.id);
          r.setMemberId(m.id).setMemberEpoch(-1);
        }
        send(out, r.build());
        return;
      }
      if (epoch == 0) {
        if (m != null) {
          groups.removeMember(g, m.id);
        }
        m = new Member(req.getMemberId().isEmpty() ? groups.newMemberId() : req.getMemberId());
        g.members.put(m.id, m);
        g.epoch++;
      } else if (m == null) {
        send(out, r.setError(ErrorCode.UNKNOWN_MEMBER_ID).build());
        return;
      } else if (epoch != m.epoch) {
        send(out, r.setError(ErrorCode.FENCED_MEMBER_EPOCH).build());
        return;
      }
      Set<String> topics = new TreeSet<>(req.getSubscribedTopicNamesList());
      if (!topics.equals(m.topics)) {
        m.topics = topics;
        g.epoch++;
      }
      if (!req.getServerAssignor().isEmpty()) {
        g.assignor = req.getServerAssignor();
      }
      m.clientId = req.getClientId();
      m.host = "127.0.0.1";
      m.lastHeartbeatMs = now;
      groups.reconcile(g, m, toSet(req.getOwnedPartitionsList()));
      r.setMemberId(m.id)
          .setMemberEpoch(m.epoch)
          .setHeartbeatIntervalMs(groups.heartbeatIntervalMs)
          .addAllAssignment(toWire(m.assigned));
    }
    send(out, r.build());
  }

  private static Set<TP> toSet(List<TopicPartitions> wire) {
    Set<TP> out = new TreeSet<>();
    wire.forEach(t -> t.getPartitionsList().forEach(p -> out.add(new TP(t.getTopic(), p))));
    return out;
  }

  private static List<TopicPartitions> toWire(Collection<TP> partitions) {
    Map<String, TopicPartitions.Builder> byTopic = new TreeMap<>();
    for (TP tp : partitions) {
      byTopic
          .computeIfAbsent(tp.topic(), t -> TopicPartitions.newBuilder().setTopic(t))
          .addPartitions(tp.partition());
    }
    return byTopic.values().stream().map(TopicPartitions.Builder::build).toList();
  }

  @Override
  public void offsetCommit(OffsetCommitRequest req, StreamObserver<OffsetCommitResponse> out) {
    groups.countCommit();
    OffsetCommitResponse.Builder r = OffsetCommitResponse.newBuilder();
    ErrorCode error = check("commit", req.getGroupId());
    synchronized (groups) {
      if (error == ErrorCode.NONE) {
        error = committerError(groups.group(req.getGroupId()), req);
      }
      Group g = groups.group(req.getGroupId());
      for (OffsetCommitTopic t : req.getTopicsList()) {
        OffsetCommitTopicResult.Builder tr =
            OffsetCommitTopicResult.newBuilder().setTopic(t.getTopic());
        for (OffsetCommitPartition p : t.getPartitionsList()) {
          ErrorCode pe = error;
          if (pe == ErrorCode.NONE && (p.getCommittedOffset() < 0 || p.getPartition() < 0)) {
            pe = ErrorCode.INVALID_REQUEST;
          }
          if (pe == ErrorCode.NONE) {
            g.offsets.put(new TP(t.getTopic(), p.getPartition()), p.getCommittedOffset());
          }
          tr.addPartitions(
              OffsetCommitPartitionResult.newBuilder().setPartition(p.getPartition()).setError(pe));
        }
        r.addTopics(tr);
      }
    }
    send(out, r.setError(error).build());
  }

  /** Kafka's rules: outside commits only while empty; the member's current epoch only. */
  private static ErrorCode committerError(Group g, OffsetCommitRequest req) {
    if (req.getMemberId().isEmpty() && req.getMemberEpoch() < 0) {
      return g.members.isEmpty() ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
    }
    Member m = g.members.get(req.getMemberId());
    if (m == null) {
      return ErrorCode.UNKNOWN_MEMBER_ID;
    }
    if (req.getMemberEpoch() > m.epoch) {
      return ErrorCode.FENCED_MEMBER_EPOCH;
    }
    return req.getMemberEpoch() < m.epoch ? ErrorCode.STALE_MEMBER_EPOCH : ErrorCode.NONE;
  }

  @Override
  public void offsetFetch(OffsetFetchRequest req, StreamObserver<OffsetFetchResponse> out) {
    OffsetFetchResponse.Builder r = OffsetFetchResponse.newBuilder();
    ErrorCode error = check("fetch", req.getGroupId());
    if (error != ErrorCode.NONE) {
      send(out, r.setError(error).build());
      return;
    }
    synchronized (groups) {
      Map<TP, Long> offsets =
          groups.groups.containsKey(req.getGroupId())
              ? groups.groups.get(req.getGroupId()).offsets
              : Map.of();
      Map<String, OffsetFetchTopicResult.Builder> byTopic = new TreeMap<>();
      List<TP> asked = new ArrayList<>();
      if (req.getTopicsCount() == 0) {
        asked.addAll(offsets.keySet());
      } else {
        asked.addAll(toSet(req.getTopicsList()));
      }
      for (TP tp : asked) {
        byTopic
            .computeIfAbsent(tp.topic(), t -> OffsetFetchTopicResult.newBuilder().setTopic(t))
            .addPartitions(
                OffsetFetchPartitionResult.newBuilder()
                    .setPartition(tp.partition())
                    .setCommittedOffset(offsets.getOrDefault(tp, -1L))
                    .setCommittedLeaderEpoch(-1));
      }
      byTopic.values().forEach(r::addTopics);
    }
    send(out, r.build());
  }

  @Override
  public void listGroups(ListGroupsRequest req, StreamObserver<ListGroupsResponse> out) {
    ListGroupsResponse.Builder r = ListGroupsResponse.newBuilder();
    ErrorCode fault = groups.fault("list");
    if (fault != ErrorCode.NONE) {
      send(out, r.setError(fault).build());
      return;
    }
    synchronized (groups) {
      for (Group g : groups.groups.values()) {
        if (groups.coordinator(g.id) == id) {
          r.addGroups(
              GroupListing.newBuilder()
                  .setGroupId(g.id)
                  .setState(groups.state(g))
                  .setMemberCount(g.members.size()));
        }
      }
    }
    send(out, r.build());
  }

  @Override
  public void describeGroup(DescribeGroupRequest req, StreamObserver<DescribeGroupResponse> out) {
    DescribeGroupResponse.Builder r = DescribeGroupResponse.newBuilder();
    for (String groupId : req.getGroupIdsList()) {
      GroupDescription.Builder d = GroupDescription.newBuilder().setGroupId(groupId);
      ErrorCode error = check("describe", groupId);
      synchronized (groups) {
        Group g = groups.groups.get(groupId);
        if (error == ErrorCode.NONE && g == null) {
          error = ErrorCode.GROUP_ID_NOT_FOUND;
        }
        if (error != ErrorCode.NONE) {
          r.addGroups(d.setError(error).setErrorMessage("group " + groupId));
          continue;
        }
        d.setState(groups.state(g)).setGroupEpoch(g.epoch).setAssignor(g.assignor);
        Set<TP> rows = new TreeSet<>(g.offsets.keySet());
        for (Member m : g.members.values()) {
          d.addMembers(
              GroupMemberDescription.newBuilder()
                  .setMemberId(m.id)
                  .setClientId(m.clientId)
                  .setClientHost(m.host)
                  .setMemberEpoch(m.epoch)
                  .addAllSubscribedTopicNames(m.topics)
                  .addAllAssignment(toWire(m.assigned))
                  .addAllTargetAssignment(toWire(groups.target(g, m))));
          rows.addAll(m.assigned);
        }
        for (TP tp : rows) {
          long committed = g.offsets.getOrDefault(tp, -1L);
          FakePartition p = groups.partition(tp);
          long end = p == null ? -1 : p.endOffset();
          Member owner = null;
          for (Member m : g.members.values()) {
            if (m.assigned.contains(tp)) {
              owner = m;
            }
          }
          d.addOffsets(
              GroupPartitionOffset.newBuilder()
                  .setTopic(tp.topic())
                  .setPartition(tp.partition())
                  .setCommittedOffset(committed)
                  .setLogEndOffset(end)
                  .setLag(committed < 0 || end < 0 ? -1 : Math.max(0, end - committed))
                  .setMemberId(owner == null ? "" : owner.id)
                  .setClientId(owner == null ? "" : owner.clientId)
                  .setClientHost(owner == null ? "" : owner.host));
        }
      }
      r.addGroups(d);
    }
    send(out, r.build());
  }

  @Override
  public void resetOffsets(ResetOffsetsRequest req, StreamObserver<ResetOffsetsResponse> out) {
    ResetOffsetsResponse.Builder r = ResetOffsetsResponse.newBuilder();
    ErrorCode error = check("reset", req.getGroupId());
    List<FakePartition> parts = groups.topic(req.getTopic());
    if (error == ErrorCode.NONE && parts == null) {
      error = ErrorCode.UNKNOWN_TOPIC;
    }
    if (error == ErrorCode.NONE
        && (req.getSpecCase() == ResetOffsetsRequest.SpecCase.SPEC_NOT_SET
            || (req.hasPartition()
                && (req.getPartition() < 0 || req.getPartition() >= parts.size())))) {
      error = ErrorCode.INVALID_REQUEST;
    }
    synchronized (groups) {
      if (error == ErrorCode.NONE
          && groups.groups.containsKey(req.getGroupId())
          && !groups.groups.get(req.getGroupId()).members.isEmpty()) {
        error = ErrorCode.GROUP_NOT_EMPTY;
      }
      if (error != ErrorCode.NONE) {
        send(out, r.setError(error).setErrorMessage("reset of " + req.getGroupId()).build());
        return;
      }
      Group g = groups.group(req.getGroupId());
      for (int p = 0; p < parts.size(); p++) {
        if (req.hasPartition() && req.getPartition() != p) {
          continue;
        }
        TP tp = new TP(req.getTopic(), p);
        FakePartition fp = parts.get(p);
        long previous = g.offsets.getOrDefault(tp, -1L);
        long target =
            switch (req.getSpecCase()) {
              case TO_EARLIEST -> fp.logStartOffset();
              case TO_LATEST -> fp.endOffset();
              case TO_OFFSET -> req.getToOffset();
              case TO_DATETIME_MS -> offsetForTime(fp, req.getToDatetimeMs());
              case SHIFT_BY -> (previous < 0 ? fp.logStartOffset() : previous) + req.getShiftBy();
              default -> throw new IllegalStateException("checked above");
            };
        long clamped = Math.max(fp.logStartOffset(), Math.min(fp.endOffset(), target));
        if (!req.getDryRun()) {
          g.offsets.put(tp, clamped);
        }
        r.addPartitions(
            ResetOffsetsPartitionResult.newBuilder()
                .setTopic(tp.topic())
                .setPartition(p)
                .setPreviousOffset(previous)
                .setNewOffset(clamped));
      }
    }
    send(out, r.build());
  }

  private static long offsetForTime(FakePartition p, long timestampMs) {
    for (RecordBatch b : p.batches()) {
      for (Record rec : b.records()) {
        if (rec.timestamp() >= timestampMs) {
          return rec.offset();
        }
      }
    }
    return p.endOffset();
  }

  @Override
  public void deleteGroup(DeleteGroupRequest req, StreamObserver<DeleteGroupResponse> out) {
    DeleteGroupResponse.Builder r = DeleteGroupResponse.newBuilder();
    for (String groupId : req.getGroupIdsList()) {
      ErrorCode error = check("delete", groupId);
      synchronized (groups) {
        Group g = groups.groups.get(groupId);
        if (error == ErrorCode.NONE && g == null) {
          error = ErrorCode.GROUP_ID_NOT_FOUND;
        } else if (error == ErrorCode.NONE && !g.members.isEmpty()) {
          error = ErrorCode.GROUP_NOT_EMPTY;
        }
        if (error == ErrorCode.NONE) {
          groups.groups.remove(groupId);
        }
      }
      r.addResults(DeleteGroupResult.newBuilder().setGroupId(groupId).setError(error));
    }
    send(out, r.build());
  }
}
