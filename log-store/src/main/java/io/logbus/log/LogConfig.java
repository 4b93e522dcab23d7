package io.logbus.log;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Per-partition log settings, named as Kafka's topic configs. Immutable and thread-safe: a log
 * reads its config through one volatile reference, so {@link LogManager#updateConfig} takes effect
 * at the next append, roll or background pass.
 *
 * <p>{@code min.insync.replicas} and {@code unclean.leader.election.enable} are stored for the
 * broker; the log itself ignores them. {@code compression.type} is stored for the broker as well:
 * the log keeps the producer's bytes.
 */
public final class LogConfig {

  public enum CleanupPolicy {
    DELETE("delete"),
    COMPACT("compact");

    final String configValue;

    CleanupPolicy(String configValue) {
      this.configValue = configValue;
    }
  }

  public enum FlushPolicy {
    /** fsync batched across concurrent appenders before {@link LogAppendInfo#durable()}. */
    GROUP("group"),
    /** page cache only; durability comes from replicas. */
    NEVER("never");

    final String configValue;

    FlushPolicy(String configValue) {
      this.configValue = configValue;
    }
  }

  public enum MessageTimestampType {
    CREATE_TIME("CreateTime"),
    LOG_APPEND_TIME("LogAppendTime");

    final String configValue;

    MessageTimestampType(String configValue) {
      this.configValue = configValue;
    }
  }

  public static final String SEGMENT_BYTES = "segment.bytes";
  public static final String SEGMENT_MS = "segment.ms";
  public static final String INDEX_INTERVAL_BYTES = "index.interval.bytes";
  public static final String SEGMENT_INDEX_BYTES = "segment.index.bytes";
  public static final String RETENTION_MS = "retention.ms";
  public static final String RETENTION_BYTES = "retention.bytes";
  public static final String CLEANUP_POLICY = "cleanup.policy";
  public static final String DELETE_RETENTION_MS = "delete.retention.ms";
  public static final String MIN_CLEANABLE_DIRTY_RATIO = "min.cleanable.dirty.ratio";
  public static final String MAX_MESSAGE_BYTES = "max.message.bytes";
  public static final String FLUSH = "flush";
  public static final String MESSAGE_TIMESTAMP_TYPE = "message.timestamp.type";
  public static final String MIN_INSYNC_REPLICAS = "min.insync.replicas";
  public static final String UNCLEAN_LEADER_ELECTION_ENABLE = "unclean.leader.election.enable";
  public static final String COMPRESSION_TYPE = "compression.type";

  /**
   * How long an idempotent producer's state is kept after its last write (Kafka's broker config of
   * that name, default one day); see {@link PartitionLog#removeExpiredProducers()}.
   */
  public static final String PRODUCER_ID_EXPIRATION_MS = "producer.id.expiration.ms";

  /** Smallest segment.bytes: one batch header must fit, or every append would roll. */
  static final int MIN_SEGMENT_BYTES = 64;

  private static final long DAY_MS = 24L * 60 * 60 * 1000;
  private static final LogConfig DEFAULTS =
      new LogConfig(
          1 << 30,
          7 * DAY_MS,
          4096,
          10 * 1024 * 1024,
          7 * DAY_MS,
          -1L,
          CleanupPolicy.DELETE,
          DAY_MS,
          0.5,
          1024 * 1024 + 12,
          FlushPolicy.GROUP,
          MessageTimestampType.CREATE_TIME,
          1,
          false,
          "producer",
          DAY_MS);

  private final int segmentBytes;
  private final long segmentMs;
  private final int indexIntervalBytes;
  private final int segmentIndexBytes;
  private final long retentionMs;
  private final long retentionBytes;
  private final CleanupPolicy cleanupPolicy;
  private final long deleteRetentionMs;
  private final double minCleanableDirtyRatio;
  private final int maxMessageBytes;
  private final FlushPolicy flush;
  private final MessageTimestampType messageTimestampType;
  private final int minInsyncReplicas;
  private final boolean uncleanLeaderElectionEnable;
  private final String compressionType;
  private final long producerIdExpirationMs;

  private LogConfig(
      int segmentBytes,
      long segmentMs,
      int indexIntervalBytes,
      int segmentIndexBytes,
      long retentionMs,
      long retentionBytes,
      CleanupPolicy cleanupPolicy,
      long deleteRetentionMs,
      double minCleanableDirtyRatio,
      int maxMessageBytes,
      FlushPolicy flush,
      MessageTimestampType messageTimestampType,
      int minInsyncReplicas,
      boolean uncleanLeaderElectionEnable,
      String compressionType,
      long producerIdExpirationMs) {
    this.segmentBytes = segmentBytes;
    this.segmentMs = segmentMs;
    this.indexIntervalBytes = indexIntervalBytes;
    this.segmentIndexBytes = segmentIndexBytes;
    this.retentionMs = retentionMs;
    this.retentionBytes = retentionBytes;
    this.cleanupPolicy = cleanupPolicy;
    this.deleteRetentionMs = deleteRetentionMs;
    this.minCleanableDirtyRatio = minCleanableDirtyRatio;
    this.maxMessageBytes = maxMessageBytes;
    this.flush = flush;
    this.messageTimestampType = messageTimestampType;
    this.minInsyncReplicas = minInsyncReplicas;
    this.uncleanLeaderElectionEnable = uncleanLeaderElectionEnable;
    this.compressionType = compressionType;
    this.producerIdExpirationMs = producerIdExpirationMs;
  }

  /** Kafka's topic defaults, with flush=group. */
  public static LogConfig defaults() {
    return DEFAULTS;
  }

  /**
   * {@code base} with {@code overrides} applied. Every key must be known and every value in range,
   * else {@link InvalidConfigException} naming key and value; nothing is half-applied.
   */
  public static LogConfig fromMap(Map<String, String> overrides, LogConfig base) {
    Objects.requireNonNull(overrides, "overrides");
    Objects.requireNonNull(base, "base");
    Map<String, String> merged = new LinkedHashMap<>(base.toMap());
    for (Map.Entry<String, String> e : overrides.entrySet()) {
      if (e.getKey() == null || !merged.containsKey(e.getKey())) {
        throw new InvalidConfigException("unknown log config key '" + e.getKey() + "'");
      }
      if (e.getValue() == null) {
        throw new InvalidConfigException("log config " + e.getKey() + " has no value (null)");
      }
      merged.put(e.getKey(), e.getValue().trim());
    }
    return new LogConfig(
        (int) parseLong(merged, SEGMENT_BYTES, MIN_SEGMENT_BYTES, Integer.MAX_VALUE),
        parseLong(merged, SEGMENT_MS, 1, Long.MAX_VALUE),
        (int) parseLong(merged, INDEX_INTERVAL_BYTES, 0, Integer.MAX_VALUE),
        (int)
            parseLong(
                merged,
                SEGMENT_INDEX_BYTES,
                Math.max(OffsetIndexFormat.ENTRY_SIZE, TimeIndexFormat.ENTRY_SIZE) * 2L,
                Integer.MAX_VALUE),
        parseLong(merged, RETENTION_MS, -1, Long.MAX_VALUE),
        parseLong(merged, RETENTION_BYTES, -1, Long.MAX_VALUE),
        parseEnum(merged, CLEANUP_POLICY, CleanupPolicy.values(), p -> p.configValue),
        parseLong(merged, DELETE_RETENTION_MS, 0, Long.MAX_VALUE),
        parseRatio(merged, MIN_CLEANABLE_DIRTY_RATIO),
        (int) parseLong(merged, MAX_MESSAGE_BYTES, 0, Integer.MAX_VALUE),
        parseEnum(merged, FLUSH, FlushPolicy.values(), p -> p.configValue),
        parseEnum(
            merged, MESSAGE_TIMESTAMP_TYPE, MessageTimestampType.values(), p -> p.configValue),
        (int) parseLong(merged, MIN_INSYNC_REPLICAS, 1, Integer.MAX_VALUE),
        parseBoolean(merged, UNCLEAN_LEADER_ELECTION_ENABLE),
        parseCompression(merged),
        parseLong(merged, PRODUCER_ID_EXPIRATION_MS, 1, Long.MAX_VALUE));
  }

  /** Every key with its value as {@link #fromMap} reads it back. */
  public Map<String, String> toMap() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(SEGMENT_BYTES, Integer.toString(segmentBytes));
    m.put(SEGMENT_MS, Long.toString(segmentMs));
    m.put(INDEX_INTERVAL_BYTES, Integer.toString(indexIntervalBytes));
    m.put(SEGMENT_INDEX_BYTES, Integer.toString(segmentIndexBytes));
    m.put(RETENTION_MS, Long.toString(retentionMs));
    m.put(RETENTION_BYTES, Long.toString(retentionBytes));
    m.put(CLEANUP_POLICY, cleanupPolicy.configValue);
    m.put(DELETE_RETENTION_MS, Long.toString(deleteRetentionMs));
    m.put(MIN_CLEANABLE_DIRTY_RATIO, Double.toString(minCleanableDirtyRatio));
    m.put(MAX_MESSAGE_BYTES, Integer.toString(maxMessageBytes));
    m.put(FLUSH, flush.configValue);
    m.put(MESSAGE_TIMESTAMP_TYPE, messageTimestampType.configValue);
    m.put(MIN_INSYNC_REPLICAS, Integer.toString(minInsyncReplicas));
    m.put(UNCLEAN_LEADER_ELECTION_ENABLE, Boolean.toString(uncleanLeaderElectionEnable));
    m.put(COMPRESSION_TYPE, compressionType);
    m.put(PRODUCER_ID_EXPIRATION_MS, Long.toString(producerIdExpirationMs));
    return Collections.unmodifiableMap(m);
  }

  /** Shorthand for {@code fromMap(Map.of(key, value), this)}. */
  public LogConfig with(String key, String value) {
    return fromMap(Collections.singletonMap(key, value), this);
  }

  private static long parseLong(Map<String, String> m, String key, long min, long max) {
    String value = m.get(key);
    long v;
    try {
      v = Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new InvalidConfigException(
          "log config " + key + "='" + value + "' is not an integer", e);
    }
    if (v < min || v > max) {
      throw new InvalidConfigException(
          "log config " + key + "=" + value + " is out of range [" + min + ", " + max + "]");
    }
    return v;
  }

  private static double parseRatio(Map<String, String> m, String key) {
    String value = m.get(key);
    double v;
    try {
      v = Double.parseDouble(value);
    } catch (NumberFormatException e) {
      throw new InvalidConfigException("log config " + key + "='" + value + "' is not a number", e);
    }
    if (!(v >= 0.0 && v <= 1.0)) {
      throw new InvalidConfigException(
          "log config " + key + "=" + value + " is out of range [0.0, 1.0]");
    }
    return v;
  }

  private static boolean parseBoolean(Map<String, String> m, String key) {
    String value = m.get(key);
    if ("true".equalsIgnoreCase(value)) {
      return true;
    }
    if ("false".equalsIgnoreCase(value)) {
      return false;
    }
    throw new InvalidConfigException("log config " + key + "='" + value + "' is not true or false");
  }

  private static <E extends Enum<E>> E parseEnum(
      Map<String, String> m, String key, E[] values, java.util.function.Function<E, String> name) {
    String value = m.get(key);
    StringBuilder allowed = new StringBuilder();
    for (E e : values) {
      if (name.apply(e).equalsIgnoreCase(value)) {
        return e;
      }
      allowed.append(allowed.length() == 0 ? "" : ", ").append(name.apply(e));
    }
    throw new InvalidConfigException(
        "log config " + key + "='" + value + "' is not one of " + allowed);
  }

  private static String parseCompression(Map<String, String> m) {
    String value = m.get(COMPRESSION_TYPE).toLowerCase(java.util.Locale.ROOT);
    switch (value) {
      case "producer":
      case "uncompressed":
      case "none":
      case "gzip":
      case "snappy":
      case "lz4":
      case "zstd":
        return value;
      default:
        throw new InvalidConfigException(
            "log config "
                + COMPRESSION_TYPE
                + "='"
                + value
                + "' is not one of producer, uncompressed, none, gzip, snappy, lz4, zstd");
    }
  }

  public int segmentBytes() {
    return segmentBytes;
  }

  public long segmentMs() {
    return segmentMs;
  }

  public int indexIntervalBytes() {
    return indexIntervalBytes;
  }

  public int segmentIndexBytes() {
    return segmentIndexBytes;
  }

  /** -1: keep forever. */
  public long retentionMs() {
    return retentionMs;
  }

  /** -1: no size limit. */
  public long retentionBytes() {
    return retentionBytes;
  }

  public CleanupPolicy cleanupPolicy() {
    return cleanupPolicy;
  }

  public long deleteRetentionMs() {
    return deleteRetentionMs;
  }

  public double minCleanableDirtyRatio() {
    return minCleanableDirtyRatio;
  }

  public int maxMessageBytes() {
    return maxMessageBytes;
  }

  public FlushPolicy flush() {
    return flush;
  }

  public MessageTimestampType messageTimestampType() {
    return messageTimestampType;
  }

  public int minInsyncReplicas() {
    return minInsyncReplicas;
  }

  public boolean uncleanLeaderElectionEnable() {
    return uncleanLeaderElectionEnable;
  }

  public String compressionType() {
    return compressionType;
  }

  public long producerIdExpirationMs() {
    return producerIdExpirationMs;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LogConfig && ((LogConfig) o).toMap().equals(toMap());
  }

  @Override
  public int hashCode() {
    return toMap().hashCode();
  }

  @Override
  public String toString() {
    return "LogConfig" + toMap();
  }
}
