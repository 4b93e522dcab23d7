package io.logbus.torture;

import java.nio.file.Path;

/**
 * How to torture: for how long, how many runs, the first seed, cluster size, offered load, group
 * members, and where the launcher and the run folders are.
 */
record TortureOptions(
    long durationMs,
    int runs,
    long seed,
    int nodes,
    int writers,
    int recordsPerSecond,
    int groupMembers,
    long pauseMs,
    Path launcher,
    Path workDir) {

  TortureOptions {
    if (durationMs < 10_000) {
      throw new IllegalArgumentException("--duration must be at least 10 seconds");
    }
    if (runs < 1) {
      throw new IllegalArgumentException("--runs must be at least 1, got " + runs);
    }
    if (nodes != 3 && nodes != 5) {
      throw new IllegalArgumentException("--nodes must be 3 or 5, got " + nodes);
    }
    if (writers < 1 || recordsPerSecond < 1) {
      throw new IllegalArgumentException("--writers and --rate must be positive");
    }
    if (groupMembers < 0) {
      throw new IllegalArgumentException("--group-members must be 0 or more, got " + groupMembers);
    }
  }
}
