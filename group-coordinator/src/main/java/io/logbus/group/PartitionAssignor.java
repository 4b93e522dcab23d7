package io.logbus.group;

import java.util.Map;
import java.util.Set;

/**
 * A server-side assignor: a pure function from the members' subscriptions, their current target
 * assignment and the topics' partition counts to the new target assignment. Implementations hold no
 * state and may be called from any thread.
 *
 * <p>Contract: every partition of a topic that at least one member subscribes to is assigned to
 * exactly one member subscribed to that topic; partitions of topics nobody subscribes to, or that
 * no longer exist, are assigned to nobody. Every member appears in the result (possibly with an
 * empty set).
 */
public interface PartitionAssignor {

  /** The name clients ask for in ConsumerGroupHeartbeat.server_assignor. */
  String name();

  Map<String, Set<TopicPartition>> assign(AssignmentSpec spec);
}
