package io.logbus.client;

import io.logbus.record.Header;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * A record to send: topic, optional partition, optional timestamp (null = now), key and value
 * (either may be null; a null value is a tombstone), headers.
 */
public record ProducerRecord(
    String topic,
    Integer partition,
    Long timestamp,
    byte[] key,
    byte[] value,
    List<Header> headers) {

  public ProducerRecord {
    Objects.requireNonNull(topic, "topic");
    if (partition != null && partition < 0) {
      throw new IllegalArgumentException("partition " + partition + " < 0");
    }
    if (timestamp != null && timestamp < 0) {
      throw new IllegalArgumentException("timestamp " + timestamp + " < 0");
    }
    headers = headers == null ? List.of() : List.copyOf(headers);
  }

  public ProducerRecord(String topic, byte[] key, byte[] value) {
    this(topic, null, null, key, value, List.of());
  }

  public ProducerRecord(String topic, Integer partition, byte[] key, byte[] value) {
    this(topic, partition, null, key, value, List.of());
  }

  /** UTF-8 key and value, the console producer's case. */
  public static ProducerRecord of(String topic, String key, String value) {
    return new ProducerRecord(
        topic,
        key == null ? null : key.getBytes(StandardCharsets.UTF_8),
        value == null ? null : value.getBytes(StandardCharsets.UTF_8));
  }
}
