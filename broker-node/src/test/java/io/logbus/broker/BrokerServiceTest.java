package io.logbus.broker;

import static io.logbus.broker.TestRecords.batch;
import static io.logbus.broker.TestRecords.idempotentBatch;
import static io.logbus.broker.TestRecords.produce;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.FetchPartition;
import io.logbus.proto.FetchPartitionData;
import io.logbus.proto.FetchRequest;
import io.logbus.proto.FetchResponse;
import io.logbus.proto.InitProducerIdRequest;
import io.logbus.proto.InitProducerIdResponse;
import io.logbus.proto.ListOffsetsPartition;
import io.logbus.proto.ListOffsetsRequest;
import io.logbus.proto.ListOffsetsResult;
import io.logbus.proto.MetadataRequest;
import io.logbus.proto.PartitionProduceResult;
import io.logbus.proto.PartitionRecords;
import io.logbus.proto.ProduceRequest;
import io.logbus.proto.ProduceResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client API of one leader (RF=2: leader 1, follower 2) over real gRPC, good and bad input. */
class BrokerServiceTest {
  private static final String TOPIC = "events";

  @TempDir Path dir;
  private TestCluster cluster;

  @BeforeEach
  void start() {
    cluster = new TestCluster(dir, 10_000, Map.of("max.message.bytes", "10000"));
    cluster.start(1);
    cluster.start(2);
    cluster.createPartition(TOPIC, 0, List.of(1, 2));
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  private PartitionProduceResult send(int acks, ByteBuffer records) {
    return cluster
        .blocking(1)
        .withDeadlineAfter(20, TimeUnit.SECONDS)
        .produce(produce(TOPIC, 0, acks, records))
        .getPartitions(0);
  }

  private long logEnd() {
    return cluster.broker(1).replicaManager().hosted(TOPIC, 0).logEndOffset();
  }

  private FetchRequest fetchFrom(long offset, int maxWaitMs) {
    return FetchRequest.newBuilder()
        .setMaxWaitMs(maxWaitMs)
        .setMinBytes(1)
        .addPartitions(
            FetchPartition.newBuilder()
                .setTopic(TOPIC)
                .setPartition(0)
                .setFetchOffset(offset)
                .setCurrentLeaderEpoch(-1))
        .build();
  }

  @Test
  void retriedIdempotentBatchIsStoredOnceAndAnsweredWithTheSameOffset() {
    assertThat(send(-1, batch("before")).getBaseOffset()).isZero();
    PartitionProduceResult first = send(-1, idempotentBatch(77, 0, "once"));
    PartitionProduceResult retry = send(-1, idempotentBatch(77, 0, "once"));
    assertThat(first.getError()).isEqualTo(ErrorCode.NONE);
    assertThat(retry.getError()).isEqualTo(ErrorCode.NONE);
    assertThat(retry.getBaseOffset()).isEqualTo(first.getBaseOffset()).isEqualTo(1);
    assertThat(logEnd()).isEqualTo(2);
  }

  @Test
  void sequenceGapIsOutOfOrderAndAppendsNothing() {
    assertThat(send(1, idempotentBatch(78, 0, "a")).getError()).isEqualTo(ErrorCode.NONE);
    PartitionProduceResult gap = send(1, idempotentBatch(78, 5, "b"));
    assertThat(gap.getError()).isEqualTo(ErrorCode.OUT_OF_ORDER_SEQUENCE);
    assertThat(gap.getBaseOffset()).isEqualTo(-1);
    assertThat(logEnd()).isEqualTo(1);
  }

  @Test
  void retryOlderThanTheRememberedBatchesIsAnsweredDuplicateSequenceAndAppendsNothing() {
    for (int seq = 0; seq < 7; seq++) {
      assertThat(send(1, idempotentBatch(79, seq, "v" + seq)).getError()).isEqualTo(ErrorCode.NONE);
    }
    PartitionProduceResult late = send(1, idempotentBatch(79, 0, "v0"));
    assertThat(late.getError()).isEqualTo(ErrorCode.DUPLICATE_SEQUENCE);
    assertThat(late.getBaseOffset()).isEqualTo(-1);
    assertThat(logEnd()).isEqualTo(7);
  }

  @Test
  void corruptBatchIsRefusedAndNothingIsWritten() {
    ByteBuffer bad = batch("x", "y");
    bad.put(bad.limit() - 1, (byte) (bad.get(bad.limit() - 1) ^ 0x5a));
    PartitionProduceResult result = send(-1, bad);
    assertThat(result.getError()).isEqualTo(ErrorCode.CORRUPT_MESSAGE);
    assertThat(logEnd()).isZero();
    assertThat(send(-1, batch("good")).getError()).isEqualTo(ErrorCode.NONE);
  }

  @Test
  void truncatedBatchIsCorrupt() {
    ByteBuffer whole = batch("x");
    ByteBuffer cut = whole.duplicate().limit(whole.limit() - 3).slice();
    assertThat(send(1, cut).getError()).isEqualTo(ErrorCode.CORRUPT_MESSAGE);
    assertThat(logEnd()).isZero();
  }

  @Test
  void batchOverMaxMessageBytesIsRecordTooLarge() {
    PartitionProduceResult result = send(1, batch("x".repeat(20_000)));
    assertThat(result.getError()).isEqualTo(ErrorCode.RECORD_TOO_LARGE);
    assertThat(logEnd()).isZero();
  }

  @Test
  void produceToAFollowerIsNotLeaderWithTheLeaderHint() {
    ProduceResponse response =
        cluster.blocking(2).produce(produce(TOPIC, 0, -1, batch("wrong broker")));
    PartitionProduceResult result = response.getPartitions(0);
    assertThat(result.getError()).isEqualTo(ErrorCode.NOT_LEADER);
    assertThat(result.getLeader().getLeaderId()).isEqualTo(1);
  }

  @Test
  void unknownTopicAndNegativePartitionAreTypedErrorsPerPartition() {
    ProduceRequest request =
        ProduceRequest.newBuilder()
            .setAcks(1)
            .addPartitions(
                PartitionRecords.newBuilder()
                    .setTopic("nope")
                    .setPartition(0)
                    .setRecords(TestRecords.bytes(batch("a"))))
            .addPartitions(
                PartitionRecords.newBuilder()
                    .setTopic(TOPIC)
                    .setPartition(-1)
                    .setRecords(TestRecords.bytes(batch("a"))))
            .addPartitions(
                PartitionRecords.newBuilder()
                    .setTopic(TOPIC)
                    .setPartition(0)
                    .setRecords(TestRecords.bytes(batch("ok"))))
            .addPartitions(
                PartitionRecords.newBuilder()
                    .setTopic(TOPIC)
                    .setPartition(0)
                    .setRecords(ByteString.EMPTY))
            .build();
    ProduceResponse response = cluster.blocking(1).produce(request);
    assertThat(response.getPartitionsList())
        .extracting(PartitionProduceResult::getError)
        .containsExactly(
            ErrorCode.UNKNOWN_TOPIC,
            ErrorCode.INVALID_REQUEST,
            ErrorCode.NONE,
            ErrorCode.INVALID_REQUEST);
    assertThat(logEnd()).isEqualTo(1);
  }

  @Test
  void invalidAcksAndNegativeTimeoutFailTheCall() {
    ProduceRequest badAcks = produce(TOPIC, 0, 5, batch("a")).toBuilder().build();
    assertThatThrownBy(() -> cluster.blocking(1).produce(badAcks))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    ProduceRequest badTimeout =
        produce(TOPIC, 0, 1, batch("a")).toBuilder().setTimeoutMs(-1).build();
    assertThatThrownBy(() -> cluster.blocking(1).produce(badTimeout))
        .isInstanceOf(StatusRuntimeException.class);
    assertThatThrownBy(
            () -> cluster.blocking(1).produce(ProduceRequest.newBuilder().setAcks(1).build()))
        .isInstanceOf(StatusRuntimeException.class);
    assertThat(logEnd()).isZero();
  }

  @Test
  void fetchWithNegativeNumbersFailsTheCall() {
    for (FetchRequest bad :
        List.of(
            fetchFrom(-1, 0),
            fetchFrom(0, -5),
            fetchFrom(0, 0).toBuilder().setMinBytes(-1).build(),
            fetchFrom(0, 0).toBuilder().setMaxBytes(-1).build(),
            FetchRequest.newBuilder().build())) {
      assertThatThrownBy(() -> cluster.blocking(1).fetch(bad))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    }
  }

  @Test
  void fetchWithAStaleLeaderEpochIsFenced() {
    cluster.elect(new PartitionKey(TOPIC, 0), 1, List.of(1, 2));
    FetchRequest stale =
        fetchFrom(0, 0).toBuilder()
            .setPartitions(0, fetchFrom(0, 0).getPartitions(0).toBuilder().setCurrentLeaderEpoch(0))
            .build();
    FetchPartitionData data = cluster.blocking(1).fetch(stale).getPartitions(0);
    assertThat(data.getError()).isEqualTo(ErrorCode.FENCED_LEADER_EPOCH);
    assertThat(data.getLeader().getLeaderEpoch()).isEqualTo(1);
  }

  @Test
  void fetchBeyondTheLogEndIsOutOfRange() {
    FetchPartitionData data = cluster.blocking(1).fetch(fetchFrom(50, 0)).getPartitions(0);
    assertThat(data.getError()).isEqualTo(ErrorCode.OFFSET_OUT_OF_RANGE);
  }

  @Test
  void consumersOnlySeeRecordsBelowTheHighWatermark() {
    assertThat(send(-1, batch("a", "b")).getError()).isEqualTo(ErrorCode.NONE);
    FetchPartitionData data = cluster.blocking(1).fetch(fetchFrom(0, 0)).getPartitions(0);
    assertThat(data.getHighWatermark()).isEqualTo(2);
    assertThat(TestRecords.values(data.getRecords().asReadOnlyByteBuffer()))
        .containsExactly("a", "b");
    // With the follower gone and still in the ISR, an acks=1 append stays above the HW.
    cluster.kill(2);
    assertThat(send(1, batch("c")).getError()).isEqualTo(ErrorCode.NONE);
    FetchPartitionData after = cluster.blocking(1).fetch(fetchFrom(2, 0)).getPartitions(0);
    assertThat(after.getHighWatermark()).isEqualTo(2);
    assertThat(after.getRecords().isEmpty()).isTrue();
  }

  @Test
  void longPollFetchWakesOnNewData() throws Exception {
    CompletableFuture<FetchResponse> answer = new CompletableFuture<>();
    long start = System.nanoTime();
    cluster.async(1).fetch(fetchFrom(0, 30_000), observer(answer));
    assertThat(answer).isNotDone();
    assertThat(send(-1, batch("wake")).getError()).isEqualTo(ErrorCode.NONE);
    FetchResponse response = answer.get(20, TimeUnit.SECONDS);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
    assertThat(TestRecords.values(response.getPartitions(0).getRecords().asReadOnlyByteBuffer()))
        .containsExactly("wake");
  }

  @Test
  void longPollAnswersEmptyWhenMaxWaitPasses() throws Exception {
    CompletableFuture<FetchResponse> answer = new CompletableFuture<>();
    cluster.async(1).fetch(fetchFrom(0, 200), observer(answer));
    FetchResponse response = answer.get(20, TimeUnit.SECONDS);
    assertThat(response.getPartitions(0).getError()).isEqualTo(ErrorCode.NONE);
    assertThat(response.getPartitions(0).getRecords().isEmpty()).isTrue();
  }

  @Test
  void fetchStreamPushesBatchesAsTheHighWatermarkAdvances() throws Exception {
    BlockingQueue<FetchPartitionData> received = new LinkedBlockingQueue<>();
    cluster
        .async(1)
        .fetchStream(
            fetchFrom(0, 0),
            new StreamObserver<>() {
              @Override
              public void onNext(FetchResponse value) {
                received.addAll(value.getPartitionsList());
              }

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {}
            });
    for (int i = 0; i < 3; i++) {
      assertThat(send(-1, batch("s" + i)).getError()).isEqualTo(ErrorCode.NONE);
    }
    List<String> values = new java.util.ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              FetchPartitionData d;
              while ((d = received.poll()) != null) {
                values.addAll(TestRecords.values(d.getRecords().asReadOnlyByteBuffer()));
              }
              return values.size() >= 3;
            });
    assertThat(values).containsExactly("s0", "s1", "s2");
  }

  @Test
  void aReplicaWhoseLogFailedAnswersStorageErrorAndIsReported() {
    ReplicaManager replicas = cluster.broker(1).replicaManager();
    List<PartitionKey> reported = new java.util.concurrent.CopyOnWriteArrayList<>();
    replicas.addStorageFailureListener(reported::add);
    assertThat(send(1, batch("kept")).getError()).isEqualTo(ErrorCode.NONE);

    replicas.hosted(TOPIC, 0).log().close(); // every later log call fails with LogStorageException

    assertThat(send(1, batch("refused")).getError()).isEqualTo(ErrorCode.STORAGE_ERROR);
    await().atMost(Duration.ofSeconds(10)).until(() -> !reported.isEmpty());
    PartitionKey key = new PartitionKey(TOPIC, 0);
    assertThat(reported).containsExactly(key);
    assertThat(replicas.failedReplicas()).containsExactly(key);
    assertThat(send(-1, batch("refused")).getError()).isEqualTo(ErrorCode.STORAGE_ERROR);
    assertThat(cluster.blocking(1).fetch(fetchFrom(0, 0)).getPartitions(0).getError())
        .isEqualTo(ErrorCode.STORAGE_ERROR);
    assertThat(reported).hasSize(1);
  }

  /** A produce stream to broker 1: answers go to {@code answers}, its end to {@code ended}. */
  private StreamObserver<ProduceRequest> openProduceStream(
      BlockingQueue<ProduceResponse> answers, CompletableFuture<Void> ended) {
    return cluster
        .async(1)
        .produceStream(
            new StreamObserver<>() {
              @Override
              public void onNext(ProduceResponse value) {
                answers.add(value);
              }

              @Override
              public void onError(Throwable t) {
                ended.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {
                ended.complete(null);
              }
            });
  }

  @Test
  void produceStreamReadsNoMoreThanItsWindowWhileAnswersAreOwed() throws Exception {
    // The follower is gone but still in the ISR: acks=all answers wait for the HW.
    cluster.kill(2);
    BlockingQueue<ProduceResponse> answers = new LinkedBlockingQueue<>();
    CompletableFuture<Void> ended = new CompletableFuture<>();
    StreamObserver<ProduceRequest> requests = openProduceStream(answers, ended);
    int total = ProduceStreamSession.MAX_IN_FLIGHT * 3;
    for (int i = 0; i < total; i++) {
      requests.onNext(
          produce(TOPIC, 0, -1, batch("r" + i)).toBuilder()
              .setCorrelationId(i)
              .setTimeoutMs(60_000)
              .build());
    }
    int window = ProduceStreamSession.MAX_IN_FLIGHT;
    await().atMost(Duration.ofSeconds(20)).until(() -> logEnd() == window);
    await()
        .during(Duration.ofMillis(500))
        .atMost(Duration.ofSeconds(5))
        .until(() -> logEnd() == window && answers.isEmpty());

    // The ISR shrinks to the leader: the waiting answers go out, the rest is read and answered.
    cluster.elect(new PartitionKey(TOPIC, 0), 1, List.of(1));
    await().atMost(Duration.ofSeconds(30)).until(() -> answers.size() == total);
    assertThat(answers).allMatch(a -> a.getPartitions(0).getError() == ErrorCode.NONE);
    assertThat(logEnd()).isEqualTo(total);
    requests.onCompleted();
    ended.get(10, TimeUnit.SECONDS);
  }

  @Test
  void produceStreamAnswersEachRequestByCorrelationAndSurvivesABadOne() throws Exception {
    BlockingQueue<ProduceResponse> answers = new LinkedBlockingQueue<>();
    CompletableFuture<Void> ended = new CompletableFuture<>();
    StreamObserver<ProduceRequest> requests = openProduceStream(answers, ended);
    requests.onNext(
        produce(TOPIC, 0, 7, batch("bad acks")).toBuilder().setCorrelationId(1).build());
    requests.onNext(produce(TOPIC, 0, -1, batch("good")).toBuilder().setCorrelationId(2).build());
    ProduceResponse first = answers.poll(10, TimeUnit.SECONDS);
    ProduceResponse second = answers.poll(10, TimeUnit.SECONDS);
    assertThat(first).isNotNull();
    assertThat(second).isNotNull();
    Map<Long, ErrorCode> byCorrelation =
        Map.of(
            first.getCorrelationId(), first.getPartitions(0).getError(),
            second.getCorrelationId(), second.getPartitions(0).getError());
    assertThat(byCorrelation)
        .containsEntry(1L, ErrorCode.INVALID_REQUEST)
        .containsEntry(2L, ErrorCode.NONE);
    requests.onCompleted();
    ended.get(10, TimeUnit.SECONDS);
    assertThat(logEnd()).isEqualTo(1);
  }

  @Test
  void listOffsetsAnswersEarliestLatestAndByTimestamp() {
    assertThat(send(-1, batch("a", "b", "c")).getError()).isEqualTo(ErrorCode.NONE);
    ListOffsetsRequest request =
        ListOffsetsRequest.newBuilder()
            .addPartitions(ListOffsetsPartition.newBuilder().setTopic(TOPIC).setTimestamp(-2))
            .addPartitions(ListOffsetsPartition.newBuilder().setTopic(TOPIC).setTimestamp(-1))
            .addPartitions(ListOffsetsPartition.newBuilder().setTopic(TOPIC).setTimestamp(0))
            .addPartitions(ListOffsetsPartition.newBuilder().setTopic(TOPIC).setTimestamp(-7))
            .addPartitions(ListOffsetsPartition.newBuilder().setTopic("nope").setTimestamp(-1))
            .build();
    List<ListOffsetsResult> results = cluster.blocking(1).listOffsets(request).getPartitionsList();
    assertThat(results.get(0).getOffset()).isZero();
    assertThat(results.get(1).getOffset()).isEqualTo(3);
    assertThat(results.get(2).getOffset()).isZero();
    assertThat(results.get(3).getError()).isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(results.get(4).getError()).isEqualTo(ErrorCode.UNKNOWN_TOPIC);
  }

  @Test
  void initProducerIdHandsOutDistinctIds() {
    InitProducerIdResponse a =
        cluster.blocking(1).initProducerId(InitProducerIdRequest.getDefaultInstance());
    InitProducerIdResponse b =
        cluster.blocking(1).initProducerId(InitProducerIdRequest.getDefaultInstance());
    assertThat(a.getError()).isEqualTo(ErrorCode.NONE);
    assertThat(b.getProducerId()).isNotEqualTo(a.getProducerId());
  }

  @Test
  void metadataListsThePartitionWithLeaderAndIsr() {
    var topics = cluster.blocking(1).metadata(MetadataRequest.getDefaultInstance()).getTopicsList();
    assertThat(topics).hasSize(1);
    assertThat(topics.get(0).getPartitions(0).getLeader()).isEqualTo(1);
    assertThat(topics.get(0).getPartitions(0).getIsrList()).containsExactly(1, 2);
  }

  private static <T> StreamObserver<T> observer(CompletableFuture<T> answer) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        answer.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        answer.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {}
    };
  }
}
