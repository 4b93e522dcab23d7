package io.logbus.broker;

/**
 * Told by the {@link ReplicaManager} when this broker starts or stops leading a partition, so
 * components that serve from leaders only (the group coordinator) can load or drop their state.
 *
 * <p>Called on the thread that changes roles (the metadata dispatch thread), after the partition's
 * role changed and outside its locks. Implementations must return quickly: hand real work (log
 * replay) to a thread of their own.
 */
public interface RoleListener {

  /** This broker now leads {@code key} at {@code leaderEpoch} (a new epoch each time). */
  void onBecomeLeader(PartitionKey key, int leaderEpoch);

  /** This broker no longer leads {@code key}: it follows, or the replica stopped. */
  void onStopLeading(PartitionKey key);
}
