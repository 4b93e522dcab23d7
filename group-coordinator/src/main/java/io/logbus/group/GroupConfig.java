package io.logbus.group;

/**
 * Coordinator settings, built by the broker from its properties (names as in Kafka). Immutable.
 *
 * @param offsetsTopicPartitions offsets.topic.num.partitions: N in hash(group) mod N
 * @param sessionTimeoutMs group.consumer.session.timeout.ms: a member silent this long is removed
 * @param heartbeatIntervalMs group.consumer.heartbeat.interval.ms, told to members
 * @param defaultRebalanceTimeoutMs used when a member sends 0: how long it may take to revoke
 * @param offsetsRetentionMs offsets.retention.minutes in ms: offsets of an empty group older than
 *     this are expired (tombstoned)
 * @param defaultAssignor "uniform" or "range"
 * @param maxGroupSize group.consumer.max.size
 */
public record GroupConfig(
    int offsetsTopicPartitions,
    long sessionTimeoutMs,
    int heartbeatIntervalMs,
    int defaultRebalanceTimeoutMs,
    long offsetsRetentionMs,
    String defaultAssignor,
    int maxGroupSize) {

  public static final String OFFSETS_TOPIC = "__consumer_offsets";

  public GroupConfig {
    if (offsetsTopicPartitions < 1) {
      throw new IllegalArgumentException(
          "offsets.topic.num.partitions must be >= 1, got " + offsetsTopicPartitions);
    }
    if (sessionTimeoutMs < 1 || heartbeatIntervalMs < 1 || defaultRebalanceTimeoutMs < 1) {
      throw new IllegalArgumentException(
          "timeouts must be >= 1 ms: session "
              + sessionTimeoutMs
              + ", heartbeat "
              + heartbeatIntervalMs
              + ", rebalance "
              + defaultRebalanceTimeoutMs);
    }
    if (offsetsRetentionMs < 1) {
      throw new IllegalArgumentException(
          "offsets retention must be >= 1 ms, got " + offsetsRetentionMs);
    }
    if (!UniformAssignor.NAME.equals(defaultAssignor)
        && !RangeAssignor.NAME.equals(defaultAssignor)) {
      throw new IllegalArgumentException("unknown assignor " + defaultAssignor);
    }
    if (maxGroupSize < 1) {
      throw new IllegalArgumentException("max group size must be >= 1, got " + maxGroupSize);
    }
  }

  /** Kafka's defaults: 16 partitions here (Kafka: 50), 45 s session, 5 s heartbeat, 7 days. */
  public static GroupConfig defaults() {
    return new GroupConfig(
        16, 45_000, 5_000, 60_000, 7L * 24 * 3600 * 1000, UniformAssignor.NAME, 1000);
  }

  public static final String OFFSETS_TOPIC_NUM_PARTITIONS = "offsets.topic.num.partitions";
  public static final String SESSION_TIMEOUT_MS = "group.consumer.session.timeout.ms";
  public static final String HEARTBEAT_INTERVAL_MS = "group.consumer.heartbeat.interval.ms";
  public static final String REBALANCE_TIMEOUT_MS = "group.consumer.rebalance.timeout.ms";
  public static final String OFFSETS_RETENTION_MINUTES = "offsets.retention.minutes";
  public static final String ASSIGNOR = "group.consumer.assignor";
  public static final String MAX_SIZE = "group.consumer.max.size";

  /**
   * The defaults with the keys above overridden (other keys are ignored: the node passes its whole
   * properties file). Throws IllegalArgumentException naming the key and value on a bad number.
   */
  public static GroupConfig fromProperties(java.util.Map<String, String> props) {
    GroupConfig d = defaults();
    return new GroupConfig(
        (int) number(props, OFFSETS_TOPIC_NUM_PARTITIONS, d.offsetsTopicPartitions()),
        number(props, SESSION_TIMEOUT_MS, d.sessionTimeoutMs()),
        (int) number(props, HEARTBEAT_INTERVAL_MS, d.heartbeatIntervalMs()),
        (int) number(props, REBALANCE_TIMEOUT_MS, d.defaultRebalanceTimeoutMs()),
        Math.multiplyExact(
            number(props, OFFSETS_RETENTION_MINUTES, d.offsetsRetentionMs() / 60_000), 60_000L),
        props.getOrDefault(ASSIGNOR, d.defaultAssignor()).trim(),
        (int) number(props, MAX_SIZE, d.maxGroupSize()));
  }

  private static long number(java.util.Map<String, String> props, String key, long fallback) {
    String raw = props.get(key);
    if (raw == null) {
      return fallback;
    }
    try {
      long v = Long.parseLong(raw.trim());
      if (v > Integer.MAX_VALUE && !key.equals(SESSION_TIMEOUT_MS)) {
        throw new NumberFormatException("too large");
      }
      return v;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + "=" + raw + " is not a valid number");
    }
  }

  public GroupConfig withOffsetsTopicPartitions(int n) {
    return new GroupConfig(
        n,
        sessionTimeoutMs,
        heartbeatIntervalMs,
        defaultRebalanceTimeoutMs,
        offsetsRetentionMs,
        defaultAssignor,
        maxGroupSize);
  }
}
