package io.logbus.group;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The input of a {@link PartitionAssignor}: members by id with their subscription and current
 * target assignment, and the partition count of every topic known to exist. Immutable; members are
 * kept sorted by id so that assignors are deterministic.
 */
public record AssignmentSpec(
    Map<String, MemberSubscription> members, Map<String, Integer> partitionCounts) {

  /** One member's subscribed topic names and the partitions it is currently targeted to own. */
  public record MemberSubscription(Set<String> topics, Set<TopicPartition> current) {
    public MemberSubscription {
      topics = Set.copyOf(topics);
      current = Set.copyOf(current);
    }
  }

  public AssignmentSpec {
    members = java.util.Collections.unmodifiableMap(new TreeMap<>(members));
    partitionCounts = Map.copyOf(partitionCounts);
    for (Map.Entry<String, Integer> e : partitionCounts.entrySet()) {
      if (e.getValue() < 0) {
        throw new IllegalArgumentException(
            "partition count of " + e.getKey() + " must be >= 0, got " + e.getValue());
      }
    }
  }

  /** Every existing partition of the topics at least one member subscribes to. */
  public Set<TopicPartition> subscribedPartitions() {
    Set<TopicPartition> all = new HashSet<>();
    for (MemberSubscription m : members.values()) {
      for (String topic : m.topics()) {
        int count = partitionCounts.getOrDefault(topic, 0);
        for (int p = 0; p < count; p++) {
          all.add(new TopicPartition(topic, p));
        }
      }
    }
    return all;
  }

  /** True when a partition still exists and the member subscribes to its topic. */
  boolean eligible(String memberId, TopicPartition tp) {
    MemberSubscription m = members.get(memberId);
    return m != null
        && m.topics().contains(tp.topic())
        && tp.partition() < partitionCounts.getOrDefault(tp.topic(), 0);
  }
}
