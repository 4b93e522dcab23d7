package io.logbus.client;

import io.logbus.record.Header;
import java.util.List;

/** A record read from a partition: where it is, when, and its key, value and headers. */
public record ConsumerRecord(
    String topic,
    int partition,
    long offset,
    long timestamp,
    byte[] key,
    byte[] value,
    List<Header> headers) {

  public TopicPartition topicPartition() {
    return new TopicPartition(topic, partition);
  }
}
