package io.logbus.client;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.FindCoordinatorRequest;
import io.logbus.proto.FindCoordinatorResponse;
import io.logbus.proto.GroupServiceGrpc;
import io.logbus.proto.GroupServiceGrpc.GroupServiceBlockingStub;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds a group's coordinator and runs GroupService calls there. FindCoordinator may go to any live
 * broker; every other group call must reach the coordinator, which answers NOT_COORDINATOR when the
 * group moved (then the client looks it up again) and COORDINATOR_LOAD_IN_PROGRESS while it replays
 * its offsets partition after a failover (then the client waits and asks again). Thread-safe: the
 * known coordinators are a concurrent map.
 */
final class CoordinatorClient {
  private static final Logger log = LoggerFactory.getLogger(CoordinatorClient.class);

  private final String prefix;
  private final MetadataManager metadata;
  private final BrokerChannels channels;
  private final long requestTimeoutMs;
  private final long retryBackoffMs;
  private final Clock clock;
  private final Map<String, HostPort> coordinators = new ConcurrentHashMap<>();
  private volatile boolean everReached;

  CoordinatorClient(
      String clientId,
      MetadataManager metadata,
      long requestTimeoutMs,
      long retryBackoffMs,
      Clock clock) {
    this.prefix = "[" + clientId + "]";
    this.metadata = metadata;
    this.channels = metadata.channels();
    this.requestTimeoutMs = requestTimeoutMs;
    this.retryBackoffMs = retryBackoffMs;
    this.clock = clock;
  }

  GroupServiceBlockingStub stub(HostPort address) {
    return GroupServiceGrpc.newBlockingStub(channels.channel(address))
        .withDeadlineAfter(requestTimeoutMs, TimeUnit.MILLISECONDS);
  }

  /** Drops the known coordinator of the group: the next call looks it up again. */
  void forget(String group) {
    coordinators.remove(group);
  }

  /**
   * One lookup round: asks live brokers (then the bootstrap list) until one names the coordinator.
   * Empty when none could (unreachable, or a retriable error such as COORDINATOR_NOT_AVAILABLE).
   *
   * @throws ApiException for an error that retrying cannot fix (INVALID_GROUP_ID, ...)
   * @throws BrokerUnavailableException when no broker was ever reachable
   */
  Optional<HostPort> lookup(String group) {
    HostPort known = coordinators.get(group);
    if (known != null) {
      return Optional.of(known);
    }
    Set<HostPort> candidates = metadata.addresses();
    StatusRuntimeException unreachable = null;
    for (HostPort address : candidates) {
      FindCoordinatorResponse r;
      try {
        r =
            stub(address)
                .findCoordinator(FindCoordinatorRequest.newBuilder().setGroupId(group).build());
      } catch (StatusRuntimeException e) {
        unreachable = e;
        continue;
      }
      everReached = true;
      if (r.getError() == ErrorCode.NONE) {
        HostPort found = new HostPort(r.getHost(), r.getPort());
        log.debug(
            "{} coordinator of group {} is node {} at {}", prefix, group, r.getNodeId(), found);
        coordinators.put(group, found);
        return Optional.of(found);
      }
      if (!ApiException.isRetriable(r.getError())) {
        throw ApiException.of(r.getError(), r.getErrorMessage(), "group " + group);
      }
      log.debug("{} FindCoordinator({}) at {}: {}", prefix, group, address, r.getError());
      return Optional.empty();
    }
    if (!everReached) {
      throw new BrokerUnavailableException(
          "no broker reachable at "
              + candidates
              + (unreachable == null ? "" : " (" + unreachable.getStatus().getCode() + ")"),
          unreachable);
    }
    metadata.invalidate();
    return Optional.empty();
  }

  /**
   * Runs a group call at the coordinator, looking it up and retrying retriable answers and
   * unreachable coordinators with a back-off until {@code deadlineMs}.
   *
   * @param errorOf the answer's group-level error
   * @param messageOf the broker's text for that error
   * @throws ApiException the first non-retriable error
   * @throws ClientTimeoutException when the deadline passes
   */
  <R> R call(
      String group,
      String what,
      long deadlineMs,
      Function<GroupServiceBlockingStub, R> rpc,
      Function<R, ErrorCode> errorOf,
      Function<R, String> messageOf) {
    String last = "no coordinator found";
    while (true) {
      Optional<HostPort> coordinator = lookup(group);
      if (coordinator.isPresent()) {
        try {
          R answer = rpc.apply(stub(coordinator.get()));
          ErrorCode error = errorOf.apply(answer);
          if (error == ErrorCode.NONE) {
            return answer;
          }
          ApiException e = ApiException.of(error, messageOf.apply(answer), "group " + group);
          if (!e.retriable()) {
            throw e;
          }
          onRetriable(group, error);
          last = e.getMessage();
        } catch (StatusRuntimeException e) {
          Status.Code code = e.getStatus().getCode();
          if (code != Status.Code.UNAVAILABLE && code != Status.Code.DEADLINE_EXCEEDED) {
            throw new LogbusException(
                what + " failed at " + coordinator.get() + ": " + e.getStatus(), e);
          }
          forget(group);
          metadata.invalidate();
          last = "coordinator " + coordinator.get() + " unreachable (" + code + ")";
        }
      }
      if (clock.millis() + retryBackoffMs >= deadlineMs) {
        throw new ClientTimeoutException(what + " of group " + group + " timed out: " + last);
      }
      refreshQuietly();
      Futures.sleep(retryBackoffMs);
    }
  }

  /** Forgets the coordinator after an answer that says it moved (or has none). */
  void onRetriable(String group, ErrorCode error) {
    if (error == ErrorCode.NOT_COORDINATOR || error == ErrorCode.COORDINATOR_NOT_AVAILABLE) {
      forget(group);
    }
  }

  void refreshQuietly() {
    try {
      metadata.refreshIfNeeded();
    } catch (BrokerUnavailableException e) {
      log.debug("{} metadata refresh failed: {}", prefix, e.getMessage());
    }
  }
}
