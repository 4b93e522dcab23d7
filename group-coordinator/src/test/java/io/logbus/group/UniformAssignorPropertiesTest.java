package io.logbus.group;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class UniformAssignorPropertiesTest {

  private final UniformAssignor assignor = new UniformAssignor();

  static Map<String, Integer> topics(List<Integer> counts) {
    Map<String, Integer> topics = new TreeMap<>();
    for (int i = 0; i < counts.size(); i++) {
      topics.put("t" + i, counts.get(i));
    }
    return topics;
  }

  static AssignmentSpec homogeneous(
      int members, Map<String, Integer> topics, Map<String, Set<TopicPartition>> current) {
    Map<String, AssignmentSpec.MemberSubscription> m = new TreeMap<>();
    for (int i = 0; i < members; i++) {
      String id = "m" + i;
      m.put(
          id,
          new AssignmentSpec.MemberSubscription(
              topics.keySet(), current.getOrDefault(id, Set.of())));
    }
    return new AssignmentSpec(m, topics);
  }

  static void assertEveryPartitionOwnedOnceBySubscriber(
      AssignmentSpec spec, Map<String, Set<TopicPartition>> result) {
    Map<TopicPartition, String> owner = new HashMap<>();
    result.forEach(
        (member, tps) -> {
          for (TopicPartition tp : tps) {
            assertThat(owner.put(tp, member)).as("%s owned twice", tp).isNull();
            assertThat(spec.members().get(member).topics()).contains(tp.topic());
          }
        });
    assertThat(owner.keySet()).isEqualTo(spec.subscribedPartitions());
    assertThat(result.keySet()).isEqualTo(spec.members().keySet());
  }

  @Property
  void everySubscribedPartitionIsOwnedByExactlyOneSubscriber(
      @ForAll @Size(min = 1, max = 4) List<@IntRange(min = 0, max = 12) Integer> counts,
      @ForAll @Size(min = 1, max = 7)
          List<@Size(min = 0, max = 4) Set<@IntRange(min = 0, max = 3) Integer>> subscriptions) {
    Map<String, Integer> topics = topics(counts);
    Map<String, AssignmentSpec.MemberSubscription> members = new TreeMap<>();
    for (int i = 0; i < subscriptions.size(); i++) {
      Set<String> subscribed = new HashSet<>();
      for (int t : subscriptions.get(i)) {
        subscribed.add("t" + t); // t3 may not exist: subscriptions to unknown topics are allowed
      }
      members.put("m" + i, new AssignmentSpec.MemberSubscription(subscribed, Set.of()));
    }
    AssignmentSpec spec = new AssignmentSpec(members, topics);
    Map<String, Set<TopicPartition>> first = assignor.assign(spec);
    assertEveryPartitionOwnedOnceBySubscriber(spec, first);
    // Stable: assigning again from the result changes nothing.
    Map<String, AssignmentSpec.MemberSubscription> again = new TreeMap<>();
    members.forEach(
        (id, m) -> again.put(id, new AssignmentSpec.MemberSubscription(m.topics(), first.get(id))));
    assertThat(assignor.assign(new AssignmentSpec(again, topics))).isEqualTo(first);
  }

  @Property
  void sameSubscriptionsGiveCountsThatDifferByAtMostOne(
      @ForAll @IntRange(min = 1, max = 9) int memberCount,
      @ForAll @Size(min = 1, max = 3) List<@IntRange(min = 0, max = 20) Integer> counts) {
    AssignmentSpec spec = homogeneous(memberCount, topics(counts), Map.of());
    Map<String, Set<TopicPartition>> result = assignor.assign(spec);
    assertEveryPartitionOwnedOnceBySubscriber(spec, result);
    int min = result.values().stream().mapToInt(Set::size).min().orElseThrow();
    int max = result.values().stream().mapToInt(Set::size).max().orElseThrow();
    assertThat(max - min).isLessThanOrEqualTo(1);
  }

  @Property
  void aLeavingMemberOnlyGivesAwayItsOwnPartitions(
      @ForAll @IntRange(min = 2, max = 9) int memberCount,
      @ForAll @Size(min = 1, max = 3) List<@IntRange(min = 0, max = 20) Integer> counts,
      @ForAll @IntRange(min = 0, max = 8) int leaverIndex) {
    Map<String, Integer> topics = topics(counts);
    Map<String, Set<TopicPartition>> before =
        assignor.assign(homogeneous(memberCount, topics, Map.of()));
    String leaver = "m" + (leaverIndex % memberCount);
    Map<String, AssignmentSpec.MemberSubscription> rest = new TreeMap<>();
    before.forEach(
        (id, tps) -> {
          if (!id.equals(leaver)) {
            rest.put(id, new AssignmentSpec.MemberSubscription(topics.keySet(), tps));
          }
        });
    AssignmentSpec spec = new AssignmentSpec(rest, topics);
    Map<String, Set<TopicPartition>> after = assignor.assign(spec);
    assertEveryPartitionOwnedOnceBySubscriber(spec, after);
    after.forEach((id, tps) -> assertThat(tps).containsAll(before.get(id)));
  }

  @Property
  void aJoiningMemberOnlyTakesPartitionsAndOthersKeepTheRest(
      @ForAll @IntRange(min = 1, max = 8) int memberCount,
      @ForAll @Size(min = 1, max = 3) List<@IntRange(min = 0, max = 20) Integer> counts) {
    Map<String, Integer> topics = topics(counts);
    Map<String, Set<TopicPartition>> before =
        assignor.assign(homogeneous(memberCount, topics, Map.of()));
    AssignmentSpec spec = homogeneous(memberCount + 1, topics, before);
    Map<String, Set<TopicPartition>> after = assignor.assign(spec);
    assertEveryPartitionOwnedOnceBySubscriber(spec, after);
    String joiner = "m" + memberCount;
    int moved = 0;
    for (Map.Entry<String, Set<TopicPartition>> e : before.entrySet()) {
      assertThat(before.get(e.getKey())).containsAll(after.get(e.getKey()));
      moved += e.getValue().size() - after.get(e.getKey()).size();
    }
    // Every moved partition went to the new member, and it got no more than its fair share.
    assertThat(after.get(joiner)).hasSize(moved);
    int total = topics.values().stream().mapToInt(Integer::intValue).sum();
    assertThat(moved).isEqualTo(total / (memberCount + 1));
  }

  @Property
  void movementIsMinimalFromAnyValidCurrentAssignment(
      @ForAll @IntRange(min = 1, max = 6) int memberCount,
      @ForAll @IntRange(min = 0, max = 24) int partitions,
      @ForAll @Size(max = 24) List<@IntRange(min = 0, max = 6) Integer> currentOwners) {
    Map<String, Integer> topics = Map.of("t0", partitions);
    Map<String, Set<TopicPartition>> current = new HashMap<>();
    for (int p = 0; p < Math.min(partitions, currentOwners.size()); p++) {
      int owner = currentOwners.get(p);
      if (owner < memberCount) { // owner == memberCount..6: unowned
        current
            .computeIfAbsent("m" + owner, id -> new HashSet<>())
            .add(new TopicPartition("t0", p));
      }
    }
    AssignmentSpec spec = homogeneous(memberCount, topics, current);
    Map<String, Set<TopicPartition>> after = assignor.assign(spec);
    assertEveryPartitionOwnedOnceBySubscriber(spec, after);
    int floor = partitions / memberCount;
    int extra = partitions % memberCount;
    int bestRetained = 0;
    int aboveFloor = 0;
    int retained = 0;
    for (int i = 0; i < memberCount; i++) {
      Set<TopicPartition> had = current.getOrDefault("m" + i, Set.of());
      bestRetained += Math.min(had.size(), floor);
      aboveFloor += had.size() > floor ? 1 : 0;
      Set<TopicPartition> kept = new HashSet<>(had);
      kept.retainAll(after.get("m" + i));
      retained += kept.size();
    }
    bestRetained += Math.min(aboveFloor, extra);
    assertThat(retained).isEqualTo(bestRetained);
  }
}
