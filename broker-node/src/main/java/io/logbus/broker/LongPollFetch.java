package io.logbus.broker;

import io.grpc.stub.StreamObserver;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.FetchPartition;
import io.logbus.proto.FetchPartitionData;
import io.logbus.proto.FetchRequest;
import io.logbus.proto.FetchResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One unary Fetch that may long-poll: answers as soon as {@code min_bytes} are readable below the
 * HW (or any partition has an error), else when {@code max_wait_ms} passes. While waiting it holds
 * no thread: the partitions' listeners and one scheduler timer wake it, and a {@link SerialRunner}
 * re-reads. Listeners are registered before each read, so an append between the read and the wait
 * cannot be missed.
 */
final class LongPollFetch {
  private final FetchRequest request;
  private final StreamObserver<FetchResponse> responses;
  private final PartitionReads reads;
  private final ReplicaManager replicaManager;
  private final ScheduledExecutorService scheduler;
  private final Clock clock;
  private final BrokerMetrics metrics;
  private final long startNanos = System.nanoTime();
  private final long deadlineMs;
  private final SerialRunner attempt;
  private final Runnable wake;
  private final AtomicBoolean answered = new AtomicBoolean();
  private final List<Partition> watched = new ArrayList<>();
  private volatile boolean timedOut;
  private ScheduledFuture<?> timer;

  LongPollFetch(
      FetchRequest request,
      StreamObserver<FetchResponse> responses,
      PartitionReads reads,
      ReplicaManager replicaManager,
      ScheduledExecutorService scheduler,
      Executor executor,
      Clock clock,
      BrokerMetrics metrics) {
    this.request = request;
    this.responses = responses;
    this.reads = reads;
    this.replicaManager = replicaManager;
    this.scheduler = scheduler;
    this.clock = clock;
    this.metrics = metrics;
    this.deadlineMs = clock.millis() + request.getMaxWaitMs();
    this.attempt = new SerialRunner(executor, this::tryAnswer);
    this.wake = attempt::wake;
  }

  void start() {
    if (request.getMaxWaitMs() > 0) {
      for (FetchPartition p : request.getPartitionsList()) {
        replicaManager
            .partition(new PartitionKey(p.getTopic(), p.getPartition()))
            .ifPresent(
                partition -> {
                  partition.addListener(wake);
                  watched.add(partition);
                });
      }
      timer =
          scheduler.schedule(
              () -> {
                timedOut = true;
                attempt.wake();
              },
              request.getMaxWaitMs(),
              TimeUnit.MILLISECONDS);
    }
    tryAnswer();
  }

  private void tryAnswer() {
    if (answered.get()) {
      return;
    }
    int budget =
        request.getMaxBytes() == 0
            ? BrokerServiceImpl.DEFAULT_FETCH_MAX_BYTES
            : request.getMaxBytes();
    FetchResponse.Builder answer = FetchResponse.newBuilder();
    long bytes = 0;
    boolean error = false;
    for (FetchPartition p : request.getPartitionsList()) {
      int partitionMax =
          p.getPartitionMaxBytes() == 0 ? budget : Math.min(budget, p.getPartitionMaxBytes());
      // At least one whole batch per call, as in Kafka: the budget may go to zero after that.
      FetchPartitionData data = reads.read(p, p.getFetchOffset(), Math.max(0, partitionMax));
      int size = data.getRecords().size();
      bytes += size;
      budget = Math.max(0, budget - size);
      error |= data.getError() != ErrorCode.NONE;
      answer.addPartitions(data);
    }
    boolean satisfied =
        error
            || bytes >= Math.max(1, request.getMinBytes())
            || request.getMaxWaitMs() == 0
            || timedOut
            || clock.millis() >= deadlineMs;
    if (!satisfied || !answered.compareAndSet(false, true)) {
      return;
    }
    for (Partition partition : watched) {
      partition.removeListener(wake);
    }
    if (timer != null) {
      timer.cancel(false);
    }
    metrics.fetchLatency(Duration.ofNanos(System.nanoTime() - startNanos));
    try {
      responses.onNext(answer.build());
      responses.onCompleted();
    } catch (RuntimeException e) {
      // The caller went away (cancelled); nothing to answer.
    }
  }
}
