package io.logbus.cli;

import io.logbus.client.Futures;
import io.logbus.client.LogbusAdmin;
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
}
