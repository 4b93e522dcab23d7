package io.logbus.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * Latency and throughput of a perf run: an HdrHistogram of microseconds for the whole run plus a
 * window for the live progress lines. Recorded by one thread (the producer's I/O thread); the
 * window is read under the monitor.
 */
final class LatencyStats {
  private final Histogram total = new Histogram(3_600_000_000L, 3);
  private final long startNs;
  private long windowStartNs;
  private long windowCount;
  private long windowBytes;
  private long windowMaxUs;
  private long windowSumUs;
  private long count;
  private long bytes;

  LatencyStats(long startNs) {
    this.startNs = startNs;
    this.windowStartNs = startNs;
  }

  synchronized void record(long latencyUs, int size) {
    long us = Math.max(0, latencyUs);
    total.recordValue(Math.min(us, total.getHighestTrackableValue()));
    count++;
    bytes += size;
    windowCount++;
    windowBytes += size;
    windowSumUs += us;
    windowMaxUs = Math.max(windowMaxUs, us);
  }

  /**
   * Kafka's progress line: "N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max
   * latency."
   */
  synchronized void printWindow(PrintWriter out, String verb, long nowNs) {
    double secs = Math.max(1e-9, (nowNs - windowStartNs) / 1e9);
    out.printf(
        "%d records %s, %.1f records/sec (%.2f MB/sec), %.1f ms avg latency, %.1f ms max latency.%n",
        windowCount,
        verb,
        windowCount / secs,
        windowBytes / secs / (1024 * 1024),
        windowCount == 0 ? 0.0 : windowSumUs / 1000.0 / windowCount,
        windowMaxUs / 1000.0);
    out.flush();
    windowStartNs = nowNs;
    windowCount = 0;
    windowBytes = 0;
    windowSumUs = 0;
    windowMaxUs = 0;
  }

  synchronized Map<String, Object> summary(long endNs) {
    double secs = Math.max(1e-9, (endNs - startNs) / 1e9);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("records", count);
    m.put("recordsPerSec", round(count / secs));
    m.put("mbPerSec", round(bytes / secs / (1024 * 1024)));
    m.put("avgLatencyMs", round(count == 0 ? 0 : total.getMean() / 1000.0));
    m.put("maxLatencyMs", round(total.getMaxValue() / 1000.0));
    m.put("p50Ms", round(total.getValueAtPercentile(50) / 1000.0));
    m.put("p95Ms", round(total.getValueAtPercentile(95) / 1000.0));
    m.put("p99Ms", round(total.getValueAtPercentile(99) / 1000.0));
    m.put("p999Ms", round(total.getValueAtPercentile(99.9) / 1000.0));
    return m;
  }

  /** Kafka's ProducerPerformance summary line. */
  static String summaryLine(Map<String, Object> s, String verb) {
    return String.format(
        "%d records %s, %.1f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency,"
            + " %.2f ms 50th, %.2f ms 95th, %.2f ms 99th, %.2f ms 99.9th.",
        s.get("records"),
        verb,
        s.get("recordsPerSec"),
        s.get("mbPerSec"),
        s.get("avgLatencyMs"),
        s.get("maxLatencyMs"),
        s.get("p50Ms"),
        s.get("p95Ms"),
        s.get("p99Ms"),
        s.get("p999Ms"));
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }
}
