package io.logbus.metadata;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * When the controller last heard from each broker, on the injected clock. Heartbeats are not
 * logged: this table lives only on the current controller, so a new controller starts every known
 * broker's session afresh ({@link #reset}) instead of fencing brokers it never heard.
 *
 * <p>Not thread-safe; the controller's lock guards it.
 */
final class BrokerHeartbeats {
  private final Clock clock;
  private final Duration sessionTimeout;
  private final Map<Integer, Long> lastContactMs = new HashMap<>();

  BrokerHeartbeats(Clock clock, Duration sessionTimeout) {
    this.clock = clock;
    this.sessionTimeout = sessionTimeout;
  }

  /** A fresh grace period for every broker: called when this node becomes controller. */
  void reset(Collection<Integer> brokers) {
    lastContactMs.clear();
    long now = clock.millis();
    for (int b : brokers) {
      lastContactMs.put(b, now);
    }
  }

  void touch(int broker) {
    lastContactMs.put(broker, clock.millis());
  }

  /** Among {@code candidates} (the unfenced brokers), those whose session lapsed. */
  List<Integer> expired(Collection<Integer> candidates) {
    long now = clock.millis();
    List<Integer> out = new ArrayList<>();
    for (int b : candidates) {
      Long last = lastContactMs.get(b);
      if (last == null) {
        // Registered by an entry this controller has not seen a heartbeat for: start its session.
        lastContactMs.put(b, now);
      } else if (now - last > sessionTimeout.toMillis()) {
        out.add(b);
      }
    }
    return out;
  }
}
