package io.logbus.client;

/** State of a consumer group, as the coordinator reports it (names printed by the CLI). */
public enum GroupState {
  /** No members; committed offsets may exist. */
  EMPTY,
  /** The group epoch moved and the target assignment is not computed yet. */
  ASSIGNING,
  /** Some member has not reached its target assignment. */
  RECONCILING,
  /** Every member owns exactly its target assignment. */
  STABLE,
  /** Being deleted or expired. */
  DEAD;

  /** Maps the wire enum; a state this client does not know reads as DEAD (nothing to act on). */
  static GroupState of(io.logbus.proto.GroupState state) {
    return switch (state) {
      case EMPTY -> EMPTY;
      case ASSIGNING -> ASSIGNING;
      case RECONCILING -> RECONCILING;
      case STABLE -> STABLE;
      default -> DEAD;
    };
  }
}
