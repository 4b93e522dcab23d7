package io.logbus.group;

import io.logbus.proto.ErrorCode;
import io.logbus.proto.GroupDescription;
import io.logbus.proto.GroupMemberDescription;
import io.logbus.proto.GroupPartitionOffset;
import io.logbus.proto.GroupState;
import java.util.Map;
import java.util.TreeSet;

/**
 * DescribeGroup: one group's state, members and a row per partition that has a committed offset or
 * an owner. Log end offset and lag are -1 here: the broker fills them in. Stateless.
 */
final class GroupDescriber {

  private GroupDescriber() {}

  static GroupDescription describe(OffsetsShard shard, String groupId) {
    if (!shard.exists(groupId)) {
      throw new GroupException(ErrorCode.GROUP_ID_NOT_FOUND, "group " + groupId + " not found");
    }
    Map<TopicPartition, OffsetAndMetadata> committed = shard.committed(groupId);
    return shard.withGroup(
        groupId,
        group -> {
          GroupDescription.Builder d =
              GroupDescription.newBuilder().setGroupId(groupId).setState(GroupState.EMPTY);
          TreeSet<TopicPartition> rows = new TreeSet<>(committed.keySet());
          if (group != null) {
            d.setState(group.state())
                .setGroupEpoch(group.groupEpoch())
                .setAssignmentEpoch(group.assignmentEpoch())
                .setAssignor(group.assignorName());
            for (GroupMember m : group.members().values()) {
              d.addMembers(
                  GroupMemberDescription.newBuilder()
                      .setMemberId(m.memberId)
                      .setClientId(m.clientId)
                      .setClientHost(m.clientHost)
                      .setRackId(m.rackId)
                      .setMemberEpoch(m.memberEpoch)
                      .addAllSubscribedTopicNames(m.subscribedTopics)
                      .addAllAssignment(ConsumerGroup.toProto(m.assigned))
                      .addAllTargetAssignment(ConsumerGroup.toProto(group.targetOf(m.memberId))));
              rows.addAll(m.owned());
            }
          }
          for (TopicPartition tp : rows) {
            OffsetAndMetadata c = committed.get(tp);
            GroupPartitionOffset.Builder row =
                GroupPartitionOffset.newBuilder()
                    .setTopic(tp.topic())
                    .setPartition(tp.partition())
                    .setCommittedOffset(c == null ? -1 : c.offset())
                    .setLogEndOffset(-1)
                    .setLag(-1);
            String owner = group == null ? null : group.ownerOf(tp);
            if (owner != null) {
              GroupMember m = group.members().get(owner);
              row.setMemberId(owner).setClientId(m.clientId).setClientHost(m.clientHost);
            }
            d.addOffsets(row);
          }
          return d.build();
        });
  }
}
