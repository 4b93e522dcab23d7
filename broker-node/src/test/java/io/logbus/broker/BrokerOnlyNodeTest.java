package io.logbus.broker;

import static io.logbus.broker.TestRecords.batch;
import static io.logbus.broker.TestRecords.produce;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.logbus.metadata.MetadataImage;
import io.logbus.metadata.MetadataListener;
import io.logbus.metadata.PartitionState;
import io.logbus.proto.AdminServiceGrpc;
import io.logbus.proto.BrokerServiceGrpc;
import io.logbus.proto.CreateTopicsRequest;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.TopicSpec;
import io.logbus.proto.metadata.MetadataRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three voters and two broker-only nodes (ids 4 and 5, not in quorum.voters) in one JVM: the
 * broker-only nodes register through the controller, become ready, host partition replicas (lead
 * some, follow others, take acks=all writes), see the same metadata records in the same order as a
 * voter, and keep up after the voter they stream from is stopped.
 */
class BrokerOnlyNodeTest {
  private static final Duration WAIT = Duration.ofSeconds(90);

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

  /** Records "index:case" lines. */
  static final class Recorder implements MetadataListener {
    final List<String> events = new CopyOnWriteArrayList<>();

    @Override
    public void onRecord(long index, MetadataRecord record, MetadataImage imageAfter) {
      events.add(index + ":" + record.getRecordCase());
    }
  }

  @Test
  void brokerOnlyNodesHostReplicasFollowTheLogInOrderAndOutliveTheirVoter() throws Exception {
    Map<Integer, String> voters = new LinkedHashMap<>();
    for (int id = 1; id <= 3; id++) {
      voters.put(id, "127.0.0.1:" + freePort());
    }
    for (int id = 1; id <= 5; id++) {
      nodes.put(
          id,
          LogbusNode.start(
              BrokerConfig.of(id, dir.resolve("node-" + id), voters)
                  .withPort(freePort())
                  .withTimeouts(300, 3_000)
                  .withReplicaLagTimeMaxMs(3_000)));
    }
    Recorder atVoter = new Recorder();
    Recorder at4 = new Recorder();
    Recorder at5 = new Recorder();
    await().atMost(WAIT).until(() -> nodes.values().stream().allMatch(LogbusNode::ready));
    assertThat(node(4).quorum().isVoter()).isFalse();
    assertThat(node(1).quorum().isVoter()).isTrue();
    assertThat(node(1).quorum().image().liveBrokerIds()).containsExactly(1, 2, 3, 4, 5);

    // The broker-only nodes' dispatch is compared with a voter that stays up: not the one node 4
    // streams from (stopped below).
    int servingVoter = node(4).quorum().watchedVoter();
    assertThat(servingVoter).isIn(1, 2, 3);
    int reference = servingVoter == 1 ? 2 : 1;
    node(reference).quorum().subscribe(-1, atVoter);
    node(4).quorum().subscribe(-1, at4);
    node(5).quorum().subscribe(-1, at5);

    createTopic(reference, "spread", 10);
    awaitHosted("spread");
    for (int p = 0; p < 10; p++) {
      int partition = p;
      await()
          .atMost(WAIT)
          .ignoreExceptions()
          .until(() -> send("spread", partition) == ErrorCode.NONE);
    }
    MetadataImage image = node(reference).quorum().image();
    List<Integer> leaders = new ArrayList<>();
    image.topic("spread").orElseThrow().partitions().forEach(s -> leaders.add(s.leader()));
    assertThat(leaders).contains(4, 5);

    nodes.remove(servingVoter).close();
    createTopic(reference, "after-voter-stop", 6);
    awaitHosted("after-voter-stop");
    assertThat(node(4).quorum().watchedVoter()).isNotEqualTo(servingVoter);

    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              List<String> expected = List.copyOf(atVoter.events);
              assertThat(at4.events).containsExactlyElementsOf(expected);
              assertThat(at5.events).containsExactlyElementsOf(expected);
            });
    assertThat(node(4).ready()).isTrue();
  }

  private LogbusNode node(int id) {
    return nodes.get(id);
  }

  private ManagedChannel channel(int id) {
    return channels.computeIfAbsent(
        id,
        i -> NettyChannelBuilder.forAddress("127.0.0.1", node(i).port()).usePlaintext().build());
  }

  private void createTopic(int via, String topic, int partitions) {
    var created =
        AdminServiceGrpc.newBlockingStub(channel(via))
            .withDeadlineAfter(60, TimeUnit.SECONDS)
            .createTopics(
                CreateTopicsRequest.newBuilder()
                    .addTopics(
                        TopicSpec.newBuilder()
                            .setName(topic)
                            .setPartitions(partitions)
                            .setReplicationFactor(3))
                    .build());
    assertThat(created.getTopics(0).getError()).isEqualTo(ErrorCode.NONE);
  }

  /** Every running replica of every partition of {@code topic} has its log, on every node. */
  private void awaitHosted(String topic) {
    await()
        .atMost(WAIT)
        .until(
            () -> {
              var t = node(4).quorum().image().topic(topic);
              if (t.isEmpty()) {
                return false;
              }
              for (PartitionState p : t.get().partitions()) {
                for (int replica : p.replicas()) {
                  LogbusNode n = nodes.get(replica);
                  if (n != null
                      && n.broker()
                          .replicaManager()
                          .partition(new PartitionKey(topic, p.partition()))
                          .isEmpty()) {
                    return false;
                  }
                }
              }
              return true;
            });
  }

  private ErrorCode send(String topic, int partition) {
    int leader = node(4).quorum().image().topic(topic).orElseThrow().partition(partition).leader();
    return BrokerServiceGrpc.newBlockingStub(channel(leader))
        .withDeadlineAfter(20, TimeUnit.SECONDS)
        .produce(produce(topic, partition, -1, batch("v" + partition)))
        .getPartitions(0)
        .getError();
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
