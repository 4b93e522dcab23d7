package io.logbus.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.logbus.record.CompressionType;
import io.logbus.record.Record;
import io.logbus.record.RecordBatch;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RecordAccumulatorTest {
  private static final TopicPartition TP = new TopicPartition("t", 0);
  private static final TopicPartition TP2 = new TopicPartition("t", 1);
  private static final int BATCH_SIZE = 1024;
  private static final long DELIVERY_TIMEOUT_MS = 1_000;

  private final ManualClock clock = new ManualClock(1_000_000);
  private final RecordAccumulator accumulator =
      new RecordAccumulator(BATCH_SIZE, 5, CompressionType.NONE, new BufferPool(1 << 24), clock);
  private ExecutorService pool;

  @AfterEach
  void stopThreads() throws InterruptedException {
    if (pool != null) {
      pool.shutdownNow();
      assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void concurrentAppendersLoseNoRecordAndKeepEachThreadsOrder() throws Exception {
    int threads = 4;
    int perThread = 500;
    pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      done.add(
          pool.submit(
              () -> {
                start.await();
                for (int i = 0; i < perThread; i++) {
                  append(TP, thread + ":" + i);
                }
                return null;
              }));
    }
    start.countDown();
    for (Future<?> f : done) {
      f.get(30, TimeUnit.SECONDS);
    }

    Map<Integer, Integer> nextPerThread = new HashMap<>();
    int total = 0;
    ProducerBatch batch;
    while ((batch = accumulator.poll(TP)) != null) {
      ByteBuffer bytes = batch.seal(-1, (short) -1, -1);
      assertThat(bytes.remaining()).isLessThanOrEqualTo(BATCH_SIZE + 64);
      for (Record r : new RecordBatch(bytes).records()) {
        String[] parts = new String(r.value(), StandardCharsets.UTF_8).split(":");
        int thread = Integer.parseInt(parts[0]);
        int seq = Integer.parseInt(parts[1]);
        assertThat(seq).isEqualTo(nextPerThread.getOrDefault(thread, 0));
        nextPerThread.put(thread, seq + 1);
        total++;
      }
    }
    assertThat(total).isEqualTo(threads * perThread);
    assertThat(accumulator.incompleteBatches()).hasSizeGreaterThan(1);
  }

  @Test
  void appendOpensANewBatchOnlyWhenTheLastIsFull() {
    assertThat(append(TP, "first").newBatch()).isFalse();
    int appended = 1;
    RecordAccumulator.AppendResult result;
    do {
      result = append(TP, "x".repeat(100));
      appended++;
    } while (!result.newBatch());
    assertThat(appended).isGreaterThan(2);
    assertThat(accumulator.poll(TP).recordCount()).isEqualTo(appended - 1);
    assertThat(accumulator.poll(TP).recordCount()).isEqualTo(1);
  }

  @Test
  void expireTakesBatchesOnlyOnceTheDeliveryTimeoutPassed() {
    append(TP, "a");
    clock.advance(DELIVERY_TIMEOUT_MS - 1);
    assertThat(accumulator.expire(clock.millis(), DELIVERY_TIMEOUT_MS)).isEmpty();
    clock.advance(1);
    assertThat(accumulator.expire(clock.millis(), DELIVERY_TIMEOUT_MS)).hasSize(1);
    assertThat(accumulator.poll(TP)).isNull();
  }

  @Test
  void expireStillSeesABatchQueuedAfterAnEarlierPass() {
    append(TP, "old");
    clock.advance(DELIVERY_TIMEOUT_MS / 2);
    append(TP2, "young");
    clock.advance(DELIVERY_TIMEOUT_MS / 2);
    List<ProducerBatch> first = accumulator.expire(clock.millis(), DELIVERY_TIMEOUT_MS);
    assertThat(first).extracting(b -> b.tp).containsExactly(TP);
    // A pass found nothing due now; the young batch's own deadline must still be honoured.
    assertThat(accumulator.expire(clock.millis(), DELIVERY_TIMEOUT_MS)).isEmpty();
    append(TP, "new");
    clock.advance(DELIVERY_TIMEOUT_MS / 2);
    assertThat(accumulator.expire(clock.millis(), DELIVERY_TIMEOUT_MS))
        .extracting(b -> b.tp)
        .containsExactly(TP2);
    clock.advance(DELIVERY_TIMEOUT_MS / 2);
    assertThat(accumulator.expire(clock.millis(), DELIVERY_TIMEOUT_MS))
        .extracting(b -> b.tp)
        .containsExactly(TP);
  }

  @Test
  void expireOfAnEmptyAccumulatorReturnsNothing() {
    assertThat(accumulator.expire(clock.millis(), 0)).isEmpty();
    append(TP, "a");
    assertThat(accumulator.poll(TP)).isNotNull();
    clock.advance(DELIVERY_TIMEOUT_MS);
    assertThat(accumulator.expire(clock.millis(), DELIVERY_TIMEOUT_MS)).isEmpty();
  }

  private RecordAccumulator.AppendResult append(TopicPartition tp, String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    int estimate = RecordAccumulator.estimate(null, bytes, List.of());
    return accumulator.append(
        tp,
        clock.millis(),
        null,
        bytes,
        List.of(),
        new ProducerBatch.Thunk(new CompletableFuture<>(), null, clock.millis(), -1, bytes.length),
        estimate);
  }

  /** A clock the test moves by hand. */
  private static final class ManualClock extends Clock {
    private final AtomicLong millis;

    ManualClock(long start) {
      this.millis = new AtomicLong(start);
    }

    void advance(long ms) {
      millis.addAndGet(ms);
    }

    @Override
    public long millis() {
      return millis.get();
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis.get());
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }
}
