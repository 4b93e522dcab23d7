package io.logbus.metadata;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Configuration of one quorum member, immutable; built by the node from its properties file.
 *
 * <ul>
 *   <li>{@code nodeId} and {@code voters} (id to host:port of the quorum port). A node among the
 *       voters runs a Ratis member; a node that is not is a broker only and watches the committed
 *       log of the voters over gRPC; a node that {@code joins} an existing quorum later through
 *       addVoter lists its own address too;
 *   <li>{@code quorumDir}: Ratis storage ({@code ratis/}) and the live RocksDB state ({@code
 *       state/});
 *   <li>{@code brokerSessionTimeout} (6 s), election timeouts (0.6-1.2 s), {@code
 *       snapshotThreshold} (entries between snapshots), {@code requestTimeout} (bound on a
 *       forwarded request), the {@code clock} that times broker sessions.
 * </ul>
 */
public final class QuorumConfig {
  private final int nodeId;
  private final Path quorumDir;
  private final Map<Integer, InetSocketAddress> voters;
  private final String clusterId;
  private final Duration brokerSessionTimeout;
  private final Duration electionTimeoutMin;
  private final Duration electionTimeoutMax;
  private final long snapshotThreshold;
  private final Duration requestTimeout;
  private final Clock clock;
  private final boolean joining;
  private final long logSegmentBytes;

  private QuorumConfig(Builder b) {
    this.nodeId = b.nodeId;
    this.quorumDir = Objects.requireNonNull(b.quorumDir, "quorumDir");
    this.voters = Collections.unmodifiableMap(new LinkedHashMap<>(b.voters));
    this.clusterId = b.clusterId;
    this.brokerSessionTimeout = b.brokerSessionTimeout;
    this.electionTimeoutMin = b.electionTimeoutMin;
    this.electionTimeoutMax = b.electionTimeoutMax;
    this.snapshotThreshold = b.snapshotThreshold;
    this.requestTimeout = b.requestTimeout;
    this.clock = b.clock;
    this.joining = b.joining;
    this.logSegmentBytes = b.logSegmentBytes;
    if (logSegmentBytes < 1024) {
      throw new IllegalArgumentException("log segment size " + logSegmentBytes + " < 1024 bytes");
    }
    if (nodeId < 0) {
      throw new IllegalArgumentException("node id " + nodeId + " < 0");
    }
    if (voters.isEmpty()) {
      throw new IllegalArgumentException("no quorum voters configured");
    }
    if (joining && !voters.containsKey(nodeId)) {
      throw new IllegalArgumentException(
          "joining node " + nodeId + " needs its own quorum address among " + voters.keySet());
    }
    if (electionTimeoutMin.isNegative()
        || electionTimeoutMin.isZero()
        || electionTimeoutMax.compareTo(electionTimeoutMin) <= 0) {
      throw new IllegalArgumentException(
          "election timeouts must satisfy 0 < min < max, got "
              + electionTimeoutMin
              + " and "
              + electionTimeoutMax);
    }
    if (brokerSessionTimeout.isNegative() || brokerSessionTimeout.isZero()) {
      throw new IllegalArgumentException("broker session timeout must be positive");
    }
    if (snapshotThreshold < 1) {
      throw new IllegalArgumentException("snapshot threshold " + snapshotThreshold + " < 1");
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Parses {@code 1@127.0.0.1:19191,2@127.0.0.1:19192}: voter ids and their quorum addresses.
   *
   * @throws IllegalArgumentException naming the malformed element
   */
  public static Map<Integer, InetSocketAddress> parseVoters(String spec) {
    Map<Integer, InetSocketAddress> out = new LinkedHashMap<>();
    if (spec == null || spec.isBlank()) {
      throw new IllegalArgumentException("quorum.voters is empty");
    }
    for (String part : spec.split(",")) {
      String p = part.trim();
      int at = p.indexOf('@');
      int colon = p.lastIndexOf(':');
      if (at <= 0 || colon < at + 2 || colon == p.length() - 1) {
        throw new IllegalArgumentException("voter '" + p + "' is not id@host:port");
      }
      try {
        int id = Integer.parseInt(p.substring(0, at));
        int port = Integer.parseInt(p.substring(colon + 1));
        if (id < 0 || port < 1 || port > 65535) {
          throw new IllegalArgumentException("voter '" + p + "' has an id < 0 or a bad port");
        }
        if (out.put(id, InetSocketAddress.createUnresolved(p.substring(at + 1, colon), port))
            != null) {
          throw new IllegalArgumentException("voter id " + id + " appears twice");
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("voter '" + p + "' is not id@host:port", e);
      }
    }
    return out;
  }

  public int nodeId() {
    return nodeId;
  }

  public Path quorumDir() {
    return quorumDir;
  }

  public Map<Integer, InetSocketAddress> voters() {
    return voters;
  }

  /** Names the Ratis group: nodes of one cluster must agree on it. */
  public String clusterId() {
    return clusterId;
  }

  UUID groupUuid() {
    return UUID.nameUUIDFromBytes(("logbus-metadata-" + clusterId).getBytes());
  }

  public Duration brokerSessionTimeout() {
    return brokerSessionTimeout;
  }

  public Duration electionTimeoutMin() {
    return electionTimeoutMin;
  }

  public Duration electionTimeoutMax() {
    return electionTimeoutMax;
  }

  public long snapshotThreshold() {
    return snapshotThreshold;
  }

  public Duration requestTimeout() {
    return requestTimeout;
  }

  public Clock clock() {
    return clock;
  }

  /** Whether this node runs a quorum member (listed among the voters, or joining). */
  public boolean isVoter() {
    return voters.containsKey(nodeId);
  }

  /** True when this node starts outside the quorum and waits to be added with addVoter. */
  public boolean joining() {
    return joining;
  }

  /** Size of a Ratis log segment; only whole closed segments are purged behind a snapshot. */
  public long logSegmentBytes() {
    return logSegmentBytes;
  }

  public static final class Builder {
    private int nodeId = -1;
    private Path quorumDir;
    private Map<Integer, InetSocketAddress> voters = Map.of();
    private String clusterId = "logbus";
    private Duration brokerSessionTimeout = Duration.ofSeconds(6);
    // A follower starts an election after 0.6-1.2 s without the leader (Ratis heartbeats every
    // min/2 = 300 ms): a crashed controller is replaced in about a second, well inside Kafka's 2 s
    // fetch timeout, and the spread keeps the two survivors of a 3-voter quorum from splitting
    // their votes. The in-JVM tests run these values under heavy load without spurious elections.
    private Duration electionTimeoutMin = Duration.ofMillis(600);
    private Duration electionTimeoutMax = Duration.ofMillis(1200);
    private long snapshotThreshold = 10_000;
    private Duration requestTimeout = Duration.ofSeconds(15);
    private Clock clock = Clock.systemUTC();
    private boolean joining;
    private long logSegmentBytes = 1024 * 1024;

    public Builder logSegmentBytes(long v) {
      logSegmentBytes = v;
      return this;
    }

    public Builder nodeId(int v) {
      nodeId = v;
      return this;
    }

    public Builder quorumDir(Path v) {
      quorumDir = v;
      return this;
    }

    public Builder voters(Map<Integer, InetSocketAddress> v) {
      voters = v;
      return this;
    }

    public Builder voters(String spec) {
      voters = parseVoters(spec);
      return this;
    }

    public Builder clusterId(String v) {
      clusterId = Objects.requireNonNull(v);
      return this;
    }

    public Builder brokerSessionTimeout(Duration v) {
      brokerSessionTimeout = Objects.requireNonNull(v);
      return this;
    }

    public Builder electionTimeout(Duration min, Duration max) {
      electionTimeoutMin = Objects.requireNonNull(min);
      electionTimeoutMax = Objects.requireNonNull(max);
      return this;
    }

    public Builder snapshotThreshold(long v) {
      snapshotThreshold = v;
      return this;
    }

    public Builder requestTimeout(Duration v) {
      requestTimeout = Objects.requireNonNull(v);
      return this;
    }

    public Builder clock(Clock v) {
      clock = Objects.requireNonNull(v);
      return this;
    }

    public Builder joining(boolean v) {
      joining = v;
      return this;
    }

    public QuorumConfig build() {
      return new QuorumConfig(this);
    }
  }
}
