package io.logbus.client;

import java.util.Set;

/** A partition has no position and auto.offset.reset=none forbids inventing one. */
public class NoOffsetForPartitionException extends LogbusException {
  private static final long serialVersionUID = 1L;

  private final transient Set<TopicPartition> partitions;

  public NoOffsetForPartitionException(Set<TopicPartition> partitions) {
    super(
        "no committed offset or position for "
            + partitions
            + " and auto.offset.reset=none: seek or commit first");
    this.partitions = Set.copyOf(partitions);
  }

  public Set<TopicPartition> partitions() {
    return partitions;
  }
}
