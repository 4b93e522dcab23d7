package io.logbus.client;

/**
 * Where an acknowledged record landed. {@code offset} is -1 with acks=0 (nobody said); {@code
 * timestamp} is the broker's append time for LogAppendTime topics, else the record's.
 */
public record RecordMetadata(
    TopicPartition topicPartition, long offset, long timestamp, int keySize, int valueSize) {
  public String topic() {
    return topicPartition.topic();
  }

  public int partition() {
    return topicPartition.partition();
  }
}
