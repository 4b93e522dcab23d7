package io.logbus.torture;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;

/** Bounded polling of a condition: the harness's only way to wait for the cluster. */
final class Await {
  private static final long POLL_NANOS = Duration.ofMillis(200).toNanos();

  private Await() {}

  /** Polls {@code condition} until it holds or {@code bound} passes; returns whether it held. */
  static boolean until(Duration bound, Callable<Boolean> condition) throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    while (true) {
      try {
        if (Boolean.TRUE.equals(condition.call())) {
          return true;
        }
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        // the cluster may be electing or restarting: try again until the bound
      }
      if (System.nanoTime() >= deadline) {
        return false;
      }
      LockSupport.parkNanos(POLL_NANOS);
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
    }
  }

  /** Lets {@code duration} pass: a fault's planned length, not a synchronization. */
  static void hold(long durationMs) throws InterruptedException {
    Thread.sleep(durationMs);
  }
}
