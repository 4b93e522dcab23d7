package io.logbus.broker;

import static io.logbus.broker.TestRecords.batch;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.logbus.proto.replication.EpochAnswer;
import io.logbus.proto.replication.FollowerMessage;
import io.logbus.proto.replication.LeaderMessage;
import io.logbus.proto.replication.ReplicationServiceGrpc;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real follower against a leader the test plays over real gRPC: when the leader answers the epoch
 * query with "no epoch at or below yours" (Kafka's UNDEFINED_EPOCH_OFFSET), the follower truncates
 * to its high watermark, as Kafka's fetcher does, not to its log start.
 */
class EpochAnswerTruncationTest {
  private static final String TOPIC = "undefined";
  private static final PartitionKey KEY = new PartitionKey(TOPIC, 0);

  @TempDir Path dir;
  private TestCluster cluster;
  private Server fakeLeader;
  private final BlockingQueue<FollowerMessage> fromFollower = new LinkedBlockingQueue<>();

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
    if (fakeLeader != null) {
      fakeLeader.shutdownNow();
    }
  }

  /**
   * Answers every epoch query with epoch -1 / end offset -1 and records what the follower sends.
   */
  private void startFakeLeader() throws IOException {
    fakeLeader =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(
                new ReplicationServiceGrpc.ReplicationServiceImplBase() {
                  @Override
                  public StreamObserver<FollowerMessage> replicate(
                      StreamObserver<LeaderMessage> out) {
                    return new StreamObserver<>() {
                      @Override
                      public void onNext(FollowerMessage m) {
                        fromFollower.add(m);
                        if (m.hasEpochQuery()) {
                          out.onNext(
                              LeaderMessage.newBuilder()
                                  .setEpochAnswer(
                                      EpochAnswer.newBuilder()
                                          .setTopic(m.getEpochQuery().getTopic())
                                          .setPartition(m.getEpochQuery().getPartition())
                                          .setLeaderEpoch(m.getEpochQuery().getCurrentLeaderEpoch())
                                          .setEpoch(-1)
                                          .setEndOffset(-1))
                                  .build());
                        }
                      }

                      @Override
                      public void onError(Throwable t) {}

                      @Override
                      public void onCompleted() {
                        out.onCompleted();
                      }
                    };
                  }
                })
            .build()
            .start();
    cluster.address(1, "127.0.0.1:" + fakeLeader.getPort());
  }

  private static PartitionAssignment state(int leader, int epoch, List<Integer> isr) {
    return new PartitionAssignment(TOPIC, 0, leader, epoch, epoch, List.of(2, 1), isr);
  }

  @Test
  void undefinedEpochAnswerTruncatesToTheHighWatermark() throws Exception {
    cluster = new TestCluster(dir, 60_000, Map.of());
    Broker broker = cluster.start(2);
    startFakeLeader();
    ReplicaManager replicas = broker.replicaManager();

    // Broker 2 leads alone: 3 committed records (HW 3). Then 1 joins the ISR on record and never
    // replicates, so 2 more records stay above the HW.
    cluster.apply(state(2, 0, List.of(2)));
    replicas.appendRecords(TOPIC, 0, batch("a", "b", "c"), 1, 1000).join();
    cluster.apply(new PartitionAssignment(TOPIC, 0, 2, 0, 1, List.of(2, 1), List.of(2, 1)));
    replicas.appendRecords(TOPIC, 0, batch("d", "e"), 1, 1000).join();
    Partition partition = replicas.partition(KEY).orElseThrow();
    assertThat(partition.highWatermark()).isEqualTo(3);
    assertThat(partition.logEndOffset()).isEqualTo(5);

    cluster.apply(state(1, 2, List.of(2, 1)));

    FollowerMessage fetch = null;
    while (fetch == null) {
      FollowerMessage m = fromFollower.poll(20, TimeUnit.SECONDS);
      assertThat(m).as("the follower's messages within 20 s").isNotNull();
      if (m.hasFetch()) {
        fetch = m;
      }
    }
    assertThat(fetch.getFetch().getFetchOffset()).isEqualTo(3);
    assertThat(partition.logEndOffset()).isEqualTo(3);
    assertThat(TestRecords.logValues(partition.log(), 3)).containsExactly("a", "b", "c");
  }
}
