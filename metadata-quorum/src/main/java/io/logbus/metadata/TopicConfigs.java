package io.logbus.metadata;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The topic configuration keys the controller accepts and the range of each value. The log store
 * interprets them; the controller only keeps out what no broker could use.
 */
final class TopicConfigs {
  static final String UNCLEAN_LEADER_ELECTION = "unclean.leader.election.enable";
  static final String MIN_INSYNC_REPLICAS = "min.insync.replicas";

  private static final Map<String, Predicate<String>> RULES =
      Map.ofEntries(
          Map.entry("retention.ms", longAtLeast(-1)),
          Map.entry("retention.bytes", longAtLeast(-1)),
          Map.entry("segment.bytes", intAtLeast(1024)),
          Map.entry("segment.ms", longAtLeast(1)),
          Map.entry("segment.index.bytes", intAtLeast(8)),
          Map.entry("index.interval.bytes", intAtLeast(0)),
          Map.entry("cleanup.policy", oneOf(Set.of("delete", "compact"))),
          Map.entry("delete.retention.ms", longAtLeast(0)),
          Map.entry("min.cleanable.dirty.ratio", TopicConfigs::ratio),
          Map.entry(MIN_INSYNC_REPLICAS, intAtLeast(1)),
          Map.entry("max.message.bytes", intAtLeast(0)),
          Map.entry(
              "compression.type",
              oneOf(Set.of("producer", "uncompressed", "none", "gzip", "snappy", "lz4", "zstd"))),
          Map.entry("message.timestamp.type", oneOf(Set.of("CreateTime", "LogAppendTime"))),
          Map.entry("flush", oneOf(Set.of("group", "never"))),
          Map.entry(UNCLEAN_LEADER_ELECTION, oneOf(Set.of("true", "false"))));

  private TopicConfigs() {}

  static boolean isKnown(String key) {
    return RULES.containsKey(key);
  }

  /** The first problem in {@code configs}, naming key and value; empty if all are valid. */
  static Optional<String> validate(Map<String, String> configs) {
    for (Map.Entry<String, String> e : configs.entrySet()) {
      Predicate<String> rule = RULES.get(e.getKey());
      if (rule == null) {
        return Optional.of("unknown config key '" + e.getKey() + "'");
      }
      if (e.getValue() == null || !rule.test(e.getValue())) {
        return Optional.of("invalid value '" + e.getValue() + "' for config " + e.getKey());
      }
    }
    return Optional.empty();
  }

  private static Predicate<String> longAtLeast(long min) {
    return v -> {
      try {
        return Long.parseLong(v) >= min;
      } catch (NumberFormatException e) {
        return false;
      }
    };
  }

  private static Predicate<String> intAtLeast(int min) {
    return v -> {
      try {
        return Integer.parseInt(v) >= min;
      } catch (NumberFormatException e) {
        return false;
      }
    };
  }

  private static Predicate<String> oneOf(Set<String> allowed) {
    return allowed::contains;
  }

  private static boolean ratio(String v) {
    try {
      double d = Double.parseDouble(v);
      return d >= 0 && d <= 1;
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
