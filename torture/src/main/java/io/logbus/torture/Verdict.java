package io.logbus.torture;

import java.util.List;

/**
 * What the checker found in one run. Every count but the availability figures must be zero for a
 * pass. {@code examples} names a few offending values or partitions so a failure can be chased.
 */
record Verdict(
    long seed,
    int faults,
    long acked,
    long lost,
    long duplicated,
    long phantom,
    long divergent,
    long disordered,
    long offsetsBackwards,
    long maxUnavailableMs,
    List<Long> failoverSamplesMs,
    List<String> examples) {

  boolean passed() {
    return lost == 0
        && duplicated == 0
        && phantom == 0
        && divergent == 0
        && disordered == 0
        && offsetsBackwards == 0;
  }
}
