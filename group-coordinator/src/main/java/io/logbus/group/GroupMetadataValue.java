package io.logbus.group;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The persisted form of a {@link ConsumerGroup}: the value of a group-metadata record in
 * __consumer_offsets (layout in {@link OffsetsTopicFormat}). Each change of a group writes the
 * whole group again; compaction keeps the latest. Immutable.
 *
 * @param subscriptionMetadata partition count of every subscribed topic at the last epoch bump: a
 *     difference with the broker's metadata bumps the epoch again (new partitions)
 */
public record GroupMetadataValue(
    int groupEpoch,
    int assignmentEpoch,
    Map<String, Integer> subscriptionMetadata,
    List<Member> members) {

  public GroupMetadataValue {
    subscriptionMetadata = Map.copyOf(subscriptionMetadata);
    members = List.copyOf(members);
  }

  /** One member; {@code state} is {@link GroupMember.State#ordinal()}. */
  public record Member(
      String memberId,
      String clientId,
      String clientHost,
      String rackId,
      String serverAssignor,
      int rebalanceTimeoutMs,
      Set<String> subscribedTopics,
      int memberEpoch,
      int previousMemberEpoch,
      int state,
      Set<TopicPartition> assigned,
      Set<TopicPartition> pendingRevocation,
      Set<TopicPartition> target) {

    public Member {
      subscribedTopics = Set.copyOf(subscribedTopics);
      assigned = Set.copyOf(assigned);
      pendingRevocation = Set.copyOf(pendingRevocation);
      target = Set.copyOf(target);
    }
  }
}
