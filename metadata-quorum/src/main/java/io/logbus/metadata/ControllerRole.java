package io.logbus.metadata;

/**
 * What the controller needs to know of the consensus layer: am I the ready leader, of what term.
 */
interface ControllerRole {
  /** True when this node leads the quorum and has applied every entry of earlier terms. */
  boolean isLeaderReady();

  long term();
}
