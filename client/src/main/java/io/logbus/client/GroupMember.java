package io.logbus.client;

import java.util.List;

/** One member of a described group; {@code assignment} is what it owns now. */
public record GroupMember(
    String memberId,
    String clientId,
    String host,
    int memberEpoch,
    List<String> subscribedTopics,
    List<TopicPartition> assignment) {
  public GroupMember {
    subscribedTopics = List.copyOf(subscribedTopics);
    assignment = List.copyOf(assignment);
  }
}
