package io.logbus.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.logbus.proto.BrokerInfo;
import io.logbus.proto.MetadataResponse;
import io.logbus.proto.PartitionMetadata;
import io.logbus.proto.TopicMetadata;
import org.junit.jupiter.api.Test;

class ClusterTest {

  private static MetadataResponse response(int... leaders) {
    TopicMetadata.Builder topic = TopicMetadata.newBuilder().setName("t");
    for (int p = 0; p < leaders.length; p++) {
      topic.addPartitions(PartitionMetadata.newBuilder().setPartition(p).setLeader(leaders[p]));
    }
    return MetadataResponse.newBuilder()
        .addBrokers(BrokerInfo.newBuilder().setId(1).setHost("h1").setPort(1))
        .addBrokers(BrokerInfo.newBuilder().setId(2).setHost("h2").setPort(2))
        .addTopics(topic)
        .build();
  }

  @Test
  void availablePartitionsAreThoseWithAListedLeader() {
    // Partition 1 is offline, partition 3's leader (9) is not among the brokers.
    Cluster cluster = Cluster.of(response(1, -1, 2, 9), 0);
    assertThat(cluster.availablePartitions("t")).containsExactly(0, 2);
  }

  @Test
  void availablePartitionsAreComputedOncePerSnapshotAndImmutable() {
    Cluster cluster = Cluster.of(response(1, 2), 0);
    assertThat(cluster.availablePartitions("t")).isSameAs(cluster.availablePartitions("t"));
    assertThatThrownBy(() -> cluster.availablePartitions("t").add(5))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void aNewSnapshotReflectsChangedLeaders() {
    assertThat(Cluster.of(response(1, 2), 0).availablePartitions("t")).containsExactly(0, 1);
    assertThat(Cluster.of(response(-1, 2), 1).availablePartitions("t")).containsExactly(1);
  }

  @Test
  void anUnknownTopicHasNoAvailablePartitions() {
    Cluster cluster = Cluster.of(response(1), 0);
    assertThat(cluster.availablePartitions("nope")).isEmpty();
    assertThat(cluster.availablePartitions("nope")).isEmpty();
    assertThat(Cluster.empty().availablePartitions("t")).isEmpty();
  }
}
