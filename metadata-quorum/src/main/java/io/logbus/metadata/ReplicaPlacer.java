package io.logbus.metadata;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Chooses replicas for new partitions so that replicas and preferred leaders spread evenly over the
 * live brokers, counting what every existing topic already puts on each broker.
 *
 * <p>Per partition: the preferred leader is the broker leading the fewest partitions (ties: the
 * fewest replicas, then the lowest id); the followers are the brokers holding the fewest replicas.
 * Deterministic for a given image and request. Stateless.
 */
final class ReplicaPlacer {
  private ReplicaPlacer() {}

  /**
   * @param liveBrokers brokers eligible for replicas (registered, unfenced); size >= rf
   * @return {@code count} replica lists of {@code rf} distinct brokers, preferred leader first
   */
  static List<List<Integer>> place(
      MetadataImage view, List<Integer> liveBrokers, int count, int rf) {
    if (rf < 1 || rf > liveBrokers.size()) {
      throw new IllegalArgumentException(
          "replication factor " + rf + " with " + liveBrokers.size() + " live brokers");
    }
    Map<Integer, Integer> leaders = new HashMap<>();
    Map<Integer, Integer> replicas = new HashMap<>();
    for (int b : liveBrokers) {
      leaders.put(b, 0);
      replicas.put(b, 0);
    }
    for (TopicImage t : view.topics().values()) {
      for (PartitionState p : t.partitions()) {
        if (!p.replicas().isEmpty()) {
          leaders.computeIfPresent(p.replicas().get(0), (k, v) -> v + 1);
        }
        for (int r : p.replicas()) {
          replicas.computeIfPresent(r, (k, v) -> v + 1);
        }
      }
    }
    Comparator<Integer> byReplicas =
        Comparator.<Integer>comparingInt(replicas::get).thenComparingInt(b -> b);
    Comparator<Integer> byLeaders =
        Comparator.<Integer>comparingInt(leaders::get).thenComparing(byReplicas);
    List<List<Integer>> result = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      List<Integer> candidates = new ArrayList<>(liveBrokers);
      candidates.sort(byLeaders);
      int leader = candidates.get(0);
      List<Integer> chosen = new ArrayList<>(rf);
      chosen.add(leader);
      candidates.remove(0);
      candidates.sort(byReplicas);
      chosen.addAll(candidates.subList(0, rf - 1));
      leaders.merge(leader, 1, Integer::sum);
      for (int b : chosen) {
        replicas.merge(b, 1, Integer::sum);
      }
      result.add(List.copyOf(chosen));
    }
    return result;
  }
}
