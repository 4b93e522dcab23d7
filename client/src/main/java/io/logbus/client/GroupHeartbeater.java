package io.logbus.client;

import io.grpc.StatusRuntimeException;
import io.logbus.proto.ConsumerGroupHeartbeatResponse;
import java.time.Clock;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The background thread that keeps a consumer in its group: sends each heartbeat {@link
 * GroupMembership} says is due to the group's coordinator and reports the answer back. It never
 * runs application code (listeners run on the application thread inside poll), so a slow poll loop
 * does not cost the member its session. One heartbeat at a time; the thread sleeps on the
 * membership's monitor until the next is due or something changes.
 */
final class GroupHeartbeater implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GroupHeartbeater.class);

  /** Upper bound of one sleep, so a missed wake-up costs at most this much. */
  private static final long MAX_IDLE_MS = 1_000;

  private final GroupMembership membership;
  private final CoordinatorClient coordinators;
  private final Clock clock;
  private final long requestTimeoutMs;
  private final Thread thread;
  private volatile boolean running = true;

  GroupHeartbeater(
      String clientId,
      GroupMembership membership,
      CoordinatorClient coordinators,
      Clock clock,
      long requestTimeoutMs) {
    this.membership = membership;
    this.coordinators = coordinators;
    this.clock = clock;
    this.requestTimeoutMs = requestTimeoutMs;
    this.thread = new Thread(this::run, "logbus-heartbeat-" + clientId);
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    while (running) {
      try {
        long wait = membership.timeToNextHeartbeat(clock.millis());
        if (wait > 0) {
          membership.awaitChange(Math.min(wait, MAX_IDLE_MS));
          continue;
        }
        beat(membership.startHeartbeat());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        // Never let the thread die: the next round retries after the back-off.
        log.warn("heartbeat round failed", e);
      }
    }
  }

  private void beat(GroupMembership.Heartbeat hb) {
    String group = membership.groupId();
    Optional<HostPort> coordinator;
    try {
      coordinator = coordinators.lookup(group);
    } catch (LogbusException e) {
      membership.onFailure(hb, "coordinator lookup: " + e.getMessage(), clock.millis());
      return;
    }
    if (coordinator.isEmpty()) {
      membership.onFailure(hb, "no coordinator known for group " + group, clock.millis());
      return;
    }
    try {
      ConsumerGroupHeartbeatResponse r =
          coordinators.stub(coordinator.get()).consumerGroupHeartbeat(hb.request());
      coordinators.onRetriable(group, r.getError());
      membership.onResponse(hb, r, clock.millis());
    } catch (StatusRuntimeException e) {
      coordinators.forget(group);
      membership.onFailure(
          hb, "coordinator " + coordinator.get() + ": " + e.getStatus().getCode(), clock.millis());
    }
  }

  /** Stops the thread (bounded wait); the membership is left as it is. */
  @Override
  public void close() {
    running = false;
    membership.wakeUp();
    try {
      thread.join(requestTimeoutMs + MAX_IDLE_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
