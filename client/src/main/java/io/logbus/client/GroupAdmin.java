package io.logbus.client;

import io.grpc.StatusRuntimeException;
import io.logbus.proto.BrokerInfo;
import io.logbus.proto.DeleteGroupRequest;
import io.logbus.proto.DescribeGroupRequest;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.GroupMemberDescription;
import io.logbus.proto.GroupPartitionOffset;
import io.logbus.proto.ListGroupsRequest;
import io.logbus.proto.ListGroupsResponse;
import io.logbus.proto.OffsetFetchPartitionResult;
import io.logbus.proto.OffsetFetchRequest;
import io.logbus.proto.OffsetFetchResponse;
import io.logbus.proto.OffsetFetchTopicResult;
import io.logbus.proto.ResetOffsetsPartitionResult;
import io.logbus.proto.ResetOffsetsRequest;
import io.logbus.proto.ResetOffsetsResponse;
import io.logbus.proto.TopicPartitions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The consumer-group half of {@link LogbusAdmin}: blocking calls, each bounded by
 * default.api.timeout.ms, that LogbusAdmin runs on its executor. Group calls go to the group's
 * coordinator through {@link CoordinatorClient}; ListGroups asks every live broker, since each
 * lists only the groups it coordinates. Thread-safe.
 */
final class GroupAdmin {
  private final CoordinatorClient coordinators;
  private final MetadataManager metadata;
  private final AdminConfig config;
  private final Clock clock;

  GroupAdmin(
      CoordinatorClient coordinators, MetadataManager metadata, AdminConfig config, Clock clock) {
    this.coordinators = coordinators;
    this.metadata = metadata;
    this.config = config;
    this.clock = clock;
  }

  private long deadline() {
    return clock.millis() + config.apiTimeoutMs();
  }

  /** Every group of every live broker, sorted by id. */
  List<GroupListing> listGroups() {
    long deadline = deadline();
    Map<String, GroupListing> found = new TreeMap<>();
    Map<Integer, String> pending = null; // broker id -> why it has not answered yet
    while (true) {
      Cluster cluster = metadata.refresh();
      Map<Integer, String> next = new TreeMap<>();
      for (BrokerInfo b : cluster.brokers().values()) {
        if (b.getFenced() || (pending != null && !pending.containsKey(b.getId()))) {
          continue;
        }
        HostPort address = new HostPort(b.getHost(), b.getPort());
        try {
          ListGroupsResponse r =
              coordinators.stub(address).listGroups(ListGroupsRequest.getDefaultInstance());
          for (io.logbus.proto.GroupListing g : r.getGroupsList()) {
            found.putIfAbsent(
                g.getGroupId(),
                new GroupListing(g.getGroupId(), GroupState.of(g.getState()), g.getMemberCount()));
          }
          if (r.getError() != ErrorCode.NONE) {
            ApiException e =
                ApiException.of(r.getError(), r.getErrorMessage(), "broker " + b.getId());
            if (!e.retriable()) {
              throw e;
            }
            next.put(b.getId(), e.getMessage());
          }
        } catch (StatusRuntimeException e) {
          next.put(b.getId(), address + " " + e.getStatus().getCode());
          metadata.invalidate();
        }
      }
      if (next.isEmpty()) {
        return List.copyOf(found.values());
      }
      if (clock.millis() + config.retryBackoffMs() >= deadline) {
        throw new ClientTimeoutException(
            "list groups timed out after " + config.apiTimeoutMs() + " ms; not answered: " + next);
      }
      pending = next;
      Futures.sleep(config.retryBackoffMs());
    }
  }

  GroupDescription describeGroup(String groupId) {
    Objects.requireNonNull(groupId, "groupId");
    io.logbus.proto.GroupDescription g =
        coordinators
            .call(
                groupId,
                "describe group",
                deadline(),
                stub ->
                    stub.describeGroup(
                        DescribeGroupRequest.newBuilder().addGroupIds(groupId).build()),
                r ->
                    r.getGroupsCount() == 0
                        ? ErrorCode.UNKNOWN_SERVER_ERROR
                        : r.getGroups(0).getError(),
                r -> r.getGroupsCount() == 0 ? "empty answer" : r.getGroups(0).getErrorMessage())
            .getGroups(0);
    List<GroupMember> members = new ArrayList<>();
    for (GroupMemberDescription m : g.getMembersList()) {
      members.add(
          new GroupMember(
              m.getMemberId(),
              m.getClientId(),
              m.getClientHost(),
              m.getMemberEpoch(),
              m.getSubscribedTopicNamesList(),
              partitions(m.getAssignmentList())));
    }
    List<GroupPartitionLag> rows = new ArrayList<>();
    for (GroupPartitionOffset o : g.getOffsetsList()) {
      rows.add(
          new GroupPartitionLag(
              new TopicPartition(o.getTopic(), o.getPartition()),
              o.getCommittedOffset(),
              o.getLogEndOffset(),
              o.getLag(),
              o.getMemberId(),
              o.getClientId(),
              o.getClientHost()));
    }
    rows.sort((a, b) -> a.partition().compareTo(b.partition()));
    return new GroupDescription(
        g.getGroupId(),
        GroupState.of(g.getState()),
        g.getGroupEpoch(),
        g.getAssignor(),
        members,
        rows);
  }

  static List<TopicPartition> partitions(List<TopicPartitions> wire) {
    List<TopicPartition> out = new ArrayList<>();
    for (TopicPartitions t : wire) {
      for (int p : t.getPartitionsList()) {
        out.add(new TopicPartition(t.getTopic(), p));
      }
    }
    out.sort(null);
    return out;
  }

  List<OffsetResetResult> resetOffsets(
      String groupId, String topic, Integer partition, OffsetResetSpec spec, boolean dryRun) {
    ResetOffsetsRequest.Builder req =
        ResetOffsetsRequest.newBuilder()
            .setGroupId(Objects.requireNonNull(groupId, "groupId"))
            .setTopic(Objects.requireNonNull(topic, "topic"))
            .setDryRun(dryRun);
    if (partition != null) {
      if (partition < 0) {
        throw new IllegalArgumentException("partition " + partition + " of " + topic + " < 0");
      }
      req.setPartition(partition);
    }
    Objects.requireNonNull(spec, "spec");
    if (spec instanceof OffsetResetSpec.ToEarliest) {
      req.setToEarliest(true);
    } else if (spec instanceof OffsetResetSpec.ToLatest) {
      req.setToLatest(true);
    } else if (spec instanceof OffsetResetSpec.ToOffset o) {
      req.setToOffset(o.offset());
    } else if (spec instanceof OffsetResetSpec.ToDatetime d) {
      req.setToDatetimeMs(d.epochMillis());
    } else if (spec instanceof OffsetResetSpec.ShiftBy s) {
      req.setShiftBy(s.delta());
    }
    ResetOffsetsResponse r =
        coordinators.call(
            groupId,
            "reset offsets",
            deadline(),
            stub -> stub.resetOffsets(req.build()),
            ResetOffsetsResponse::getError,
            ResetOffsetsResponse::getErrorMessage);
    List<OffsetResetResult> out = new ArrayList<>();
    for (ResetOffsetsPartitionResult p : r.getPartitionsList()) {
      TopicPartition tp = new TopicPartition(p.getTopic(), p.getPartition());
      if (p.getError() != ErrorCode.NONE) {
        throw ApiException.of(p.getError(), p.getErrorMessage(), tp.toString());
      }
      out.add(new OffsetResetResult(tp, p.getPreviousOffset(), p.getNewOffset()));
    }
    out.sort((a, b) -> a.partition().compareTo(b.partition()));
    return List.copyOf(out);
  }

  void deleteGroup(String groupId) {
    Objects.requireNonNull(groupId, "groupId");
    coordinators.call(
        groupId,
        "delete group",
        deadline(),
        stub -> stub.deleteGroup(DeleteGroupRequest.newBuilder().addGroupIds(groupId).build()),
        r -> r.getResultsCount() == 0 ? ErrorCode.UNKNOWN_SERVER_ERROR : r.getResults(0).getError(),
        r -> r.getResultsCount() == 0 ? "empty answer" : r.getResults(0).getErrorMessage());
  }

  /** Every committed offset of the group; partitions without one are absent. */
  Map<TopicPartition, Long> listCommittedOffsets(String groupId) {
    Objects.requireNonNull(groupId, "groupId");
    return committed(
        coordinators.call(
            groupId,
            "list committed offsets",
            deadline(),
            stub -> stub.offsetFetch(OffsetFetchRequest.newBuilder().setGroupId(groupId).build()),
            OffsetFetchResponse::getError,
            OffsetFetchResponse::getErrorMessage));
  }

  /** The committed offsets of an OffsetFetch answer; -1 (none) is left out. */
  static Map<TopicPartition, Long> committed(OffsetFetchResponse r) {
    Map<TopicPartition, Long> out = new HashMap<>();
    for (OffsetFetchTopicResult t : r.getTopicsList()) {
      for (OffsetFetchPartitionResult p : t.getPartitionsList()) {
        TopicPartition tp = new TopicPartition(t.getTopic(), p.getPartition());
        if (p.getError() != ErrorCode.NONE) {
          throw ApiException.of(p.getError(), p.getErrorMessage(), tp.toString());
        }
        if (p.getCommittedOffset() >= 0) {
          out.put(tp, p.getCommittedOffset());
        }
      }
    }
    return out;
  }
}
