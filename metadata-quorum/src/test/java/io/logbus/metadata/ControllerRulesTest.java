package io.logbus.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import io.logbus.proto.CreateTopicsRequest;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.TopicSpec;
import io.logbus.proto.metadata.BrokerHeartbeatRequest;
import io.logbus.proto.metadata.MetadataRecord;
import io.logbus.proto.metadata.PartitionChange;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The controller's pure rules: placement, elections, fencing, decisions on an image. */
class ControllerRulesTest {

  static MetadataImage brokers(int n) {
    ImageBuilder b = new ImageBuilder(MetadataImage.EMPTY);
    for (int i = 1; i <= n; i++) {
      b.apply(ClusterStateTest.register(i));
    }
    return b.build(1, 1);
  }

  static MetadataImage apply(MetadataImage image, List<MetadataRecord> records) {
    ImageBuilder b = new ImageBuilder(image);
    records.forEach(b::apply);
    return b.build(image.lastAppliedIndex() + 1, 1);
  }

  static MetadataImage create(MetadataImage image, String name, int partitions, int rf) {
    Decision d =
        TopicRequests.createTopics(
            image,
            CreateTopicsRequest.newBuilder()
                .addTopics(
                    TopicSpec.newBuilder()
                        .setName(name)
                        .setPartitions(partitions)
                        .setReplicationFactor(rf))
                .build(),
            UUID::randomUUID);
    assertThat(d.response().getCreateTopics().getTopics(0).getError()).isEqualTo(ErrorCode.NONE);
    return apply(image, d.records());
  }

  @Test
  void placementSpreadsReplicasAndPreferredLeadersEvenlyAcrossTopics() {
    MetadataImage image = brokers(5);
    for (int t = 0; t < 7; t++) {
      image = create(image, "t" + t, 5, 3);
    }
    Map<Integer, Integer> leaders = new HashMap<>();
    Map<Integer, Integer> replicas = new HashMap<>();
    for (TopicImage t : image.topics().values()) {
      for (PartitionState p : t.partitions()) {
        assertThat(Set.copyOf(p.replicas())).hasSize(3);
        assertThat(p.leader()).isEqualTo(p.replicas().get(0));
        assertThat(p.isr()).isEqualTo(p.replicas());
        leaders.merge(p.leader(), 1, Integer::sum);
        p.replicas().forEach(r -> replicas.merge(r, 1, Integer::sum));
      }
    }
    // 35 partitions over 5 brokers: 7 leaders and 21 replicas each.
    assertThat(leaders.values()).containsOnly(7);
    assertThat(replicas.values()).containsOnly(21);
  }

  @Test
  void placementUsesOnlyUnfencedBrokers() {
    MetadataImage image = brokers(3);
    image = apply(image, BrokerRequests.fence(image, List.of(2)));
    image = create(image, "f", 4, 2);
    for (PartitionState p : image.topic("f").orElseThrow().partitions()) {
      assertThat(p.replicas()).doesNotContain(2);
    }
  }

  @Test
  void fencingTheLeaderElectsTheFirstLiveIsrReplicaAndBumpsEpochs() {
    MetadataImage image = create(brokers(3), "e", 1, 3);
    PartitionState before = image.topic("e").orElseThrow().partition(0);
    int leader = before.leader();
    List<MetadataRecord> records = BrokerRequests.fence(image, List.of(leader));
    assertThat(records.get(0).hasFenceBroker()).isTrue();
    PartitionChange pc = records.get(1).getPartitionChange();
    assertThat(pc.getLeader()).isEqualTo(before.replicas().get(1));
    assertThat(pc.getLeaderEpoch()).isEqualTo(before.leaderEpoch() + 1);
    assertThat(pc.getPartitionEpoch()).isEqualTo(before.partitionEpoch() + 1);
    assertThat(pc.getIsrList()).doesNotContain(leader).hasSize(2);
  }

  @Test
  void fencingAFollowerShrinksIsrButKeepsLeaderAndLeaderEpoch() {
    MetadataImage image = create(brokers(3), "e", 1, 3);
    PartitionState before = image.topic("e").orElseThrow().partition(0);
    int follower = before.replicas().get(2);
    PartitionChange pc = BrokerRequests.fence(image, List.of(follower)).get(1).getPartitionChange();
    assertThat(pc.getLeader()).isEqualTo(before.leader());
    assertThat(pc.getLeaderEpoch()).isEqualTo(before.leaderEpoch());
    assertThat(pc.getIsrList()).doesNotContain(follower);
  }

  @Test
  void fencingTwoBrokersInOneBatchLeavesALastIsrMemberAndNoLeader() {
    MetadataImage image = create(brokers(2), "two", 1, 2);
    image = apply(image, BrokerRequests.fence(image, List.of(1, 2)));
    PartitionState p = image.topic("two").orElseThrow().partition(0);
    assertThat(p.leader()).isEqualTo(PartitionState.NO_LEADER);
    assertThat(p.isr()).hasSize(1);
    // The broker in that last ISR comes back and leads again.
    int last = p.isr().get(0);
    long epoch = image.broker(last).orElseThrow().epoch();
    Decision d =
        BrokerRequests.heartbeat(
            image,
            BrokerHeartbeatRequest.newBuilder().setBrokerId(last).setBrokerEpoch(epoch).build());
    image = apply(image, d.records());
    assertThat(image.broker(last).orElseThrow().fenced()).isFalse();
    assertThat(image.topic("two").orElseThrow().partition(0).leader()).isEqualTo(last);
  }

  @Test
  void heartbeatOfAnUnfencedBrokerDecidesNoRecord() {
    MetadataImage image = brokers(1);
    Decision d =
        BrokerRequests.heartbeat(
            image, BrokerHeartbeatRequest.newBuilder().setBrokerId(1).setBrokerEpoch(1).build());
    assertThat(d.records()).isEmpty();
    assertThat(d.response().getHeartbeat().getFenced()).isFalse();
  }

  @Test
  void topicNamesFollowTheRules() {
    assertThat(TopicNames.problem("a.b_c-D9")).isEmpty();
    assertThat(TopicNames.problem("__consumer_offsets")).isEmpty();
    assertThat(TopicNames.isInternal("__consumer_offsets")).isTrue();
    assertThat(TopicNames.problem("x".repeat(249))).isEmpty();
    assertThat(TopicNames.problem("x".repeat(250))).isPresent();
    assertThat(TopicNames.problem(null)).isPresent();
  }
}
