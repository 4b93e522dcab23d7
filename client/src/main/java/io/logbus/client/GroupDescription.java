package io.logbus.client;

import java.util.List;

/**
 * A group as {@link LogbusAdmin#describeGroup} reports it: members and, per partition with a
 * committed offset or an owner, the committed offset, log end offset and lag.
 */
public record GroupDescription(
    String groupId,
    GroupState state,
    int groupEpoch,
    String assignor,
    List<GroupMember> members,
    List<GroupPartitionLag> partitions) {
  public GroupDescription {
    members = List.copyOf(members);
    partitions = List.copyOf(partitions);
  }
}
