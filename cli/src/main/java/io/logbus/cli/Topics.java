package io.logbus.cli;

import io.logbus.client.Futures;
import io.logbus.client.LogbusAdmin;
import io.logbus.client.LogbusException;
import io.logbus.client.TopicDescription;
import java.util.List;

/** Looks a topic up before producing or consuming, so an unknown name fails at once. */
final class Topics {
  private Topics() {}

  /** Partition count; throws "unknown topic T" right away when it does not exist. */
  static int partitionCount(ClientOptions client, String topic) {
    try (LogbusAdmin admin = client.admin()) {
      List<TopicDescription> d = Futures.get(admin.describeTopics(List.of(topic)));
      return d.get(0).partitions().size();
    }
  }

  /**
   * Partition count, after checking that the topic exists and, unless {@code partition} is null,
   * has that partition.
   */
  static int checkPartition(ClientOptions client, String topic, Integer partition) {
    int partitions = partitionCount(client, topic);
    if (partition != null && partition >= partitions) {
      throw new LogbusException(
          "unknown partition "
              + partition
              + " of topic "
              + topic
              + " ("
              + partitions
              + " partitions)");
    }
    return partitions;
  }
}
