package io.logbus.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.logbus.proto.CreateTopicsRequest;
import io.logbus.proto.CreateTopicsResponse;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.TopicSpec;
import io.logbus.proto.metadata.MetadataRecord;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuorumSmokeTest {
  @TempDir Path dir;
  QuorumCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void singleVoterCommitsCreateTopicAndShowsItInImage() throws Exception {
    cluster = QuorumCluster.start(dir, 1);
    MetadataQuorum q = cluster.awaitController();
    long epoch =
        q.controller().registerBroker(1, "127.0.0.1", 9001, "inc-1").get(20, TimeUnit.SECONDS);
    assertThat(epoch).isEqualTo(1);
    CreateTopicsResponse r =
        q.controller()
            .createTopics(
                CreateTopicsRequest.newBuilder()
                    .addTopics(
                        TopicSpec.newBuilder()
                            .setName("orders")
                            .setPartitions(3)
                            .setReplicationFactor(1))
                    .build())
            .get(20, TimeUnit.SECONDS);
    assertThat(r.getTopics(0).getError()).isEqualTo(ErrorCode.NONE);
    TopicImage t = q.image().topic("orders").orElseThrow();
    assertThat(t.partitionCount()).isEqualTo(3);
    assertThat(t.partition(0).leader()).isEqualTo(1);
  }

  @Test
  void threeVotersReplicateCreateTopicToEveryNodeAndSubscriber() throws Exception {
    cluster = QuorumCluster.start(dir, 3);
    MetadataQuorum leader = cluster.awaitController();
    MetadataQuorum follower =
        cluster.live().stream().filter(n -> n != leader).findFirst().orElseThrow();
    List<MetadataRecord> seen = new CopyOnWriteArrayList<>();
    follower.subscribe(-1, (index, record, image) -> seen.add(record));
    for (int b = 1; b <= 3; b++) {
      follower
          .controller()
          .registerBroker(b, "127.0.0.1", 9000 + b, "inc-" + b)
          .get(20, TimeUnit.SECONDS);
    }
    CreateTopicsResponse r =
        follower
            .controller()
            .createTopics(
                CreateTopicsRequest.newBuilder()
                    .addTopics(
                        TopicSpec.newBuilder()
                            .setName("events")
                            .setPartitions(6)
                            .setReplicationFactor(3))
                    .build())
            .get(20, TimeUnit.SECONDS);
    assertThat(r.getTopics(0).getError()).isEqualTo(ErrorCode.NONE);
    long index = leader.image().lastAppliedIndex();
    cluster.awaitApplied(index);
    for (MetadataQuorum n : cluster.live()) {
      assertThat(n.image().topic("events")).isPresent();
    }
    await()
        .atMost(QuorumCluster.WAIT)
        .until(() -> seen.stream().anyMatch(MetadataRecord::hasCreateTopic));
    assertThat(leader.linearizableImage().get(20, TimeUnit.SECONDS).topic("events")).isPresent();
  }
}
