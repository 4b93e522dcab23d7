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
  static final long DEFAULT_REPLICA_LAG_TIME_MAX_MS = 10_000L;
  static final int DEFAULT_REPLICA_FETCH_MAX_BYTES = 1 << 20;
  static final long DEFAULT_HEARTBEAT_INTERVAL_MS = 1_000L;
  static final long DEFAULT_SESSION_TIMEOUT_MS = 6_000L;

  public BrokerConfig {
    if (dataDir == null || host == null || quorumVoters == null || topicDefaults == null) {
      throw new BrokerConfigException(
          "data.dir, host, quorum.voters and topic defaults are required");
    }
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
    return builder(nodeId, Path.of(dataDir), voters)
        .listener(host, port)
        .httpPort(intValue(props, "http.port", -1))
        .replicaLagTimeMaxMs(
            longValue(props, "replica.lag.time.max.ms", DEFAULT_REPLICA_LAG_TIME_MAX_MS))
        .replicaFetchMaxBytes(
            intValue(props, "replica.fetch.max.bytes", DEFAULT_REPLICA_FETCH_MAX_BYTES))
        .timeouts(
            longValue(props, "broker.heartbeat.interval.ms", DEFAULT_HEARTBEAT_INTERVAL_MS),
            longValue(props, "broker.session.timeout.ms", DEFAULT_SESSION_TIMEOUT_MS))
        .defaultReplicationFactor(intValue(props, "default.replication.factor", 1))
        .numPartitions(intValue(props, "num.partitions", 1))
        .topicDefaults(topicDefaults)
        .build();
  }

  /** A config for tests and embedding: defaults everywhere but identity and places. */
  public static BrokerConfig of(int nodeId, Path dataDir, Map<Integer, String> voters) {
    return builder(nodeId, dataDir, voters).build();
  }

  /** A builder with the defaults of {@link #of}; set what differs, then {@link Builder#build}. */
  public static Builder builder(int nodeId, Path dataDir, Map<Integer, String> voters) {
    return new Builder(nodeId, dataDir, voters);
  }

  /** A builder holding this config's values. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  // The withers below predate the builder and stay for callers outside broker-node's own code;
  // each is one builder step.

  public BrokerConfig withReplicaLagTimeMaxMs(long ms) {
    return toBuilder().replicaLagTimeMaxMs(ms).build();
  }

  public BrokerConfig withTopicDefaults(Map<String, String> defaults) {
    return toBuilder().topicDefaults(defaults).build();
  }

  public BrokerConfig withHttpPort(int httpPort) {
    return toBuilder().httpPort(httpPort).build();
  }

  public BrokerConfig withTimeouts(long heartbeatIntervalMs, long sessionTimeoutMs) {
    return toBuilder().timeouts(heartbeatIntervalMs, sessionTimeoutMs).build();
  }

  public BrokerConfig withPort(int port) {
    return toBuilder().port(port).build();
  }

  /**
   * Mutable, single-threaded; {@link #build()} validates (BrokerConfigException) and copies, so a
   * builder can be reused.
   */
  public static final class Builder {
    private int nodeId;
    private Path dataDir;
    private String host = "127.0.0.1";
    private int port;
    private Map<Integer, String> quorumVoters;
    private int httpPort = -1;
    private long replicaLagTimeMaxMs = DEFAULT_REPLICA_LAG_TIME_MAX_MS;
    private int replicaFetchMaxBytes = DEFAULT_REPLICA_FETCH_MAX_BYTES;
    private long heartbeatIntervalMs = DEFAULT_HEARTBEAT_INTERVAL_MS;
    private int defaultReplicationFactor = 1;
    private int numPartitions = 1;
    private long sessionTimeoutMs = DEFAULT_SESSION_TIMEOUT_MS;
    private Map<String, String> topicDefaults = Map.of();

    private Builder(int nodeId, Path dataDir, Map<Integer, String> quorumVoters) {
      this.nodeId = nodeId;
      this.dataDir = dataDir;
      this.quorumVoters = quorumVoters;
    }

    private Builder(BrokerConfig c) {
      this(c.nodeId, c.dataDir, c.quorumVoters);
      host = c.host;
      port = c.port;
      httpPort = c.httpPort;
      replicaLagTimeMaxMs = c.replicaLagTimeMaxMs;
      replicaFetchMaxBytes = c.replicaFetchMaxBytes;
      heartbeatIntervalMs = c.heartbeatIntervalMs;
      defaultReplicationFactor = c.defaultReplicationFactor;
      numPartitions = c.numPartitions;
      sessionTimeoutMs = c.sessionTimeoutMs;
      topicDefaults = c.topicDefaults;
    }

    public Builder nodeId(int nodeId) {
      this.nodeId = nodeId;
      return this;
    }

    public Builder dataDir(Path dataDir) {
      this.dataDir = dataDir;
      return this;
    }

    /** The client and replication listener, {@code host:port}; port 0 picks a free one. */
    public Builder listener(String host, int port) {
      this.host = host;
      this.port = port;
      return this;
    }

    public Builder port(int port) {
      this.port = port;
      return this;
    }

    public Builder quorumVoters(Map<Integer, String> quorumVoters) {
      this.quorumVoters = quorumVoters;
      return this;
    }

    /** -1: no HTTP server; 0: any free port. */
    public Builder httpPort(int httpPort) {
      this.httpPort = httpPort;
      return this;
    }

    public Builder replicaLagTimeMaxMs(long ms) {
      this.replicaLagTimeMaxMs = ms;
      return this;
    }

    public Builder replicaFetchMaxBytes(int bytes) {
      this.replicaFetchMaxBytes = bytes;
      return this;
    }

    /** broker.heartbeat.interval.ms and broker.session.timeout.ms, checked together. */
    public Builder timeouts(long heartbeatIntervalMs, long sessionTimeoutMs) {
      this.heartbeatIntervalMs = heartbeatIntervalMs;
      this.sessionTimeoutMs = sessionTimeoutMs;
      return this;
    }

    public Builder defaultReplicationFactor(int replicationFactor) {
      this.defaultReplicationFactor = replicationFactor;
      return this;
    }

    public Builder numPartitions(int partitions) {
      this.numPartitions = partitions;
      return this;
    }

    /** Topic config defaults without the {@code log.} prefix, e.g. {@code segment.bytes}. */
    public Builder topicDefaults(Map<String, String> defaults) {
      this.topicDefaults = defaults;
      return this;
    }

    public BrokerConfig build() {
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
