package io.logbus.metadata;

import io.logbus.proto.metadata.PartitionChange;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Leader election rules, as pure functions from an image to the PartitionChange records that follow
 * from a broker leaving or rejoining.
 *
 * <ul>
 *   <li>A fenced broker leaves every ISR it is in, unless it is the last member: the ISR on record
 *       is never empty, so the last in-sync copy is known when it returns.
 *   <li>A partition whose leader is gone gets the first replica (preferred order) that is in the
 *       ISR and alive; none alive means leader -1 (offline), unless the topic enables unclean
 *       election, which takes any live replica and makes it the whole ISR.
 *   <li>A returning broker leads the offline partitions whose ISR holds it.
 *   <li>Every change bumps the partition epoch; a leader change bumps the leader epoch.
 * </ul>
 */
final class PartitionElections {
  private PartitionElections() {}

  /** Changes once {@code broker} is fenced; {@code live} = unfenced brokers after the fence. */
  static List<PartitionChange> onBrokerFenced(MetadataImage view, int broker, Set<Integer> live) {
    List<PartitionChange> changes = new ArrayList<>();
    for (TopicImage t : view.topics().values()) {
      for (PartitionState p : t.partitions()) {
        if (p.leader() != broker && !p.isr().contains(broker)) {
          continue;
        }
        List<Integer> isr = new ArrayList<>(p.isr());
        if (isr.size() > 1) {
          isr.remove(Integer.valueOf(broker));
        }
        int leader = p.leader();
        if (leader == broker || !live.contains(leader) || !isr.contains(leader)) {
          leader = PartitionState.NO_LEADER;
          for (int r : p.replicas()) {
            if (isr.contains(r) && live.contains(r)) {
              leader = r;
              break;
            }
          }
          if (leader == PartitionState.NO_LEADER && t.uncleanLeaderElection()) {
            for (int r : p.replicas()) {
              if (live.contains(r)) {
                leader = r;
                isr = List.of(r);
                break;
              }
            }
          }
        }
        change(t, p, leader, isr).ifPresent(changes::add);
      }
    }
    return changes;
  }

  /** Changes once {@code broker} is unfenced (or registered again). */
  static List<PartitionChange> onBrokerUnfenced(MetadataImage view, int broker) {
    List<PartitionChange> changes = new ArrayList<>();
    for (TopicImage t : view.topics().values()) {
      for (PartitionState p : t.partitions()) {
        if (!p.isOffline() || !p.replicas().contains(broker)) {
          continue;
        }
        if (p.isr().contains(broker)) {
          change(t, p, broker, p.isr()).ifPresent(changes::add);
        } else if (t.uncleanLeaderElection()) {
          change(t, p, broker, List.of(broker)).ifPresent(changes::add);
        }
      }
    }
    return changes;
  }

  static Optional<PartitionChange> change(
      TopicImage t, PartitionState p, int leader, List<Integer> isr) {
    if (leader == p.leader() && isr.equals(p.isr())) {
      return Optional.empty();
    }
    return Optional.of(
        PartitionChange.newBuilder()
            .setTopic(t.name())
            .setTopicId(t.id().toString())
            .setPartition(p.partition())
            .setLeader(leader)
            .setLeaderEpoch(leader == p.leader() ? p.leaderEpoch() : p.leaderEpoch() + 1)
            .setPartitionEpoch(p.partitionEpoch() + 1)
            .addAllIsr(isr)
            .addAllReplicas(p.replicas())
            .build());
  }
}
