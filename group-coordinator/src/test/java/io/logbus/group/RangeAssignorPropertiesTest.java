package io.logbus.group;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class RangeAssignorPropertiesTest {

  private final RangeAssignor assignor = new RangeAssignor();

  @Property
  void everySubscribedPartitionOwnedOnceAndPerTopicCountsDifferByAtMostOne(
      @ForAll @Size(min = 1, max = 4) List<@IntRange(min = 0, max = 12) Integer> counts,
      @ForAll @Size(min = 1, max = 7)
          List<@Size(min = 0, max = 4) Set<@IntRange(min = 0, max = 3) Integer>> subscriptions) {
    Map<String, Integer> topics = UniformAssignorPropertiesTest.topics(counts);
    Map<String, AssignmentSpec.MemberSubscription> members = new TreeMap<>();
    for (int i = 0; i < subscriptions.size(); i++) {
      Set<String> subscribed = new HashSet<>();
      subscriptions.get(i).forEach(t -> subscribed.add("t" + t));
      members.put("m" + i, new AssignmentSpec.MemberSubscription(subscribed, Set.of()));
    }
    AssignmentSpec spec = new AssignmentSpec(members, topics);
    Map<String, Set<TopicPartition>> result = assignor.assign(spec);
    UniformAssignorPropertiesTest.assertEveryPartitionOwnedOnceBySubscriber(spec, result);
    for (String topic : topics.keySet()) {
      List<Integer> perMember =
          members.entrySet().stream()
              .filter(e -> e.getValue().topics().contains(topic))
              .map(
                  e ->
                      (int)
                          result.get(e.getKey()).stream()
                              .filter(tp -> tp.topic().equals(topic))
                              .count())
              .toList();
      if (!perMember.isEmpty()) {
        int min = perMember.stream().mapToInt(Integer::intValue).min().orElseThrow();
        int max = perMember.stream().mapToInt(Integer::intValue).max().orElseThrow();
        assertThat(max - min).isLessThanOrEqualTo(1);
      }
    }
  }

  @Test
  void givesContiguousRangesInMemberIdOrder() {
    Set<String> t = Set.of("t");
    AssignmentSpec spec =
        new AssignmentSpec(
            Map.of(
                "b", new AssignmentSpec.MemberSubscription(t, Set.of()),
                "a", new AssignmentSpec.MemberSubscription(t, Set.of())),
            Map.of("t", 5));
    Map<String, Set<TopicPartition>> result = assignor.assign(spec);
    assertThat(result.get("a"))
        .containsExactlyInAnyOrder(
            new TopicPartition("t", 0), new TopicPartition("t", 1), new TopicPartition("t", 2));
    assertThat(result.get("b"))
        .containsExactlyInAnyOrder(new TopicPartition("t", 3), new TopicPartition("t", 4));
  }
}
