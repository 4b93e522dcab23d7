package io.logbus.broker;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * A node's configuration, read from its properties file (one per node, see CONTRACTS / deploy).
 *
 * <p>Keys: {@code node.id}, {@code data.dir}, {@code listeners} ({@code host:port} of the client
 * and replication gRPC server; port 0 picks a free one), {@code quorum.voters} ({@code
 * id@host:port,...}), {@code http.port} (-1 = no HTTP server, 0 = any free port), {@code
 * replica.lag.time.max.ms}, {@code replica.fetch.max.bytes}, {@code broker.heartbeat.interval.ms},
 * {@code broker.session.timeout.ms} (controller fences a silent broker after it), {@code
 * default.replication.factor}, {@code num.partitions}, and topic defaults as {@code log.<topic
 * config key>} (for example {@code log.segment.bytes}, {@code log.flush}).
 *
 * <p>Immutable; safe to share between threads.
 */
public record BrokerConfig(
    int nodeId,
    Path dataDir,
    String host,
    int port,
    Map<Integer, String> quorumVoters,
    int httpPort,
    long replicaLagTimeMaxMs,
    int replicaFetchMaxBytes,
    long heartbeatIntervalMs,
    int defaultReplicationFactor,
    int numPartitions,
    long sessionTimeoutMs,
    Map<String, String> topicDefaults) {

  public static final String TOPIC_DEFAULT_PREFIX = "log.";

  public BrokerConfig {
    if (nodeId < 0) {
      throw new BrokerConfigException("node.id must be >= 0, got " + nodeId);
    }
    if (port < 0 || port > 65535) {
      throw new BrokerConfigException("listeners port out of range: " + port);
    }
    if (httpPort < -1 || httpPort > 65535) {
      throw new BrokerConfigException("http.port out of range: " + httpPort);
    }
    if (replicaLagTimeMaxMs <= 0) {
      throw new BrokerConfigException(
          "replica.lag.time.max.ms must be > 0, got " + replicaLagTimeMaxMs);
    }
    if (replicaFetchMaxBytes <= 0) {
      throw new BrokerConfigException(
          "replica.fetch.max.bytes must be > 0, got " + replicaFetchMaxBytes);
    }
    if (heartbeatIntervalMs <= 0) {
      throw new BrokerConfigException(
          "broker.heartbeat.interval.ms must be > 0, got " + heartbeatIntervalMs);
    }
    if (sessionTimeoutMs <= heartbeatIntervalMs) {
      throw new BrokerConfigException(
          "broker.session.timeout.ms ("
              + sessionTimeoutMs
              + ") must exceed broker.heartbeat.interval.ms ("
              + heartbeatIntervalMs
              + ")");
    }
    quorumVoters = Map.copyOf(quorumVoters);
    topicDefaults = Map.copyOf(topicDefaults);
  }

  /** Reads a properties file. */
  public static BrokerConfig load(Path file) {
    Properties props = new Properties();
    try (Reader reader = Files.newBufferedReader(file)) {
      props.load(reader);
    } catch (IOException e) {
      throw new BrokerConfigException("cannot read config file " + file + ": " + e.getMessage());
    }
    return fromProperties(props);
  }

  public static BrokerConfig fromProperties(Properties props) {
    int nodeId = intValue(props, "node.id", null);
    String dataDir = props.getProperty("data.dir");
    if (dataDir == null || dataDir.isBlank()) {
      throw new BrokerConfigException("data.dir is required");
    }
    String listeners = props.getProperty("listeners", "127.0.0.1:0").trim();
    int colon = listeners.lastIndexOf(':');
    if (colon <= 0) {
      throw new BrokerConfigException("listeners must be host:port, got '" + listeners + "'");
    }
    String host = listeners.substring(0, colon);
    int port = parseInt("listeners", listeners.substring(colon + 1));
    Map<Integer, String> voters = parseVoters(props.getProperty("quorum.voters", ""));
    Map<String, String> topicDefaults = new LinkedHashMap<>();
    for (String key : props.stringPropertyNames()) {
      if (key.startsWith(TOPIC_DEFAULT_PREFIX)) {
        topicDefaults.put(key.substring(TOPIC_DEFAULT_PREFIX.length()), props.getProperty(key));
      }
    }
    return new BrokerConfig(
        nodeId,
        Path.of(dataDir),
        host,
        port,
        voters,
        intValue(props, "http.port", -1),
        longValue(props, "replica.lag.time.max.ms", 10_000L),
        intValue(props, "replica.fetch.max.bytes", 1 << 20),
        longValue(props, "broker.heartbeat.interval.ms", 1_000L),
        intValue(props, "default.replication.factor", 1),
        intValue(props, "num.partitions", 1),
        longValue(props, "broker.session.timeout.ms", 6_000L),
        topicDefaults);
  }

  /** A config for tests and embedding: defaults everywhere but identity and places. */
  public static BrokerConfig of(int nodeId, Path dataDir, Map<Integer, String> voters) {
    return new BrokerConfig(
        nodeId,
        dataDir,
        "127.0.0.1",
        0,
        voters,
        -1,
        10_000L,
        1 << 20,
        1_000L,
        1,
        1,
        6_000L,
        Map.of());
  }

  public BrokerConfig withReplicaLagTimeMaxMs(long ms) {
    return new BrokerConfig(
        nodeId,
        dataDir,
        host,
        port,
        quorumVoters,
        httpPort,
        ms,
        replicaFetchMaxBytes,
        heartbeatIntervalMs,
        defaultReplicationFactor,
        numPartitions,
        sessionTimeoutMs,
        topicDefaults);
  }

  public BrokerConfig withTopicDefaults(Map<String, String> defaults) {
    return new BrokerConfig(
        nodeId,
        dataDir,
        host,
        port,
        quorumVoters,
        httpPort,
        replicaLagTimeMaxMs,
        replicaFetchMaxBytes,
        heartbeatIntervalMs,
        defaultReplicationFactor,
        numPartitions,
        sessionTimeoutMs,
        defaults);
  }

  public BrokerConfig withHttpPort(int httpPort) {
    return new BrokerConfig(
        nodeId,
        dataDir,
        host,
        port,
        quorumVoters,
        httpPort,
        replicaLagTimeMaxMs,
        replicaFetchMaxBytes,
        heartbeatIntervalMs,
        defaultReplicationFactor,
        numPartitions,
        sessionTimeoutMs,
        topicDefaults);
  }

  public BrokerConfig withTimeouts(long heartbeatIntervalMs, long sessionTimeoutMs) {
    return new BrokerConfig(
        nodeId,
        dataDir,
        host,
        port,
        quorumVoters,
        httpPort,
        replicaLagTimeMaxMs,
        replicaFetchMaxBytes,
        heartbeatIntervalMs,
        defaultReplicationFactor,
        numPartitions,
        sessionTimeoutMs,
        topicDefaults);
  }

  public BrokerConfig withPort(int port) {
    return new BrokerConfig(
        nodeId,
        dataDir,
        host,
        port,
        quorumVoters,
        httpPort,
        replicaLagTimeMaxMs,
        replicaFetchMaxBytes,
        heartbeatIntervalMs,
        defaultReplicationFactor,
        numPartitions,
        sessionTimeoutMs,
        topicDefaults);
  }

  public Path logsDir() {
    return dataDir.resolve("logs");
  }

  public Path quorumDir() {
    return dataDir.resolve("quorum");
  }

  static Map<Integer, String> parseVoters(String text) {
    Map<Integer, String> voters = new LinkedHashMap<>();
    if (text.isBlank()) {
      return voters;
    }
    for (String entry : text.split(",")) {
      String trimmed = entry.trim();
      int at = trimmed.indexOf('@');
      if (at <= 0 || trimmed.lastIndexOf(':') < at) {
        throw new BrokerConfigException(
            "quorum.voters entry must be id@host:port, got '" + trimmed + "'");
      }
      int id = parseInt("quorum.voters", trimmed.substring(0, at));
      if (voters.put(id, trimmed.substring(at + 1)) != null) {
        throw new BrokerConfigException("quorum.voters names voter " + id + " twice");
      }
    }
    return voters;
  }

  private static int intValue(Properties props, String key, Integer fallback) {
    String value = props.getProperty(key);
    if (value == null) {
      if (fallback == null) {
        throw new BrokerConfigException(key + " is required");
      }
      return fallback;
    }
    return parseInt(key, value);
  }

  private static long longValue(Properties props, String key, long fallback) {
    String value = props.getProperty(key);
    if (value == null) {
      return fallback;
    }
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new BrokerConfigException(key + " must be a number, got '" + value + "'");
    }
  }

  private static int parseInt(String key, String value) {
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new BrokerConfigException(key + " must be a number, got '" + value + "'");
    }
  }
}
