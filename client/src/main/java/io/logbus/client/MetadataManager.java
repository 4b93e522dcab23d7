package io.logbus.client;

import io.grpc.StatusRuntimeException;
import io.logbus.proto.BrokerInfo;
import io.logbus.proto.BrokerServiceGrpc;
import io.logbus.proto.MetadataRequest;
import io.logbus.proto.MetadataResponse;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the client's {@link Cluster} view: asks any reachable broker (known brokers first, then the
 * bootstrap list) for metadata of all topics. Thread-safe; refreshes are serialized.
 */
final class MetadataManager {
  private static final Logger log = LoggerFactory.getLogger(MetadataManager.class);

  private final String clientId;
  private final List<HostPort> bootstrap;
  private final BrokerChannels channels;
  private final long requestTimeoutMs;
  private final long minRefreshIntervalMs;
  private final Clock clock;
  private volatile Cluster current = Cluster.empty();
  private volatile boolean stale = true;

  MetadataManager(
      String clientId,
      List<HostPort> bootstrap,
      BrokerChannels channels,
      long requestTimeoutMs,
      long minRefreshIntervalMs,
      Clock clock) {
    this.clientId = clientId;
    this.bootstrap = List.copyOf(bootstrap);
    this.channels = channels;
    this.requestTimeoutMs = requestTimeoutMs;
    this.minRefreshIntervalMs = minRefreshIntervalMs;
    this.clock = clock;
  }

  Cluster current() {
    return current;
  }

  BrokerChannels channels() {
    return channels;
  }

  List<HostPort> bootstrap() {
    return bootstrap;
  }

  /** Where to ask something any broker answers: the live brokers known, then the bootstrap list. */
  Set<HostPort> addresses() {
    Set<HostPort> out = new LinkedHashSet<>();
    for (BrokerInfo b : current.brokers().values()) {
      if (!b.getFenced()) {
        out.add(new HostPort(b.getHost(), b.getPort()));
      }
    }
    out.addAll(bootstrap);
    return out;
  }

  /** Marks the view stale: the next {@link #refreshIfNeeded()} asks a broker. */
  void invalidate() {
    stale = true;
  }

  boolean isStale() {
    return stale;
  }

  /** Refreshes when invalidated and the last refresh is older than the back-off. */
  Cluster refreshIfNeeded() {
    Cluster c = current;
    if (stale && clock.millis() - c.fetchedAtMs() >= minRefreshIntervalMs) {
      return refresh();
    }
    return c;
  }

  /**
   * Refreshes if needed; when no broker answers, keeps the current view (and says so at DEBUG)
   * unless there is none yet.
   *
   * @throws BrokerUnavailableException when no broker ever answered
   */
  Cluster refreshQuietly() {
    try {
      if (current.fetchedAtMs() <= 0) {
        return refresh();
      }
      return refreshIfNeeded();
    } catch (BrokerUnavailableException e) {
      if (current.fetchedAtMs() <= 0) {
        throw e;
      }
      log.debug("[{}] metadata refresh failed: {}", clientId, e.getMessage());
      return current;
    }
  }

  /**
   * Asks one broker after another until one answers.
   *
   * @throws BrokerUnavailableException naming every address tried when none answers
   */
  synchronized Cluster refresh() {
    Set<HostPort> candidates = addresses();
    StatusRuntimeException last = null;
    List<HostPort> tried = new ArrayList<>();
    for (HostPort address : candidates) {
      tried.add(address);
      try {
        MetadataResponse response =
            BrokerServiceGrpc.newBlockingStub(channels.channel(address))
                .withDeadlineAfter(requestTimeoutMs, TimeUnit.MILLISECONDS)
                .metadata(MetadataRequest.getDefaultInstance());
        Cluster next = Cluster.of(response, clock.millis());
        current = next;
        stale = false;
        return next;
      } catch (StatusRuntimeException e) {
        log.debug("[{}] metadata from {} failed: {}", clientId, address, e.getStatus());
        last = e;
      }
    }
    String addresses = tried.stream().map(HostPort::toString).collect(Collectors.joining(","));
    throw new BrokerUnavailableException(
        "no broker reachable at "
            + addresses
            + (last == null ? "" : " (" + last.getStatus().getCode() + ")"),
        last);
  }
}
