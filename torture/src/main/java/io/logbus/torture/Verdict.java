package io.logbus.torture;

import java.util.List;
import java.util.Map;

/**
 * What the checker found in one run. Every count but the availability figures must be zero for a
 * pass. {@code examples} names a few offending values or partitions so a failure can be chased; the
 * timeline and the group side are there for the report.
 */
record Verdict(
    long seed,
    int faults,
    long acked,
    long failedSends,
    long lost,
    long duplicated,
    long phantom,
    long divergent,
    long disordered,
    long offsetsBackwards,
    long skipped,
    Availability.Figures availability,
    List<Long> failoverSamplesMs,
    List<String> examples,
    Timeline timeline,
    GroupSide group) {

  /**
   * When the workload started (wall clock; every other time is relative to it), the faults as
   * injected, and when each node went down and came back.
   */
  record Timeline(
      long workloadStartEpochMs, List<History.Fault> faults, List<History.NodeEvent> nodes) {}

  /** How much the group consumers did: commits and reads observed, records received, counters. */
  record GroupSide(long commitObservations, long consumed, Map<String, Long> counters) {}

  boolean passed() {
    return lost == 0
        && duplicated == 0
        && phantom == 0
        && divergent == 0
        && disordered == 0
        && offsetsBackwards == 0
        && skipped == 0;
  }
}
