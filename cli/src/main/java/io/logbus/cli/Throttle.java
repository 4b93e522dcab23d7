package io.logbus.cli;

/**
 * Paces a loop to a target rate (records per second) like Kafka's ThroughputThrottler: sleeps when
 * ahead of schedule. A rate <= 0 means as fast as possible.
 */
final class Throttle {
  private final long targetPerSec;
  private final long startNs;

  Throttle(long targetPerSec, long startNs) {
    this.targetPerSec = targetPerSec;
    this.startNs = startNs;
  }

  void pace(long sentSoFar) throws InterruptedException {
    if (targetPerSec <= 0) {
      return;
    }
    long dueNs = startNs + sentSoFar * 1_000_000_000L / targetPerSec;
    long aheadNs = dueNs - System.nanoTime();
    if (aheadNs > 1_000_000) {
      Thread.sleep(aheadNs / 1_000_000, (int) (aheadNs % 1_000_000));
    }
  }
}
