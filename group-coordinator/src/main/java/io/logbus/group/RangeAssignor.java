package io.logbus.group;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The "range" assignor: per topic, the subscribers sorted by member id get contiguous ranges of
 * partitions; with n partitions and m subscribers the first n % m get n / m + 1, the rest n / m.
 * Deterministic, so the assignment only changes when membership, subscriptions or partition counts
 * do; it makes no attempt to be sticky across such changes. Stateless.
 */
public final class RangeAssignor implements PartitionAssignor {

  public static final String NAME = "range";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Map<String, Set<TopicPartition>> assign(AssignmentSpec spec) {
    Map<String, TreeSet<TopicPartition>> result = new TreeMap<>();
    Map<String, List<String>> subscribers = new TreeMap<>();
    for (Map.Entry<String, AssignmentSpec.MemberSubscription> m : spec.members().entrySet()) {
      result.put(m.getKey(), new TreeSet<>());
      for (String topic : m.getValue().topics()) {
        subscribers.computeIfAbsent(topic, t -> new ArrayList<>()).add(m.getKey());
      }
    }
    for (Map.Entry<String, List<String>> e : subscribers.entrySet()) {
      int partitions = spec.partitionCounts().getOrDefault(e.getKey(), 0);
      List<String> members = e.getValue(); // sorted: spec.members() iterates by id
      int per = partitions / members.size();
      int extra = partitions % members.size();
      int next = 0;
      for (int i = 0; i < members.size(); i++) {
        int count = per + (i < extra ? 1 : 0);
        for (int p = next; p < next + count; p++) {
          result.get(members.get(i)).add(new TopicPartition(e.getKey(), p));
        }
        next += count;
      }
    }
    return UniformAssignor.freeze(result);
  }
}
