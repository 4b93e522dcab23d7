package io.logbus.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.logbus.client.testing.FakeCluster;
import io.logbus.proto.ErrorCode;
import io.logbus.record.CompressionType;
import io.logbus.record.Record;
import io.logbus.record.RecordBatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ProducerTest {
  private FakeCluster cluster;
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    cluster = FakeCluster.start(3);
    cluster.createTopic("t", 3);
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
    cluster.close();
  }

  private LogbusProducer.Builder producer() {
    return LogbusProducer.builder()
        .bootstrapServers(cluster.bootstrap())
        .lingerMs(1)
        .retryBackoffMs(10)
        .requestTimeoutMs(5_000)
        .deliveryTimeoutMs(15_000);
  }

  private LogbusProducer open(LogbusProducer.Builder b) {
    LogbusProducer p = b.build();
    toClose.add(p);
    return p;
  }

  private static List<String> values(FakeCluster cluster, String topic, int partition) {
    List<String> out = new ArrayList<>();
    for (RecordBatch b : cluster.partition(topic, partition).batches()) {
      for (Record r : b.records()) {
        out.add(new String(r.value(), UTF_8));
      }
    }
    return out;
  }

  @Test
  void keyedRecordLandsOnKafkasPartitionWithDenseOffsets() throws Exception {
    LogbusProducer p = open(producer());
    List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      futures.add(p.send(ProducerRecord.of("t", "k" + (i % 5), "v" + i)));
    }
    p.flush();
    long[] next = new long[3];
    for (int i = 0; i < 30; i++) {
      RecordMetadata md = futures.get(i).get(10, TimeUnit.SECONDS);
      byte[] key = ("k" + (i % 5)).getBytes(UTF_8);
      assertThat(md.partition()).isEqualTo(Partitioner.partitionForKey(key, 3));
      assertThat(md.offset()).isEqualTo(next[md.partition()]++);
    }
  }

  @Test
  void explicitPartitionWinsOverKey() throws Exception {
    LogbusProducer p = open(producer());
    RecordMetadata md =
        p.send(new ProducerRecord("t", 2, "k".getBytes(UTF_8), "v".getBytes(UTF_8)))
            .get(10, TimeUnit.SECONDS);
    assertThat(md.partition()).isEqualTo(2);
    assertThat(values(cluster, "t", 2)).containsExactly("v");
  }

  @Test
  void callbackRunsOnceWithMetadataInSendOrder() throws Exception {
    LogbusProducer p = open(producer());
    List<Long> offsets = new CopyOnWriteArrayList<>();
    for (int i = 0; i < 20; i++) {
      p.send(
          new ProducerRecord("t", 0, null, ("v" + i).getBytes(UTF_8)),
          (md, e) -> offsets.add(e == null ? md.offset() : -99));
    }
    p.flush();
    assertThat(offsets)
        .containsExactlyElementsOf(java.util.stream.LongStream.range(0, 20).boxed().toList());
  }

  @Test
  void leaderMoveIsFollowedWithoutLossDuplicatesOrReordering() throws Exception {
    LogbusProducer p = open(producer());
    for (int i = 0; i < 50; i++) {
      p.send(new ProducerRecord("t", 0, null, ("a" + i).getBytes(UTF_8)));
    }
    p.flush();
    cluster.moveLeader("t", 0, 2);
    List<CompletableFuture<RecordMetadata>> later = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      later.add(p.send(new ProducerRecord("t", 0, null, ("b" + i).getBytes(UTF_8))));
    }
    p.flush();
    for (CompletableFuture<RecordMetadata> f : later) {
      assertThat(f).isCompleted();
      f.get();
    }
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      expected.add("a" + i);
    }
    for (int i = 0; i < 50; i++) {
      expected.add("b" + i);
    }
    assertThat(values(cluster, "t", 0)).containsExactlyElementsOf(expected);
  }

  @Test
  void recordsReachTheNewLeaderAfterTheOldLeaderBrokerDies() throws Exception {
    LogbusProducer p = open(producer());
    p.send(new ProducerRecord("t", 0, null, "before".getBytes(UTF_8))).get(10, TimeUnit.SECONDS);
    cluster.stopBroker(1);
    cluster.moveLeader("t", 0, 3);
    RecordMetadata md =
        p.send(new ProducerRecord("t", 0, null, "after".getBytes(UTF_8))).get(15, TimeUnit.SECONDS);
    assertThat(md.offset()).isEqualTo(1);
    assertThat(values(cluster, "t", 0)).containsExactly("before", "after");
  }

  @Test
  void retriableErrorsAreRetriedInSequenceOrder() throws Exception {
    cluster.failNextProduces(
        "t", 1, ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.NOT_LEADER, ErrorCode.REQUEST_TIMED_OUT);
    LogbusProducer p = open(producer().batchSize(200).lingerMs(0));
    List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      futures.add(p.send(new ProducerRecord("t", 1, null, ("v" + i).getBytes(UTF_8))));
    }
    p.flush();
    for (int i = 0; i < 40; i++) {
      assertThat(futures.get(i).get().offset()).isEqualTo(i);
    }
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      expected.add("v" + i);
    }
    assertThat(values(cluster, "t", 1)).containsExactlyElementsOf(expected);
  }

  @Test
  void manyBatchesInFlightPerPartitionArriveInSequenceOrder() throws Exception {
    LogbusProducer p = open(producer().batchSize(1_000).lingerMs(0));
    List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
    for (int i = 0; i < 3_000; i++) {
      futures.add(p.send(new ProducerRecord("t", i % 3, null, new byte[100])));
    }
    p.flush();
    for (CompletableFuture<RecordMetadata> f : futures) {
      f.get();
    }
    assertThat(cluster.outOfOrderAnswers()).isZero();
    assertThat(cluster.partition("t", 0).endOffset()).isEqualTo(1_000);
    assertThat(cluster.partition("t", 0).batches().size()).isGreaterThan(10);
  }

  @Test
  void nonRetriableErrorFailsTheRecordAndCallsTheCallback() throws Exception {
    cluster.failNextProduces("t", 0, ErrorCode.RECORD_TOO_LARGE);
    LogbusProducer p = open(producer());
    List<Exception> errors = new CopyOnWriteArrayList<>();
    CompletableFuture<RecordMetadata> f =
        p.send(new ProducerRecord("t", 0, null, "x".getBytes(UTF_8)), (md, e) -> errors.add(e));
    assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(ApiException.class)
        .hasMessageContaining("record too large");
    assertThat(errors).hasSize(1);
  }

  @Test
  void idempotentProducerRecoversAfterAFailedBatchWithANewProducerId() throws Exception {
    cluster.failNextProduces("t", 0, ErrorCode.CORRUPT_MESSAGE);
    LogbusProducer p = open(producer());
    CompletableFuture<RecordMetadata> failed =
        p.send(new ProducerRecord("t", 0, null, "lost".getBytes(UTF_8)));
    assertThatThrownBy(() -> failed.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class);
    RecordMetadata ok =
        p.send(new ProducerRecord("t", 0, null, "kept".getBytes(UTF_8))).get(10, TimeUnit.SECONDS);
    assertThat(ok.offset()).isEqualTo(0);
    assertThat(values(cluster, "t", 0)).containsExactly("kept");
  }

  /**
   * Torture seed 42: a batch the leader wrote but whose answer was lost waited for retry while a
   * batch of another partition failed for good; the producer took a new producer id and resent the
   * written batch renumbered from sequence 0, so the broker could not see it as a duplicate and
   * stored it twice. Only the partition with the gap may change identity, and a batch that went out
   * is resent under the identity it went out with.
   */
  @Test
  void aFailedBatchElsewhereDoesNotRenumberAWrittenBatchWaitingForRetry() throws Exception {
    cluster.moveLeader("t", 1, 1); // both partitions on broker 1, in one Produce call
    cluster.appendThenFailNextProduces("t", 0, ErrorCode.REQUEST_TIMED_OUT);
    cluster.failNextProduces("t", 1, ErrorCode.CORRUPT_MESSAGE);
    // The resend of the written batch comes after the other partition's failure is known.
    LogbusProducer p = open(producer().lingerMs(20).retryBackoffMs(300));
    CompletableFuture<RecordMetadata> written =
        p.send(new ProducerRecord("t", 0, null, "written".getBytes(UTF_8)));
    CompletableFuture<RecordMetadata> failed =
        p.send(new ProducerRecord("t", 1, null, "failed".getBytes(UTF_8)));
    assertThatThrownBy(() -> failed.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class);
    assertThat(written.get(10, TimeUnit.SECONDS).offset()).isEqualTo(0);
    assertThat(
            p.send(new ProducerRecord("t", 0, null, "next0".getBytes(UTF_8)))
                .get(10, TimeUnit.SECONDS)
                .offset())
        .isEqualTo(1);
    assertThat(
            p.send(new ProducerRecord("t", 1, null, "next1".getBytes(UTF_8)))
                .get(10, TimeUnit.SECONDS)
                .offset())
        .isEqualTo(0);
    assertThat(values(cluster, "t", 0)).containsExactly("written", "next0");
    assertThat(values(cluster, "t", 1)).containsExactly("next1");
  }

  /**
   * The same in one partition, as torture seed 42 had it: two written batches lose their answers,
   * the first then gives up (written, but its outcome unknown to the producer). The second must be
   * resent as it went out (the broker answers its original offset), not renumbered under a new
   * producer id; only what follows moves to the new id.
   */
  @Test
  void aWrittenBatchBehindOneThatGaveUpIsNotRenumbered() throws Exception {
    cluster.failNextProduces("t", 0, ErrorCode.NONE, ErrorCode.NONE, ErrorCode.NOT_ENOUGH_REPLICAS);
    cluster.appendThenFailNextProduces(
        "t", 0, ErrorCode.REQUEST_TIMED_OUT, ErrorCode.REQUEST_TIMED_OUT);
    // One record per batch; both batches leave together at flush, before either answer is back.
    LogbusProducer p = open(producer().batchSize(100).lingerMs(5_000).retries(1));
    CompletableFuture<RecordMetadata> gaveUp =
        p.send(new ProducerRecord("t", 0, null, ("a" + "x".repeat(80)).getBytes(UTF_8)));
    CompletableFuture<RecordMetadata> second =
        p.send(new ProducerRecord("t", 0, null, ("b" + "x".repeat(80)).getBytes(UTF_8)));
    p.flush();
    assertThatThrownBy(() -> gaveUp.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class);
    long secondOffset = second.get(10, TimeUnit.SECONDS).offset();
    CompletableFuture<RecordMetadata> third =
        p.send(new ProducerRecord("t", 0, null, "c".getBytes(UTF_8)));
    p.flush();
    assertThat(third.get(10, TimeUnit.SECONDS).offset()).isEqualTo(secondOffset + 1);
    List<String> stored = values(cluster, "t", 0);
    assertThat(stored).doesNotHaveDuplicates().endsWith("c");
    assertThat(stored.stream().filter(v -> v.startsWith("b"))).hasSize(1);
  }

  private List<CompletableFuture<RecordMetadata>> sendBatches(
      LogbusProducer p, String... prefixes) {
    List<CompletableFuture<RecordMetadata>> out = new ArrayList<>();
    for (String prefix : prefixes) {
      // One record per batch (batchSize 100); all leave together at flush.
      out.add(p.send(new ProducerRecord("t", 0, null, (prefix + "x".repeat(80)).getBytes(UTF_8))));
    }
    p.flush();
    return out;
  }

  private static long copiesOf(List<String> stored, String prefix) {
    return stored.stream().filter(v -> v.startsWith(prefix)).count();
  }

  /**
   * Torture seed 42, second duplicate: a written batch loses its answer, later batches are
   * acknowledged and push it out of the broker's remembered window; its retry is answered
   * DUPLICATE_SEQUENCE and completes (offset unknown) instead of being renumbered and stored again.
   */
  @Test
  void retryOfAWrittenBatchOlderThanTheBrokersWindowCompletesWithoutASecondCopy() throws Exception {
    cluster.partition("t", 0).rememberBatches(1);
    cluster.appendThenFailNextProduces("t", 0, ErrorCode.REQUEST_TIMED_OUT);
    LogbusProducer p = open(producer().batchSize(100).lingerMs(5_000));
    List<CompletableFuture<RecordMetadata>> sent = sendBatches(p, "a", "b", "c");
    RecordMetadata a = sent.get(0).get(10, TimeUnit.SECONDS);
    // -1 when the retry came after later batches (the usual case), 0 if it overtook them.
    assertThat(a.offset()).isIn(-1L, 0L);
    CompletableFuture<RecordMetadata> next =
        p.send(new ProducerRecord("t", 0, null, "next".getBytes(UTF_8)));
    p.flush();
    assertThat(next.get(10, TimeUnit.SECONDS).offset()).isEqualTo(3);
    List<String> stored = values(cluster, "t", 0);
    assertThat(stored).hasSize(4).doesNotHaveDuplicates().endsWith("next");
    assertThat(copiesOf(stored, "a")).isEqualTo(1);
  }

  /**
   * The same against a broker that answers such a retry OUT_OF_ORDER_SEQUENCE (as before the fix):
   * a later sequence of the same producer id was acknowledged, so the batch is in the log; it
   * completes without being resent or renumbered.
   */
  @Test
  void outOfOrderForABatchBelowAnAcknowledgedSequenceCompletesWithoutASecondCopy()
      throws Exception {
    cluster.partition("t", 0).rememberBatches(1);
    cluster.partition("t", 0).answerOlderBatchesOutOfOrder(true);
    cluster.appendThenFailNextProduces("t", 0, ErrorCode.REQUEST_TIMED_OUT);
    LogbusProducer p = open(producer().batchSize(100).lingerMs(5_000));
    List<CompletableFuture<RecordMetadata>> sent = sendBatches(p, "a", "b", "c");
    assertThat(sent.get(0).get(10, TimeUnit.SECONDS).offset()).isIn(-1L, 0L);
    CompletableFuture<RecordMetadata> next =
        p.send(new ProducerRecord("t", 0, null, "next".getBytes(UTF_8)));
    p.flush();
    assertThat(next.get(10, TimeUnit.SECONDS).offset()).isEqualTo(3);
    List<String> stored = values(cluster, "t", 0);
    assertThat(stored).hasSize(4).doesNotHaveDuplicates();
    assertThat(copiesOf(stored, "a")).isEqualTo(1);
  }

  /**
   * Out of order, and nothing proves the batch absent or present (every answer after it was lost
   * too): the batch fails to the application with a clear error instead of being renumbered under a
   * new producer id, which would store it twice.
   */
  @Test
  void outOfOrderWithoutProofOfAbsenceFailsTheBatchInsteadOfRenumberingIt() throws Exception {
    cluster.partition("t", 0).rememberBatches(1);
    cluster.partition("t", 0).answerOlderBatchesOutOfOrder(true);
    cluster.appendThenFailNextProduces(
        "t", 0, ErrorCode.REQUEST_TIMED_OUT, ErrorCode.REQUEST_TIMED_OUT);
    LogbusProducer p = open(producer().batchSize(100).lingerMs(5_000));
    List<CompletableFuture<RecordMetadata>> sent = sendBatches(p, "a", "b");
    try {
      sent.get(0).get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      assertThat(e.getCause()).hasMessageContaining("may already be stored");
    }
    sent.get(1).get(10, TimeUnit.SECONDS);
    CompletableFuture<RecordMetadata> next =
        p.send(new ProducerRecord("t", 0, null, "next".getBytes(UTF_8)));
    p.flush();
    next.get(10, TimeUnit.SECONDS);
    List<String> stored = values(cluster, "t", 0);
    assertThat(stored).hasSize(3).doesNotHaveDuplicates().endsWith("next");
    assertThat(copiesOf(stored, "a")).isEqualTo(1);
  }

  @Test
  void fakeBrokerRefusesAnEmptyRememberedWindow() {
    assertThatThrownBy(() -> cluster.partition("t", 0).rememberBatches(0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void retriesZeroGivesUpAfterTheFirstRetriableError() {
    cluster.failNextProduces("t", 0, ErrorCode.NOT_ENOUGH_REPLICAS);
    LogbusProducer p = open(producer().retries(0));
    CompletableFuture<RecordMetadata> f =
        p.send(new ProducerRecord("t", 0, null, "x".getBytes(UTF_8)));
    assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS))
        .cause()
        .hasMessageContaining("not enough replicas");
  }

  @ParameterizedTest
  @EnumSource(CompressionType.class)
  void everyCompressionTypeIsStoredAsWritten(CompressionType type) throws Exception {
    LogbusProducer p = open(producer().compression(type));
    for (int i = 0; i < 100; i++) {
      p.send(new ProducerRecord("t", 1, null, ("value-" + i).getBytes(UTF_8)));
    }
    p.flush();
    List<RecordBatch> batches = cluster.partition("t", 1).batches();
    assertThat(batches).allSatisfy(b -> assertThat(b.compression()).isEqualTo(type));
    assertThat(values(cluster, "t", 1)).hasSize(100).startsWith("value-0").endsWith("value-99");
  }

  @Test
  void sendBlocksUpToMaxBlockWhenBufferIsFullThenFailsClearly() {
    // Partition 0's leader is gone, so nothing frees memory while the second send waits.
    cluster.stopBroker(1);
    LogbusProducer p =
        open(
            producer()
                .bufferMemory(3_000)
                .batchSize(100_000)
                .lingerMs(0)
                .maxBlockMs(200)
                .requestTimeoutMs(500)
                .deliveryTimeoutMs(1_000));
    p.send(new ProducerRecord("t", 0, null, new byte[2_000]));
    long start = System.nanoTime();
    CompletableFuture<RecordMetadata> second =
        p.send(new ProducerRecord("t", 0, null, new byte[2_000]));
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
        .isGreaterThanOrEqualTo(190);
    assertThatThrownBy(second::get)
        .cause()
        .isInstanceOf(ClientTimeoutException.class)
        .hasMessageContaining("max.block.ms=200")
        .hasMessageContaining("buffer.memory=3000");
    // The first record can never be delivered; do not wait out its delivery timeout.
    p.close(Duration.ZERO);
  }

  @Test
  void unknownTopicFailsAfterMaxBlock() {
    LogbusProducer p = open(producer().maxBlockMs(300));
    assertThatThrownBy(() -> p.send(ProducerRecord.of("nope", "k", "v")).get())
        .cause()
        .isInstanceOf(ApiException.class)
        .hasMessageContaining("unknown topic nope");
  }

  @Test
  void unreachableBootstrapFailsNamingTheAddress() {
    LogbusProducer p =
        open(LogbusProducer.builder().bootstrapServers("127.0.0.1:1").maxBlockMs(2_000));
    assertThatThrownBy(() -> p.send(ProducerRecord.of("t", "k", "v")).get())
        .cause()
        .isInstanceOf(BrokerUnavailableException.class)
        .hasMessageContaining("no broker reachable at 127.0.0.1:1");
  }

  @Test
  void deliveryTimeoutExpiresRecordsWhenTheLeaderIsGone() {
    LogbusProducer p = open(producer().requestTimeoutMs(300).deliveryTimeoutMs(1_000).lingerMs(0));
    p.send(new ProducerRecord("t", 0, null, "warm".getBytes(UTF_8))).join();
    cluster.stopBroker(1);
    CompletableFuture<RecordMetadata> f =
        p.send(new ProducerRecord("t", 0, null, "late".getBytes(UTF_8)));
    assertThatThrownBy(() -> f.get(20, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(ClientTimeoutException.class)
        .hasMessageContaining("delivery.timeout.ms");
  }

  @Test
  void closeDrainsLingeringRecords() throws Exception {
    LogbusProducer p = producer().lingerMs(30_000).deliveryTimeoutMs(60_000).build();
    CompletableFuture<RecordMetadata> f =
        p.send(new ProducerRecord("t", 2, null, "v".getBytes(UTF_8)));
    p.close();
    assertThat(f).isCompleted();
    assertThat(f.get().offset()).isEqualTo(0);
  }

  @Test
  void sendAfterCloseIsRefused() {
    LogbusProducer p = producer().build();
    p.close(Duration.ofSeconds(5));
    assertThatThrownBy(() -> p.send(ProducerRecord.of("t", "k", "v")))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void nullKeyRecordsFillOneBatchBeforeMovingOn() throws Exception {
    LogbusProducer p = open(producer().lingerMs(50));
    List<CompletableFuture<RecordMetadata>> fs = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      fs.add(p.send(new ProducerRecord("t", null, "v".getBytes(UTF_8))));
    }
    p.flush();
    int partition = fs.get(0).get().partition();
    for (CompletableFuture<RecordMetadata> f : fs) {
      assertThat(f.get().partition()).isEqualTo(partition);
    }
  }

  @Test
  void acksZeroCompletesWithoutOffsets() throws Exception {
    LogbusProducer p = open(producer().acks("0"));
    RecordMetadata md =
        p.send(new ProducerRecord("t", 0, null, "v".getBytes(UTF_8))).get(10, TimeUnit.SECONDS);
    assertThat(md.offset()).isEqualTo(-1);
  }
}
