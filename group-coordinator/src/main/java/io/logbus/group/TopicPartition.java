package io.logbus.group;

import java.util.Comparator;
import java.util.Objects;

/** A partition of a topic: the unit of assignment and of committed offsets. Immutable. */
public record TopicPartition(String topic, int partition) implements Comparable<TopicPartition> {

  private static final Comparator<TopicPartition> ORDER =
      Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition);

  public TopicPartition {
    Objects.requireNonNull(topic, "topic");
    if (partition < 0) {
      throw new IllegalArgumentException("partition must be >= 0, got " + partition);
    }
  }

  @Override
  public int compareTo(TopicPartition o) {
    return ORDER.compare(this, o);
  }

  @Override
  public String toString() {
    return topic + "-" + partition;
  }
}
