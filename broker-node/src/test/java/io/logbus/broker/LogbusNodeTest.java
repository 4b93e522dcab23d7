package io.logbus.broker;

import static io.logbus.broker.TestRecords.batch;
import static io.logbus.broker.TestRecords.produce;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.logbus.broker.testing.NodeCluster;
import io.logbus.proto.AdminServiceGrpc;
import io.logbus.proto.BrokerServiceGrpc;
import io.logbus.proto.CreateTopicsRequest;
import io.logbus.proto.DeleteTopicsRequest;
import io.logbus.proto.DescribeClusterRequest;
import io.logbus.proto.DescribeTopicsRequest;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.FetchPartition;
import io.logbus.proto.FetchRequest;
import io.logbus.proto.MetadataRequest;
import io.logbus.proto.PartitionMetadata;
import io.logbus.proto.PartitionProduceResult;
import io.logbus.proto.TopicSpec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three full nodes (Ratis quorum + broker + HTTP) in one JVM on loopback: metadata drives the
 * replica roles, the controller elects a new leader when the old one dies, deleted topics leave
 * every disk.
 */
class LogbusNodeTest {
  private static final String TOPIC = "payments";

  @TempDir Path dir;
  private NodeCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private void startCluster() {
    cluster = NodeCluster.start(dir, 3);
  }

  /** The partition as {@code askNode} sees it; an empty one while its metadata lags behind. */
  private PartitionMetadata partition(int askNode) {
    var topic =
        BrokerServiceGrpc.newBlockingStub(cluster.channel(askNode))
            .metadata(MetadataRequest.newBuilder().addTopics(TOPIC).build())
            .getTopics(0);
    return topic.getPartitionsCount() == 0
        ? PartitionMetadata.getDefaultInstance()
        : topic.getPartitions(0);
  }

  private PartitionProduceResult send(int node, String value) {
    return BrokerServiceGrpc.newBlockingStub(cluster.channel(node))
        .withDeadlineAfter(20, TimeUnit.SECONDS)
        .produce(produce(TOPIC, 0, -1, batch(value)))
        .getPartitions(0);
  }

  private List<String> readAll(int node, long end) {
    List<String> values = new ArrayList<>();
    long offset = 0;
    while (offset < end) {
      ByteBuffer records =
          BrokerServiceGrpc.newBlockingStub(cluster.channel(node))
              .fetch(
                  FetchRequest.newBuilder()
                      .addPartitions(
                          FetchPartition.newBuilder()
                              .setTopic(TOPIC)
                              .setFetchOffset(offset)
                              .setCurrentLeaderEpoch(-1))
                      .build())
              .getPartitions(0)
              .getRecords()
              .asReadOnlyByteBuffer();
      List<String> got = TestRecords.values(records);
      if (got.isEmpty()) {
        break;
      }
      values.addAll(got);
      offset = Batches.nextOffset(records, offset);
    }
    return values;
  }

  @Test
  void metadataDrivesReplicationFailoverAndDeletion() throws Exception {
    startCluster();
    var admin = AdminServiceGrpc.newBlockingStub(cluster.channel(1));
    var created =
        admin.createTopics(
            CreateTopicsRequest.newBuilder()
                .addTopics(
                    TopicSpec.newBuilder()
                        .setName(TOPIC)
                        .setPartitions(1)
                        .setReplicationFactor(3)
                        .putConfigs("min.insync.replicas", "2"))
                .build());
    assertThat(created.getTopics(0).getError()).isEqualTo(ErrorCode.NONE);
    // ignoreExceptions: node 1 may answer UNKNOWN_TOPIC (no partitions) until it has applied the
    // CreateTopic the controller just committed.
    await()
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .until(() -> partition(1).getLeader() > 0 && partition(1).getIsrCount() == 3);
    int leader = partition(1).getLeader();

    List<String> acked = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      PartitionProduceResult r = send(leader, "r" + i);
      assertThat(r.getError()).isEqualTo(ErrorCode.NONE);
      acked.add("r" + i);
    }

    // Bad admin input: a typed error per item, nothing created.
    var bad =
        admin.createTopics(
            CreateTopicsRequest.newBuilder()
                .addTopics(
                    TopicSpec.newBuilder()
                        .setName("bad/name")
                        .setPartitions(1)
                        .setReplicationFactor(1))
                .addTopics(
                    TopicSpec.newBuilder()
                        .setName("t-zero")
                        .setPartitions(0)
                        .setReplicationFactor(1))
                .addTopics(
                    TopicSpec.newBuilder().setName("t-rf").setPartitions(1).setReplicationFactor(5))
                .addTopics(
                    TopicSpec.newBuilder().setName(TOPIC).setPartitions(1).setReplicationFactor(1))
                .build());
    assertThat(bad.getTopicsList())
        .extracting(t -> t.getError())
        .containsExactly(
            ErrorCode.INVALID_TOPIC,
            ErrorCode.INVALID_PARTITIONS,
            ErrorCode.INVALID_REPLICATION_FACTOR,
            ErrorCode.TOPIC_ALREADY_EXISTS);
    var unknown =
        admin.describeTopics(DescribeTopicsRequest.newBuilder().addTopics("t-rf").build());
    assertThat(unknown.getTopics(0).getError()).isEqualTo(ErrorCode.UNKNOWN_TOPIC);
    assertThat(
            admin
                .describeConfigs(
                    io.logbus.proto.DescribeConfigsRequest.newBuilder().setTopic("nope").build())
                .getError())
        .isEqualTo(ErrorCode.UNKNOWN_TOPIC);
    var configs =
        admin.describeConfigs(
            io.logbus.proto.DescribeConfigsRequest.newBuilder().setTopic(TOPIC).build());
    assertThat(configs.getConfigsMap()).containsEntry("min.insync.replicas", "2");
    assertThat(configs.getEffectiveMap()).containsKey("segment.bytes");

    var described =
        admin.describeTopics(DescribeTopicsRequest.newBuilder().addTopics(TOPIC).build());
    assertThat(described.getTopics(0).getPartitions(0).getLogEndOffset()).isEqualTo(10);

    cluster.kill(leader);
    int survivor = leader == 1 ? 2 : 1;
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              PartitionMetadata p = partition(survivor);
              return p.getLeader() > 0 && p.getLeader() != leader;
            });
    int newLeader = partition(survivor).getLeader();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> send(newLeader, "probe").getError() == ErrorCode.NONE);
    acked.add("probe");
    for (int i = 0; i < 10; i++) {
      assertThat(send(newLeader, "s" + i).getError()).isEqualTo(ErrorCode.NONE);
      acked.add("s" + i);
    }
    assertThat(readAll(newLeader, acked.size())).isEqualTo(acked);

    var clusterView =
        AdminServiceGrpc.newBlockingStub(cluster.channel(survivor))
            .describeCluster(DescribeClusterRequest.getDefaultInstance());
    assertThat(clusterView.getBrokersCount()).isEqualTo(3);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                AdminServiceGrpc.newBlockingStub(cluster.channel(survivor))
                        .describeCluster(DescribeClusterRequest.getDefaultInstance())
                        .getQuorumLeader()
                    == cluster.controllerId());

    // The killed node comes back on its ports and data, and catches up as a follower.
    cluster.restart(leader);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                cluster
                    .node(leader)
                    .broker()
                    .logManager()
                    .get(TOPIC, 0)
                    .map(l -> l.logEndOffset() == acked.size())
                    .orElse(false));

    HttpClient http = HttpClient.newHttpClient();
    LogbusNode any = cluster.node(newLeader);
    HttpResponse<String> metrics =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + any.httpPort() + "/metrics"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body())
        .contains("logbus_bytes_in_total")
        .contains("logbus_partition_high_watermark");
    HttpResponse<String> ready =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + any.httpPort() + "/ready"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(ready.statusCode()).isEqualTo(200);

    var deleted =
        AdminServiceGrpc.newBlockingStub(cluster.channel(survivor))
            .deleteTopics(DeleteTopicsRequest.newBuilder().addNames(TOPIC).build());
    assertThat(deleted.getTopics(0).getError()).isEqualTo(ErrorCode.NONE);
    assertThat(cluster.nodes()).hasSize(3);
    for (LogbusNode node : cluster.nodes()) {
      Path partitionDir = dir.resolve("node-" + node.id()).resolve("logs").resolve(TOPIC + "-0");
      await().atMost(Duration.ofSeconds(30)).until(() -> !Files.exists(partitionDir));
    }
  }

  @Test
  void clusterFixtureRefusesWrongArguments() {
    assertThatThrownBy(() -> NodeCluster.start(dir, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> NodeCluster.start(null, 1))
        .isInstanceOf(IllegalArgumentException.class);
    cluster = NodeCluster.start(dir, 1);
    assertThat(cluster.bootstrap()).isEqualTo("127.0.0.1:" + cluster.node(1).port());
    assertThat(cluster.controllerId()).isEqualTo(1);
    assertThatThrownBy(() -> cluster.node(2)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> cluster.node(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> cluster.restart(1)).isInstanceOf(IllegalStateException.class);
    cluster.kill(1);
    assertThat(cluster.nodes()).isEmpty();
    assertThatThrownBy(() -> cluster.node(1)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> cluster.kill(1)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> cluster.controllerId()).isInstanceOf(IllegalStateException.class);
  }
}
