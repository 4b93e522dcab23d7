package io.logbus.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.stub.StreamObserver;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.replication.EpochQuery;
import io.logbus.proto.replication.FetchPosition;
import io.logbus.proto.replication.FollowerHello;
import io.logbus.proto.replication.FollowerMessage;
import io.logbus.proto.replication.LeaderMessage;
import io.logbus.proto.replication.LeoReport;
import io.logbus.proto.replication.ReplicationServiceGrpc;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The leader's side of replication.proto driven by hand over real gRPC: wrong messages get a
 * per-partition error and the stream goes on serving the next good one.
 */
class ReplicationProtocolTest {
  private static final String TOPIC = "repl";

  @TempDir Path dir;
  private TestCluster cluster;
  private final BlockingQueue<LeaderMessage> received = new LinkedBlockingQueue<>();
  private StreamObserver<FollowerMessage> stream;

  @BeforeEach
  void start() {
    cluster = new TestCluster(dir, 10_000, Map.of());
    cluster.start(1);
    // Broker 2 is a replica on record but never started: this test speaks for it.
    cluster.createPartition(TOPIC, 0, List.of(1, 2));
    cluster
        .broker(1)
        .replicaManager()
        .appendRecords(TOPIC, 0, TestRecords.batch("a", "b"), 1, 1000);
    stream =
        ReplicationServiceGrpc.newStub(cluster.channel(1))
            .replicate(
                new StreamObserver<>() {
                  @Override
                  public void onNext(LeaderMessage value) {
                    received.add(value);
                  }

                  @Override
                  public void onError(Throwable t) {}

                  @Override
                  public void onCompleted() {}
                });
  }

  @AfterEach
  void stop() {
    if (stream != null) {
      stream.onCompleted();
    }
    cluster.close();
  }

  private LeaderMessage next() throws InterruptedException {
    LeaderMessage m = received.poll(10, TimeUnit.SECONDS);
    assertThat(m).as("an answer within 10 s").isNotNull();
    return m;
  }

  private static FollowerMessage hello(int id) {
    return FollowerMessage.newBuilder()
        .setHello(FollowerHello.newBuilder().setFollowerId(id).setBrokerEpoch(-1))
        .build();
  }

  private static FollowerMessage query(int currentEpoch, int epoch) {
    return FollowerMessage.newBuilder()
        .setEpochQuery(
            EpochQuery.newBuilder()
                .setTopic(TOPIC)
                .setPartition(0)
                .setCurrentLeaderEpoch(currentEpoch)
                .setEpoch(epoch))
        .build();
  }

  private static FollowerMessage fetch(int currentEpoch, long offset, int lastEpoch) {
    return FollowerMessage.newBuilder()
        .setFetch(
            FetchPosition.newBuilder()
                .setTopic(TOPIC)
                .setPartition(0)
                .setCurrentLeaderEpoch(currentEpoch)
                .setFetchOffset(offset)
                .setLastFetchedEpoch(lastEpoch))
        .build();
  }

  @Test
  void messagesBeforeHelloAreRefusedAndTheStreamCarriesOn() throws Exception {
    stream.onNext(query(0, 0));
    assertThat(next().getError().getError()).isEqualTo(ErrorCode.INVALID_REQUEST);
    stream.onNext(hello(2));
    stream.onNext(query(0, 0));
    LeaderMessage answer = next();
    assertThat(answer.getEpochAnswer().getEpoch()).isZero();
    assertThat(answer.getEpochAnswer().getEndOffset()).isEqualTo(2);
  }

  @Test
  void staleAndFutureLeaderEpochsAreTypedErrors() throws Exception {
    cluster.elect(new PartitionKey(TOPIC, 0), 1, List.of(1, 2));
    stream.onNext(hello(2));
    stream.onNext(query(0, 0));
    assertThat(next().getError().getError()).isEqualTo(ErrorCode.FENCED_LEADER_EPOCH);
    stream.onNext(fetch(7, 0, -1));
    assertThat(next().getError().getError()).isEqualTo(ErrorCode.UNKNOWN_LEADER_EPOCH);
  }

  @Test
  void unknownPartitionNegativeOffsetAndNonReplicaAreRefused() throws Exception {
    stream.onNext(hello(9));
    stream.onNext(
        FollowerMessage.newBuilder()
            .setEpochQuery(EpochQuery.newBuilder().setTopic("nope").setPartition(0).setEpoch(0))
            .build());
    assertThat(next().getError().getError()).isEqualTo(ErrorCode.UNKNOWN_PARTITION);
    stream.onNext(fetch(0, -3, -1));
    assertThat(next().getError().getError()).isEqualTo(ErrorCode.INVALID_REQUEST);
    stream.onNext(fetch(0, 0, -1));
    assertThat(next().getError().getError()).isEqualTo(ErrorCode.INELIGIBLE_REPLICA);
  }

  @Test
  void fetchPositionStartsPushesAndADivergentOneGetsAnEpochAnswer() throws Exception {
    stream.onNext(hello(2));
    stream.onNext(fetch(0, 0, -1));
    LeaderMessage data = next();
    assertThat(TestRecords.values(data.getData().getRecords().asReadOnlyByteBuffer()))
        .containsExactly("a", "b");
    // A follower claiming epoch 5 data at offset 2 diverges: told where epoch <= 5 ends here.
    stream.onNext(fetch(0, 2, 5));
    LeaderMessage diverged = next();
    while (diverged.hasData()) {
      diverged = next();
    }
    assertThat(diverged.getEpochAnswer().getEpoch()).isZero();
    assertThat(diverged.getEpochAnswer().getEndOffset()).isEqualTo(2);
  }

  @Test
  void onlyALeoReportNotAFetchPositionMovesTheHighWatermark() throws Exception {
    Partition leader = cluster.broker(1).replicaManager().hosted(TOPIC, 0);
    stream.onNext(hello(2));
    // The follower claims the whole log, but has not said it is durable: the HW stays.
    stream.onNext(fetch(0, 2, 0));
    stream.onNext(query(0, 0));
    LeaderMessage m = next();
    while (!m.hasEpochAnswer()) {
      m = next();
    }
    assertThat(leader.highWatermark()).isZero();
    stream.onNext(
        FollowerMessage.newBuilder()
            .setLeo(
                LeoReport.newBuilder()
                    .setTopic(TOPIC)
                    .setPartition(0)
                    .setCurrentLeaderEpoch(0)
                    .setLogEndOffset(2))
            .build());
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(10))
        .until(() -> leader.highWatermark() == 2);
  }

  @Test
  void leoBeyondTheLeadersLogEndIsInvalid() throws Exception {
    stream.onNext(hello(2));
    stream.onNext(
        FollowerMessage.newBuilder()
            .setLeo(
                LeoReport.newBuilder()
                    .setTopic(TOPIC)
                    .setPartition(0)
                    .setCurrentLeaderEpoch(0)
                    .setLogEndOffset(99))
            .build());
    assertThat(next().getError().getError()).isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(cluster.broker(1).replicaManager().hosted(TOPIC, 0).highWatermark()).isZero();
  }
}
