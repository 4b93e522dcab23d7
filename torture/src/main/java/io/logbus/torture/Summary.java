package io.logbus.torture;

import java.util.ArrayList;
import java.util.List;

/** The one-line result every script greps: counts summed over runs, PASS only if all are zero. */
final class Summary {
  private Summary() {}

  static String line(List<Verdict> verdicts, List<String> errors) {
    long faults = 0;
    long acked = 0;
    long lost = 0;
    long duplicated = 0;
    long phantom = 0;
    long divergent = 0;
    long disordered = 0;
    long backwards = 0;
    long skipped = 0;
    long maxUnavailable = 0;
    long majorityDown = 0;
    long majorityUp = 0;
    List<Long> failovers = new ArrayList<>();
    for (Verdict v : verdicts) {
      faults += v.faults();
      acked += v.acked();
      lost += v.lost();
      duplicated += v.duplicated();
      phantom += v.phantom();
      divergent += v.divergent();
      disordered += v.disordered();
      backwards += v.offsetsBackwards();
      skipped += v.skipped();
      maxUnavailable = Math.max(maxUnavailable, v.availability().longestMs());
      majorityDown = Math.max(majorityDown, v.availability().majorityDownMs());
      majorityUp = Math.max(majorityUp, v.availability().majorityUpMs());
      failovers.addAll(v.failoverSamplesMs());
    }
    boolean pass =
        errors.isEmpty() && !verdicts.isEmpty() && verdicts.stream().allMatch(Verdict::passed);
    String seed = verdicts.isEmpty() ? "none" : Long.toUnsignedString(verdicts.get(0).seed());
    List<String> failing = new ArrayList<>();
    for (Verdict v : verdicts) {
      if (!v.passed()) {
        failing.add(Long.toUnsignedString(v.seed()));
      }
    }
    return "torture: runs="
        + (verdicts.size() + errors.size())
        + " seed="
        + seed
        + " faults="
        + faults
        + " acked="
        + acked
        + " lost="
        + lost
        + " duplicated="
        + duplicated
        + " phantom="
        + phantom
        + " divergent="
        + divergent
        + " disordered="
        + disordered
        + " offsets_backwards="
        + backwards
        + " skipped="
        + skipped
        + " max_unavailable_ms="
        + maxUnavailable
        + " unavailable_majority_down_ms="
        + majorityDown
        + " unavailable_majority_up_ms="
        + majorityUp
        + " failover_p50_ms="
        + Availability.percentile(failovers, 50)
        + " failover_p99_ms="
        + Availability.percentile(failovers, 99)
        + (pass
            ? " PASS"
            : " FAIL"
                + (failing.isEmpty() ? "" : " failing_seeds=" + failing)
                + (errors.isEmpty() ? "" : " errors=" + errors.size()));
  }
}
