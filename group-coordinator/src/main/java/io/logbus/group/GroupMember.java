package io.logbus.group;

import java.util.Set;
import java.util.TreeSet;

/**
 * One member of a {@link ConsumerGroup} as the coordinator sees it: identity, subscription, epoch
 * and where it stands in reconciliation. Mutable; guarded by the owning group's shard lock.
 *
 * <p>{@code assigned} is what the member may own now (sent in every heartbeat response); {@code
 * pendingRevocation} holds partitions taken from it that it has not yet confirmed releasing: until
 * it does, nobody else gets them.
 */
final class GroupMember {

  /** Kafka's MemberState, reduced to what incremental reconciliation needs. */
  enum State {
    /** Owns exactly its target at the assignment epoch, or is moving to the next epoch. */
    STABLE,
    /** Must release {@code pendingRevocation} first; keeps its previous epoch meanwhile. */
    UNREVOKED_PARTITIONS,
    /** At the new epoch, waiting for others to release some of its target partitions. */
    UNRELEASED_PARTITIONS
  }

  final String memberId;
  String clientId = "";
  String clientHost = "";
  String rackId = "";
  String serverAssignor = "";
  int rebalanceTimeoutMs;
  Set<String> subscribedTopics = new TreeSet<>();
  int memberEpoch;
  int previousMemberEpoch;
  State state = State.STABLE;
  Set<TopicPartition> assigned = new TreeSet<>();
  Set<TopicPartition> pendingRevocation = new TreeSet<>();
  // Not persisted: after a coordinator failover every member gets a fresh session and deadline.
  long lastHeartbeatMs;
  long revocationDeadlineMs = Long.MAX_VALUE;

  GroupMember(String memberId) {
    this.memberId = memberId;
  }

  /** Everything the member may still be fetching: assigned plus not yet released. */
  Set<TopicPartition> owned() {
    Set<TopicPartition> all = new TreeSet<>(assigned);
    all.addAll(pendingRevocation);
    return all;
  }
}
