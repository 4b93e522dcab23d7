package io.logbus.torture;

/**
 * The faults the harness injects. Each one is healed (nodes restarted or resumed) before the next.
 */
enum FaultKind {
  /** SIGKILL one random node, restart it after a pause. */
  KILL,
  /** SIGKILL the metadata quorum leader (the controller), restart it after a pause. */
  KILL_QUORUM_LEADER,
  /** SIGSTOP one node for longer than the broker session timeout, then SIGCONT. */
  PAUSE,
  /** SIGKILL two nodes at once (a 3-node cluster loses its quorum), restart both. */
  KILL_TWO,
  /** SIGKILL a node, cut a few bytes off the tail of an active segment (a torn write), restart. */
  TORN_WRITE
}
