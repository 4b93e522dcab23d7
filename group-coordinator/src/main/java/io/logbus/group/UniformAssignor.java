package io.logbus.group;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The "uniform" assignor (sticky): balances partition counts across members and moves as few
 * partitions as possible away from the current target assignment.
 *
 * <p>When every member subscribes to the same topics, the result is optimal: with P partitions and
 * M members each member gets P/M or P/M+1, and a member keeps min(its current count, its quota) of
 * its partitions, so a member joining only takes partitions from others and a member leaving only
 * gives its own partitions away. With different subscriptions it assigns each free partition to the
 * least loaded subscriber, then moves one partition at a time from a member to an eligible member
 * holding at least two fewer, until no such move exists (each move lowers the sum of squared
 * counts, so it terminates). Stateless.
 */
public final class UniformAssignor implements PartitionAssignor {

  public static final String NAME = "uniform";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Map<String, Set<TopicPartition>> assign(AssignmentSpec spec) {
    Map<String, TreeSet<TopicPartition>> result = new TreeMap<>();
    Set<TopicPartition> claimed = new TreeSet<>();
    // Keep what is still valid; a partition targeted to two members (never by this assignor) goes
    // to the first by id.
    for (Map.Entry<String, AssignmentSpec.MemberSubscription> m : spec.members().entrySet()) {
      TreeSet<TopicPartition> kept = new TreeSet<>();
      for (TopicPartition tp : new TreeSet<>(m.getValue().current())) {
        if (spec.eligible(m.getKey(), tp) && claimed.add(tp)) {
          kept.add(tp);
        }
      }
      result.put(m.getKey(), kept);
    }
    if (result.isEmpty()) {
      return Map.of();
    }
    if (homogeneous(spec)) {
      assignHomogeneous(spec, result);
    } else {
      assignGreedy(spec, result);
    }
    return freeze(result);
  }

  private static boolean homogeneous(AssignmentSpec spec) {
    return spec.members().values().stream()
            .map(AssignmentSpec.MemberSubscription::topics)
            .distinct()
            .count()
        == 1;
  }

  private static void assignHomogeneous(
      AssignmentSpec spec, Map<String, TreeSet<TopicPartition>> result) {
    TreeSet<TopicPartition> all = new TreeSet<>(spec.subscribedPartitions());
    int members = result.size();
    int floor = all.size() / members;
    int extraLeft = all.size() % members;
    // Members holding the most keep the few "floor + 1" slots: that maximizes what stays put.
    List<String> byKeptDesc = new ArrayList<>(result.keySet());
    byKeptDesc.sort(
        Comparator.comparingInt((String id) -> result.get(id).size())
            .reversed()
            .thenComparing(id -> id));
    for (String id : byKeptDesc) {
      TreeSet<TopicPartition> kept = result.get(id);
      int allowance = floor;
      if (kept.size() > floor && extraLeft > 0) {
        allowance = floor + 1;
        extraLeft--;
      }
      while (kept.size() > allowance) {
        kept.pollLast();
      }
    }
    TreeSet<TopicPartition> pool = new TreeSet<>(all);
    result.values().forEach(pool::removeAll);
    for (TreeSet<TopicPartition> owned : result.values()) {
      while (owned.size() < floor && !pool.isEmpty()) {
        owned.add(pool.pollFirst());
      }
    }
    for (TreeSet<TopicPartition> owned : result.values()) {
      if (pool.isEmpty()) {
        break;
      }
      if (owned.size() == floor) {
        owned.add(pool.pollFirst());
      }
    }
    if (!pool.isEmpty()) {
      throw new IllegalStateException("uniform assignor left partitions unassigned: " + pool);
    }
  }

  private static void assignGreedy(
      AssignmentSpec spec, Map<String, TreeSet<TopicPartition>> result) {
    TreeSet<TopicPartition> pool = new TreeSet<>(spec.subscribedPartitions());
    result.values().forEach(pool::removeAll);
    for (TopicPartition tp : pool) {
      String target = null;
      for (Map.Entry<String, TreeSet<TopicPartition>> e : result.entrySet()) {
        if (spec.eligible(e.getKey(), tp)
            && (target == null || e.getValue().size() < result.get(target).size())) {
          target = e.getKey();
        }
      }
      result.get(target).add(tp); // pool holds only subscribed partitions: a subscriber exists
    }
    boolean moved = true;
    while (moved) {
      moved = false;
      List<String> byCountDesc = new ArrayList<>(result.keySet());
      byCountDesc.sort(
          Comparator.comparingInt((String id) -> result.get(id).size())
              .reversed()
              .thenComparing(id -> id));
      outer:
      for (String from : byCountDesc) {
        TreeSet<TopicPartition> fromSet = result.get(from);
        for (TopicPartition tp : fromSet) {
          String to = null;
          for (Map.Entry<String, TreeSet<TopicPartition>> e : result.entrySet()) {
            int size = e.getValue().size();
            if (size < fromSet.size() - 1
                && spec.eligible(e.getKey(), tp)
                && (to == null || size < result.get(to).size())) {
              to = e.getKey();
            }
          }
          if (to != null) {
            fromSet.remove(tp);
            result.get(to).add(tp);
            moved = true;
            break outer;
          }
        }
      }
    }
  }

  static Map<String, Set<TopicPartition>> freeze(Map<String, TreeSet<TopicPartition>> result) {
    Map<String, Set<TopicPartition>> frozen = new TreeMap<>();
    result.forEach((id, set) -> frozen.put(id, java.util.Collections.unmodifiableSet(set)));
    return java.util.Collections.unmodifiableMap(frozen);
  }
}
