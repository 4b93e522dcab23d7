package io.logbus.client;

import java.util.List;
import java.util.Map;

/** What DescribeTopics says about one topic. */
public record TopicDescription(
    String name,
    String topicId,
    boolean internal,
    Map<String, String> configs,
    List<PartitionInfo> partitions) {

  /** One partition: leader (-1 when offline), epoch, replicas, ISR and the leader's offsets. */
  public record PartitionInfo(
      int partition,
      int leader,
      int leaderEpoch,
      List<Integer> replicas,
      List<Integer> isr,
      long logStartOffset,
      long logEndOffset) {}
}
