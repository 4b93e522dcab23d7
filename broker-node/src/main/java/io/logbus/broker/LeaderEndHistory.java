package io.logbus.broker;

import java.util.ArrayDeque;

/**
 * When the leader's log end moved past which offsets, over the last replica.lag.time.max.ms: the
 * push-replication form of Kafka's {@code Replica.updateFetchState} rule. A follower reporting a
 * durable end {@code e} held everything the leader had until the leader's end first passed {@code
 * e}, so it was caught up as of that moment even if the leader has moved on since (continuous
 * writes, an fsync before each report). Appends close together share one sample stamped with the
 * first one's time, which can only make a follower look caught up earlier (less credit), never
 * later; the number of samples stays near 100 whatever the write rate. Not thread-safe: the
 * partition's monitor guards it.
 */
final class LeaderEndHistory {
  private static final int SAMPLES_PER_WINDOW = 100;

  /** {timeMs, endBefore, endAfter}: at timeMs the log end went from endBefore to endAfter. */
  private final ArrayDeque<long[]> samples = new ArrayDeque<>();

  private final long windowMs;
  private final long bucketMs;

  LeaderEndHistory(long windowMs) {
    if (windowMs <= 0) {
      throw new IllegalArgumentException("window must be > 0 ms, got " + windowMs);
    }
    this.windowMs = windowMs;
    this.bucketMs = Math.max(1, windowMs / SAMPLES_PER_WINDOW);
  }

  /** Forgets everything (a new leader epoch: the log end may have moved without us). */
  void clear() {
    samples.clear();
  }

  /** The leader's log end went from {@code endBefore} to {@code endAfter} at {@code nowMs}. */
  void appended(long nowMs, long endBefore, long endAfter) {
    if (endAfter <= endBefore) {
      return;
    }
    while (!samples.isEmpty() && samples.peekFirst()[0] < nowMs - windowMs) {
      samples.removeFirst();
    }
    long[] last = samples.peekLast();
    if (last != null && nowMs - last[0] < bucketMs && last[2] == endBefore) {
      last[2] = endAfter;
    } else {
      samples.addLast(new long[] {nowMs, endBefore, endAfter});
    }
  }

  /**
   * When the leader's log end first passed {@code end} (exceeded it), or -1 when not known: it did
   * before the window (or never, as far as these samples go).
   */
  long passedAtMs(long end) {
    for (long[] sample : samples) {
      if (end < sample[1]) {
        return -1;
      }
      if (end < sample[2]) {
        return sample[0];
      }
    }
    return -1;
  }
}
