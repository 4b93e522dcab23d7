package io.logbus.torture;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * One planned fault: when (milliseconds after the workload starts), which kind, which nodes, how
 * long the nodes stay down or paused, and for torn writes how many bytes to cut. A schedule is a
 * pure function of the seed, so a failing run replays with the same faults in the same order.
 */
record FaultPlan(long atMs, FaultKind kind, List<Integer> nodes, long downMs, int tornBytes) {

  /**
   * The schedule for one run: faults spaced 4-10 s apart over {@code durationMs}, leaving the first
   * 5 s for the workload to warm up. Nodes are numbered 1..nodeCount. KILL_QUORUM_LEADER names no
   * node: the leader is looked up when the fault fires.
   */
  static List<FaultPlan> schedule(long seed, long durationMs, int nodeCount, long pauseMs) {
    Random random = new Random(seed);
    FaultKind[] kinds = FaultKind.values();
    List<FaultPlan> plans = new ArrayList<>();
    long at = 5_000;
    while (at < durationMs) {
      FaultKind kind = kinds[random.nextInt(kinds.length)];
      int first = 1 + random.nextInt(nodeCount);
      List<Integer> nodes =
          switch (kind) {
            case KILL_QUORUM_LEADER -> List.of();
            case KILL_TWO -> List.of(first, 1 + (first % nodeCount));
            default -> List.of(first);
          };
      long down = kind == FaultKind.PAUSE ? pauseMs : 1_000 + random.nextInt(5_000);
      int torn = 1 + random.nextInt(40);
      plans.add(new FaultPlan(at, kind, nodes, down, torn));
      at += down + 4_000 + random.nextInt(6_000);
    }
    return plans;
  }
}
