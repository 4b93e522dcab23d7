package io.logbus.client;

import java.util.Objects;

/** A topic name and a partition number. */
public record TopicPartition(String topic, int partition) implements Comparable<TopicPartition> {
  public TopicPartition {
    Objects.requireNonNull(topic, "topic");
    if (partition < 0) {
      throw new IllegalArgumentException("partition " + partition + " of " + topic + " < 0");
    }
  }

  @Override
  public int compareTo(TopicPartition o) {
    int c = topic.compareTo(o.topic);
    return c != 0 ? c : Integer.compare(partition, o.partition);
  }

  @Override
  public String toString() {
    return topic + "-" + partition;
  }
}
