package io.logbus.broker;

import static io.logbus.broker.TestRecords.batch;
import static io.logbus.broker.TestRecords.produce;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.logbus.metadata.MetadataImage;
import io.logbus.metadata.PartitionState;
import io.logbus.metadata.TopicImage;
import io.logbus.proto.AdminServiceGrpc;
import io.logbus.proto.BrokerServiceGrpc;
import io.logbus.proto.CreateTopicsRequest;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.TopicSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Graceful stop of a partition leader's node (3 nodes, RF 3, acks=all): before close() returns the
 * controller has moved every leadership it held to another ISR member and taken it out of every
 * ISR, so writes carry on at once. The broker session is 60 s here: nothing but the controlled
 * shutdown can have moved anything in the time the test takes.
 */
class ControlledShutdownTest {
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String TOPIC = "orders";

  @TempDir Path dir;
  private final Map<Integer, LogbusNode> nodes = new TreeMap<>();
  private final Map<Integer, ManagedChannel> channels = new HashMap<>();

  @AfterEach
  void stop() {
    channels.values().forEach(ManagedChannel::shutdownNow);
    for (LogbusNode n : nodes.values()) {
      n.close();
    }
  }

  @Test
  void gracefulStopOfALeaderMovesItsLeadershipsBeforeTheNodeStops() throws Exception {
    Map<Integer, String> voters = new LinkedHashMap<>();
    for (int id = 1; id <= 3; id++) {
      voters.put(id, "127.0.0.1:" + freePort());
    }
    for (int id = 1; id <= 3; id++) {
      nodes.put(
          id,
          LogbusNode.start(
              BrokerConfig.of(id, dir.resolve("node-" + id), voters)
                  .withPort(freePort())
                  .withTimeouts(300, 60_000)
                  .withReplicaLagTimeMaxMs(3_000)));
    }
    await().atMost(WAIT).until(() -> nodes.values().stream().allMatch(LogbusNode::ready));
    var created =
        AdminServiceGrpc.newBlockingStub(channel(1))
            .withDeadlineAfter(60, TimeUnit.SECONDS)
            .createTopics(
                CreateTopicsRequest.newBuilder()
                    .addTopics(
                        TopicSpec.newBuilder()
                            .setName(TOPIC)
                            .setPartitions(3)
                            .setReplicationFactor(3)
                            .putConfigs("min.insync.replicas", "2"))
                    .build());
    assertThat(created.getTopics(0).getError()).isEqualTo(ErrorCode.NONE);
    for (int p = 0; p < 3; p++) {
      int partition = p;
      await()
          .atMost(WAIT)
          .ignoreExceptions()
          .until(() -> send(partition, "before") == ErrorCode.NONE);
    }
    MetadataImage before = nodes.get(1).quorum().linearizableImage().get(30, TimeUnit.SECONDS);
    int stopping = before.topic(TOPIC).orElseThrow().partition(0).leader();
    long fencedBefore = before.brokers().values().stream().filter(b -> b.fenced()).count();
    assertThat(fencedBefore).isZero();

    channels.remove(stopping).shutdownNow();
    nodes.remove(stopping).close();

    LogbusNode survivor = nodes.values().iterator().next();
    MetadataImage after = survivor.quorum().linearizableImage().get(30, TimeUnit.SECONDS);
    assertThat(after.broker(stopping).orElseThrow().fenced()).isTrue();
    TopicImage topic = after.topic(TOPIC).orElseThrow();
    for (PartitionState p : topic.partitions()) {
      PartitionState old = before.topic(TOPIC).orElseThrow().partition(p.partition());
      assertThat(p.leader()).isNotEqualTo(stopping).isIn(nodes.keySet());
      assertThat(p.isr()).doesNotContain(stopping);
      if (old.leader() == stopping) {
        assertThat(p.leaderEpoch()).isEqualTo(old.leaderEpoch() + 1);
      }
    }
    // acks=all with min.insync.replicas=2 still succeeds on the two remaining replicas.
    for (int p = 0; p < 3; p++) {
      int partition = p;
      await()
          .atMost(WAIT)
          .ignoreExceptions()
          .until(() -> send(partition, "after") == ErrorCode.NONE);
    }
  }

  private ErrorCode send(int partition, String value) {
    int leader =
        nodes
            .values()
            .iterator()
            .next()
            .quorum()
            .image()
            .topic(TOPIC)
            .orElseThrow()
            .partition(partition)
            .leader();
    return BrokerServiceGrpc.newBlockingStub(channel(leader))
        .withDeadlineAfter(20, TimeUnit.SECONDS)
        .produce(produce(TOPIC, partition, -1, batch(value)))
        .getPartitions(0)
        .getError();
  }

  private ManagedChannel channel(int id) {
    return channels.computeIfAbsent(
        id,
        i ->
            NettyChannelBuilder.forAddress("127.0.0.1", nodes.get(i).port())
                .usePlaintext()
                .build());
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
