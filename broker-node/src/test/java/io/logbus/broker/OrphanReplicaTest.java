package io.logbus.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.logbus.broker.testing.NodeCluster;
import io.logbus.proto.AdminServiceGrpc;
import io.logbus.proto.CreateTopicsRequest;
import io.logbus.proto.DeleteTopicsRequest;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.TopicSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node restarted while topics are created: the logs of the topic deleted while it was down are
 * removed, and no replica assigned to it by a topic created around its restart is taken for an
 * orphan (the cleanup once ran on the heartbeat thread against an image older than the replicas it
 * listed, and could delete a replica the metadata thread had just created).
 */
class OrphanReplicaTest {
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path dir;
  private NodeCluster cluster;
  private ManagedChannel channel;
  private Thread creator;
  private final AtomicBoolean creating = new AtomicBoolean(true);

  @AfterEach
  void stop() throws InterruptedException {
    creating.set(false);
    if (creator != null) {
      creator.join(WAIT.toMillis());
    }
    if (channel != null) {
      channel.shutdownNow();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void restartDeletesOrphansButKeepsEveryReplicaOfTopicsCreatedMeanwhile() throws Exception {
    cluster = NodeCluster.start(dir, 3);
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", cluster.node(1).port()).usePlaintext().build();
    var admin = AdminServiceGrpc.newBlockingStub(channel);
    assertThat(create(admin, "gone")).isEqualTo(ErrorCode.NONE);
    await().atMost(WAIT).until(() -> hosted(cluster.node(3), "gone"));
    Path logs3 = dir.resolve("node-3").resolve("logs");
    assertThat(Files.isDirectory(logs3.resolve("gone-0"))).isTrue();

    cluster.kill(3);
    assertThat(
            admin
                .withDeadlineAfter(60, TimeUnit.SECONDS)
                .deleteTopics(DeleteTopicsRequest.newBuilder().addNames("gone").build())
                .getTopics(0)
                .getError())
        .isEqualTo(ErrorCode.NONE);

    List<String> created = new CopyOnWriteArrayList<>();
    creator =
        new Thread(
            () -> {
              for (int i = 0; creating.get() && i < 200; i++) {
                try {
                  if (create(admin, "new-" + i) == ErrorCode.NONE) {
                    created.add("new-" + i);
                  }
                } catch (RuntimeException e) {
                  // a create that failed is just not counted
                }
              }
            },
            "topic-creator");
    creator.start();
    cluster.restart(3);
    await().atMost(WAIT).until(() -> created.size() >= 3);
    creating.set(false);
    creator.join(WAIT.toMillis());

    LogbusNode node3 = cluster.node(3);
    assertThat(Files.exists(logs3.resolve("gone-0"))).isFalse();
    assertThat(Files.exists(logs3.resolve("gone-1"))).isFalse();
    for (String topic : created) {
      await().atMost(WAIT).until(() -> hosted(node3, topic));
      assertThat(Files.isDirectory(logs3.resolve(topic + "-0"))).as(topic).isTrue();
    }
  }

  private static ErrorCode create(AdminServiceGrpc.AdminServiceBlockingStub admin, String topic) {
    return admin
        .withDeadlineAfter(60, TimeUnit.SECONDS)
        .createTopics(
            CreateTopicsRequest.newBuilder()
                .addTopics(
                    TopicSpec.newBuilder()
                        .setName(topic)
                        .setPartitions(topic.equals("gone") ? 2 : 1)
                        .setReplicationFactor(3))
                .build())
        .getTopics(0)
        .getError();
  }

  /** Every partition of {@code topic} has a replica (and its log) on {@code node}. */
  private static boolean hosted(LogbusNode node, String topic) {
    var t = node.quorum().image().topic(topic);
    if (t.isEmpty()) {
      return false;
    }
    for (int p = 0; p < t.get().partitionCount(); p++) {
      if (node.broker().replicaManager().partition(new PartitionKey(topic, p)).isEmpty()
          || node.broker().logManager().get(topic, p).isEmpty()) {
        return false;
      }
    }
    return true;
  }
}
