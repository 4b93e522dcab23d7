package io.logbus.broker;

/** A topic partition as a map key; prints as {@code topic-3}, the log directory name. */
public record PartitionKey(String topic, int partition) {
  @Override
  public String toString() {
    return topic + "-" + partition;
  }
}
