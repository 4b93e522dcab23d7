package io.logbus.client;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.logbus.proto.BrokerServiceGrpc;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.InitProducerIdRequest;
import io.logbus.proto.InitProducerIdResponse;
import io.logbus.proto.PartitionProduceResult;
import io.logbus.proto.PartitionRecords;
import io.logbus.proto.ProduceRequest;
import io.logbus.proto.ProduceResponse;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The producer's I/O thread: takes ready batches from the {@link RecordAccumulator}, seals them
 * with the producer id and per-partition sequence, groups them by leader into one Produce call per
 * broker (one batch per partition per call), and handles answers: complete, retry in sequence order
 * after a metadata refresh, or fail. gRPC callbacks only enqueue events; every piece of sender
 * state is confined to this one thread, so none of it needs a lock.
 *
 * <p>Idempotence: at most {@code maxInFlightPerPartition} batches of a partition are in flight;
 * when one must be retried, no new batch of that partition goes out until all in-flight ones came
 * back, then the retried ones go out again in sequence order (the broker rejects a gap as
 * OUT_OF_ORDER_SEQUENCE and recognises a resent batch as a duplicate, answering its original
 * offset). A sequenced batch that fails for good leaves a gap no later batch of its partition can
 * cross, so that partition (and only that one: sequences are per partition) moves to a new producer
 * id and renumbers its batches waiting for retry from sequence 0. A batch that already went out may
 * have been written whatever the answer said (a lost answer, a timeout after the append), so it is
 * renumbered only once the broker has shown it does not hold it (OUT_OF_ORDER_SEQUENCE expecting a
 * sequence below the batch's); until then it is resent as it was, and the broker answers a
 * duplicate with its original offset, or DUPLICATE_SEQUENCE (offset unknown: completed with -1, as
 * Kafka) when it is older than the broker remembers. An OUT_OF_ORDER_SEQUENCE for a batch at or
 * below a sequence already acknowledged also means written; any other one fails the batch rather
 * than renumber it. Renumbering a batch the log already holds would store it twice.
 */
final class Sender implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(Sender.class);
  private static final Runnable WAKEUP = () -> {};
  private static final long MAX_IDLE_WAIT_MS = 50;

  /** gRPC failures after which the same request may succeed at the same or another broker. */
  private static final Set<Status.Code> RETRIABLE_STATUS =
      EnumSet.of(
          Status.Code.UNAVAILABLE,
          Status.Code.DEADLINE_EXCEEDED,
          Status.Code.CANCELLED,
          Status.Code.RESOURCE_EXHAUSTED,
          Status.Code.ABORTED);

  private final ProducerConfig config;
  private final RecordAccumulator accumulator;
  private final MetadataManager metadata;
  private final Clock clock;
  private final String prefix;
  private final LinkedBlockingQueue<Runnable> events = new LinkedBlockingQueue<>();
  private final AtomicBoolean wakeupPending = new AtomicBoolean();
  private final Map<TopicPartition, PartitionState> states = new HashMap<>();

  /** The newest producer id from the brokers; partitions take it up when they start or reset. */
  private long producerId = -1;

  private short producerEpoch;

  /** Set when a partition must leave its producer id but the newest one is the one it has. */
  private boolean needsNewProducerId;

  private long nextProducerIdAttemptMs;
  private long sealCounter;
  private long nextCorrelationId = 1;
  private final Map<HostPort, ProduceConnection> connections = new HashMap<>();
  private volatile boolean running = true;
  private volatile long forceCloseAtMs = Long.MAX_VALUE;

  /** Per-partition send state; sender thread only. */
  private static final class PartitionState {
    int nextSequence;

    /** The producer id and epoch this partition's batches are sealed with; -1 before the first. */
    long producerId = -1;

    short producerEpoch;

    /** A sequenced batch of this partition failed for good: its sequence has a gap. */
    boolean gap;

    /**
     * The highest sequence acknowledged under {@link #producerId}, -1 for none. The broker accepts
     * sequences only in order, so every batch at or below it is in the log.
     */
    int lastAckedSequence = -1;

    final Set<ProducerBatch> inflight = new LinkedHashSet<>();
    final TreeMap<Long, ProducerBatch> retry = new TreeMap<>();
    final Map<ProducerBatch, Long> order = new HashMap<>();
  }

  Sender(
      ProducerConfig config, RecordAccumulator accumulator, MetadataManager metadata, Clock clock) {
    this.config = config;
    this.accumulator = accumulator;
    this.metadata = metadata;
    this.clock = clock;
    this.prefix = "[producer " + config.clientId() + "]";
  }

  /** Wakes the I/O thread (coalesced): new data, a flush, a close. Any thread. */
  void wakeup() {
    if (wakeupPending.compareAndSet(false, true)) {
      events.offer(WAKEUP);
    }
  }

  /** Stops accepting work; drains until done or until {@code timeoutMs}, then fails the rest. */
  void initiateClose(long timeoutMs) {
    long now = clock.millis();
    forceCloseAtMs = timeoutMs >= Long.MAX_VALUE - now ? Long.MAX_VALUE : now + timeoutMs;
    running = false;
    accumulator.beginClose();
    wakeup();
  }

  @Override
  public void run() {
    try {
      while (true) {
        drainEvents();
        long now = clock.millis();
        if (!running && (!accumulator.hasIncomplete() || now >= forceCloseAtMs)) {
          break;
        }
        boolean sent;
        try {
          sent = runOnce(now);
        } catch (RuntimeException e) {
          log.error("{} unexpected error in the I/O loop", prefix, e);
          sent = false;
        }
        long waitMs = sent ? 0 : idleWait(now);
        if (waitMs > 0) {
          Runnable r = events.poll(waitMs, TimeUnit.MILLISECONDS);
          if (r != null) {
            runEvent(r);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      failEverything(new LogbusException("producer closed before the record was acknowledged"));
      closeStreams();
    }
  }

  private void drainEvents() {
    Runnable r;
    while ((r = events.poll()) != null) {
      runEvent(r);
    }
  }

  private void runEvent(Runnable r) {
    if (r == WAKEUP) {
      wakeupPending.set(false);
    }
    r.run();
  }

  private long idleWait(long now) {
    long wait = Math.min(MAX_IDLE_WAIT_MS, accumulator.nextLingerExpiry(now));
    for (PartitionState s : states.values()) {
      if (!s.retry.isEmpty()) {
        wait = Math.min(wait, s.retry.firstEntry().getValue().nextAttemptMs - now);
      }
    }
    // A ready batch that could not go (in-flight cap, unknown leader) waits for an answer or for
    // the metadata back-off instead of spinning.
    if (wait <= 0) {
      wait = Math.max(1, Math.min(MAX_IDLE_WAIT_MS, config.retryBackoffMs()));
    }
    return wait;
  }

  /** One pass: expire, make sure of a producer id, send what is ready. True if a request left. */
  private boolean runOnce(long now) {
    expire(now);
    expireStreams(now);
    if (config.idempotence() && (producerId < 0 || needsNewProducerId)) {
      if (now < nextProducerIdAttemptMs || !initProducerId()) {
        return false;
      }
    }
    Cluster cluster;
    try {
      cluster = metadata.refreshIfNeeded();
    } catch (BrokerUnavailableException e) {
      log.debug("{} metadata refresh failed: {}", prefix, e.getMessage());
      cluster = metadata.current();
    }
    Map<Integer, List<ProducerBatch>> byLeader = new LinkedHashMap<>();
    Map<Integer, Cluster.Leader> leaders = new HashMap<>();
    Set<TopicPartition> candidates = new LinkedHashSet<>(accumulator.partitions());
    states.forEach(
        (tp, s) -> {
          if (!s.retry.isEmpty()) {
            candidates.add(tp);
          }
        });
    for (TopicPartition tp : candidates) {
      PartitionState state = states.computeIfAbsent(tp, k -> new PartitionState());
      ProducerBatch next = nextBatch(tp, state, now);
      if (next == null) {
        continue;
      }
      var leader = cluster.leader(tp);
      if (leader.isEmpty()) {
        metadata.invalidate();
        if (!next.isSealed()) {
          // Unlucky: taken from the accumulator but no leader; keep it as the first retry.
          seal(tp, state, next);
        }
        next.nextAttemptMs = now + config.retryBackoffMs();
        state.retry.put(state.order.get(next), next);
        continue;
      }
      if (!next.isSealed()) {
        seal(tp, state, next);
      }
      byLeader.computeIfAbsent(leader.get().brokerId(), k -> new ArrayList<>()).add(next);
      leaders.put(leader.get().brokerId(), leader.get());
    }
    byLeader.forEach((id, batches) -> send(leaders.get(id), batches));
    return !byLeader.isEmpty();
  }

  /** The partition's next batch to send now, or null: retries first, in order, then new data. */
  private ProducerBatch nextBatch(TopicPartition tp, PartitionState state, long now) {
    if (state.inflight.size() >= config.maxInFlightPerPartition()) {
      return null;
    }
    if (config.idempotence() && state.gap) {
      return nextBatchAcrossGap(tp, state, now);
    }
    if (!state.retry.isEmpty()) {
      if (config.idempotence() && !state.inflight.isEmpty()) {
        return null;
      }
      ProducerBatch first = state.retry.firstEntry().getValue();
      if (first.nextAttemptMs > now) {
        return null;
      }
      state.retry.pollFirstEntry();
      return first;
    }
    if (!accumulator.ready(tp, now)) {
      return null;
    }
    return accumulator.poll(tp);
  }

  /**
   * The partition has a gap in its sequence. Batches that went out before and may be in the log are
   * first resent as they are, one at a time, until each is answered (written: done; shown not held
   * by OUT_OF_ORDER_SEQUENCE, so it can be renumbered; or failed or expired). Then the partition
   * takes a producer id it has never used and renumbers what waits from 0; until one is there
   * nothing goes.
   */
  private ProducerBatch nextBatchAcrossGap(TopicPartition tp, PartitionState state, long now) {
    if (!state.inflight.isEmpty()) {
      return null;
    }
    for (Map.Entry<Long, ProducerBatch> e : state.retry.entrySet()) {
      ProducerBatch b = e.getValue();
      if (b.maybeWritten) {
        if (b.nextAttemptMs > now) {
          return null;
        }
        state.retry.remove(e.getKey());
        return b;
      }
    }
    if (state.producerId == producerId) {
      needsNewProducerId = true;
      return null;
    }
    state.producerId = producerId;
    state.producerEpoch = producerEpoch;
    state.nextSequence = 0;
    state.lastAckedSequence = -1;
    state.gap = false;
    for (ProducerBatch b : state.retry.values()) {
      b.reseal(state.producerId, state.producerEpoch, state.nextSequence);
      state.nextSequence += b.recordCount();
    }
    return nextBatch(tp, state, now);
  }

  private void seal(TopicPartition tp, PartitionState state, ProducerBatch batch) {
    if (config.idempotence()) {
      if (state.producerId < 0) {
        state.producerId = producerId;
        state.producerEpoch = producerEpoch;
        state.nextSequence = 0;
      }
      batch.seal(state.producerId, state.producerEpoch, state.nextSequence);
      state.nextSequence += batch.recordCount();
    } else {
      batch.seal(-1, (short) -1, -1);
    }
    state.order.put(batch, sealCounter++);
  }

  private void send(Cluster.Leader leader, List<ProducerBatch> batches) {
    long correlationId = nextCorrelationId++;
    ProduceRequest.Builder req =
        ProduceRequest.newBuilder()
            .setCorrelationId(correlationId)
            .setAcks(config.acks())
            .setTimeoutMs((int) Math.min(Integer.MAX_VALUE, config.requestTimeoutMs()));
    for (ProducerBatch b : batches) {
      b.attempts++;
      // From here on the batch may be in the log, whatever answer (or none) comes back.
      b.maybeWritten = true;
      req.addPartitions(
          PartitionRecords.newBuilder()
              .setTopic(b.tp.topic())
              .setPartition(b.tp.partition())
              .setRecords(UnsafeByteOperations.unsafeWrap(b.bytes())));
    }
    if (config.acks() == 0) {
      sendWithoutAcks(leader, req.build(), batches);
      return;
    }
    for (ProducerBatch b : batches) {
      states.get(b.tp).inflight.add(b);
    }
    ProduceConnection conn;
    try {
      conn = connections.computeIfAbsent(leader.address(), a -> new ProduceConnection(leader));
      conn.pending.put(correlationId, new Pending(batches, clock.millis()));
      conn.requests.onNext(req.build());
    } catch (IllegalStateException | StatusRuntimeException e) {
      connections.remove(leader.address());
      handleFailure(leader, batches, e);
    }
  }

  /** acks=0: nobody waits for an answer, so the records count as sent once handed to gRPC. */
  private void sendWithoutAcks(
      Cluster.Leader leader, ProduceRequest request, List<ProducerBatch> batches) {
    try {
      BrokerServiceGrpc.newFutureStub(metadata.channels().channel(leader.address()))
          .withDeadlineAfter(config.requestTimeoutMs(), TimeUnit.MILLISECONDS)
          .produce(request);
      batches.forEach(b -> finishOk(b, -1, -1));
    } catch (IllegalStateException closed) {
      batches.forEach(b -> finish(b, new LogbusException("producer closed")));
    }
  }

  /** A request on a produce stream waiting for its answer. */
  private record Pending(List<ProducerBatch> batches, long sentAtMs) {}

  /**
   * One ProduceStream per leader broker: requests on one stream reach the broker in order, so the
   * batches of a partition keep their sequence order even with several in flight (separate unary
   * calls may overtake each other and come back OUT_OF_ORDER_SEQUENCE). Sender thread only; the
   * response observer just enqueues events.
   */
  private final class ProduceConnection {
    final Cluster.Leader leader;
    final StreamObserver<ProduceRequest> requests;
    final Map<Long, Pending> pending = new HashMap<>();

    ProduceConnection(Cluster.Leader leader) {
      this.leader = leader;
      ProduceConnection self = this;
      this.requests =
          BrokerServiceGrpc.newStub(metadata.channels().channel(leader.address()))
              .produceStream(
                  new StreamObserver<ProduceResponse>() {
                    @Override
                    public void onNext(ProduceResponse response) {
                      events.offer(() -> onStreamResponse(self, response));
                    }

                    @Override
                    public void onError(Throwable t) {
                      events.offer(() -> onStreamBroken(self, t));
                    }

                    @Override
                    public void onCompleted() {
                      events.offer(
                          () ->
                              onStreamBroken(
                                  self,
                                  Status.UNAVAILABLE
                                      .withDescription("produce stream closed by the broker")
                                      .asRuntimeException()));
                    }
                  });
    }
  }

  private void onStreamResponse(ProduceConnection conn, ProduceResponse response) {
    Pending p = conn.pending.remove(response.getCorrelationId());
    if (p != null) {
      handleResponse(conn.leader, p.batches(), response);
    }
  }

  /** The stream failed or ended: every request still on it is retried (or fails) as a batch. */
  private void onStreamBroken(ProduceConnection conn, Throwable cause) {
    connections.remove(conn.leader.address(), conn);
    List<Pending> lost = new ArrayList<>(conn.pending.values());
    conn.pending.clear();
    for (Pending p : lost) {
      handleFailure(conn.leader, p.batches(), cause);
    }
  }

  /** Streams with a request older than request.timeout.ms are cancelled and their work retried. */
  private void expireStreams(long now) {
    for (ProduceConnection conn : new ArrayList<>(connections.values())) {
      boolean late =
          conn.pending.values().stream()
              .anyMatch(p -> now - p.sentAtMs() > config.requestTimeoutMs());
      if (late) {
        onStreamBroken(
            conn,
            Status.DEADLINE_EXCEEDED
                .withDescription("no answer within request.timeout.ms=" + config.requestTimeoutMs())
                .asRuntimeException());
        try {
          conn.requests.onError(
              Status.CANCELLED.withDescription("request timed out").asException());
        } catch (RuntimeException ignored) {
          // Already broken; nothing left to cancel.
        }
      }
    }
  }

  private void closeStreams() {
    for (ProduceConnection conn : connections.values()) {
      try {
        conn.requests.onCompleted();
      } catch (RuntimeException ignored) {
        // The stream is already gone; its requests were handled as failures.
      }
    }
    connections.clear();
  }

  private void handleFailure(Cluster.Leader leader, List<ProducerBatch> batches, Throwable cause) {
    Status status = Status.fromThrowable(cause);
    metadata.invalidate();
    boolean retriable = RETRIABLE_STATUS.contains(status.getCode());
    for (ProducerBatch b : batches) {
      states.get(b.tp).inflight.remove(b);
      retryOrFail(
          b,
          new LogbusException(
              "produce to broker "
                  + leader.brokerId()
                  + " at "
                  + leader.address()
                  + " failed: "
                  + status.getCode()
                  + (status.getDescription() == null ? "" : " " + status.getDescription()),
              cause),
          retriable);
    }
  }

  private void handleResponse(
      Cluster.Leader leader, List<ProducerBatch> batches, ProduceResponse response) {
    Map<TopicPartition, PartitionProduceResult> results = new HashMap<>();
    for (PartitionProduceResult r : response.getPartitionsList()) {
      results.put(new TopicPartition(r.getTopic(), r.getPartition()), r);
    }
    for (ProducerBatch b : batches) {
      states.get(b.tp).inflight.remove(b);
      PartitionProduceResult r = results.get(b.tp);
      if (r == null) {
        retryOrFail(
            b,
            new LogbusException("broker " + leader.brokerId() + " did not answer for " + b.tp),
            false);
        continue;
      }
      ErrorCode code = r.getError();
      if (code == ErrorCode.NONE) {
        finishOk(b, r.getBaseOffset(), r.getLogAppendTimeMs());
        continue;
      }
      if (code == ErrorCode.DUPLICATE_SEQUENCE) {
        // Written before, older than what the broker remembers: stored once, offset unknown
        // (Kafka's client completes such a batch with offset -1 too).
        finishOk(b, -1, -1);
        continue;
      }
      if (code == ErrorCode.OUT_OF_ORDER_SEQUENCE && config.idempotence()) {
        OutOfOrder verdict = outOfOrder(b, r.getErrorMessage());
        if (verdict == OutOfOrder.WRITTEN) {
          log.warn(
              "{} {} sequence {} answered OUT_OF_ORDER_SEQUENCE after later sequences were"
                  + " acknowledged: it is in the log (offset unknown)",
              prefix,
              b.tp,
              b.baseSequence());
          finishOk(b, -1, -1);
          continue;
        }
        if (verdict == OutOfOrder.UNKNOWN) {
          // Neither held nor absent for sure: renumbering could store it twice, resending as it is
          // gets the same answer. Only the application can decide.
          finish(
              b,
              new LogbusException(
                  "batch of "
                      + b.recordCount()
                      + " record(s) for "
                      + b.tp
                      + " (sequence "
                      + b.baseSequence()
                      + ") was refused as out of order and may already be stored; not resent: "
                      + r.getErrorMessage()));
          continue;
        }
        // The broker expects an earlier sequence: it does not hold this batch, so it may be
        // renumbered under a new producer id if the gap before it is never filled.
        b.maybeWritten = false;
      }
      if (ApiException.invalidatesMetadata(code)) {
        metadata.invalidate();
      }
      boolean retriable =
          ApiException.isRetriable(code)
              || code == ErrorCode.UNKNOWN_TOPIC
              || code == ErrorCode.UNKNOWN_PARTITION
              || (config.idempotence() && code == ErrorCode.OUT_OF_ORDER_SEQUENCE);
      retryOrFail(b, ApiException.of(code, r.getErrorMessage(), b.tp.toString()), retriable);
    }
  }

  private enum OutOfOrder {
    /** A later sequence of the same producer id was acknowledged: the batch is in the log. */
    WRITTEN,
    /** The broker expects a sequence below the batch's: the batch is not in the log. */
    NOT_WRITTEN,
    UNKNOWN
  }

  /** The broker's OUT_OF_ORDER_SEQUENCE message ends "sequence N but expected M". */
  private static final Pattern EXPECTED_SEQUENCE = Pattern.compile("but expected (\\d+)");

  private OutOfOrder outOfOrder(ProducerBatch b, String brokerMessage) {
    PartitionState state = states.get(b.tp);
    int lastSequence = b.baseSequence() + b.recordCount() - 1;
    if (b.producerId() == state.producerId && lastSequence <= state.lastAckedSequence) {
      return OutOfOrder.WRITTEN;
    }
    Matcher m = EXPECTED_SEQUENCE.matcher(brokerMessage == null ? "" : brokerMessage);
    if (m.find()) {
      try {
        if (b.baseSequence() > Integer.parseInt(m.group(1))) {
          return OutOfOrder.NOT_WRITTEN;
        }
      } catch (NumberFormatException e) {
        return OutOfOrder.UNKNOWN;
      }
    }
    return OutOfOrder.UNKNOWN;
  }

  private void retryOrFail(ProducerBatch b, RuntimeException error, boolean retriable) {
    long now = clock.millis();
    PartitionState state = states.get(b.tp);
    b.lastError = error;
    if (retriable
        && b.attempts <= config.retries()
        && now - b.createdMs < config.deliveryTimeoutMs()
        && now < forceCloseAtMs) {
      log.debug("{} retrying {} (attempt {}): {}", prefix, b.tp, b.attempts, error.getMessage());
      b.nextAttemptMs = now + config.retryBackoffMs();
      state.retry.put(state.order.get(b), b);
      return;
    }
    RuntimeException failure = error;
    if (retriable && now - b.createdMs >= config.deliveryTimeoutMs()) {
      failure =
          new ClientTimeoutException(
              "expiring "
                  + b.recordCount()
                  + " record(s) for "
                  + b.tp
                  + ": delivery.timeout.ms="
                  + config.deliveryTimeoutMs()
                  + " passed; last error: "
                  + error.getMessage(),
              error);
    } else if (retriable) {
      failure =
          new LogbusException(
              "gave up on " + b.tp + " after " + b.attempts + " attempt(s): " + error.getMessage(),
              error);
    }
    finish(b, failure);
  }

  private void expire(long now) {
    for (ProducerBatch b : accumulator.expire(now, config.deliveryTimeoutMs())) {
      finish(
          b,
          new ClientTimeoutException(
              "expiring "
                  + b.recordCount()
                  + " record(s) for "
                  + b.tp
                  + ": "
                  + config.deliveryTimeoutMs()
                  + " ms (delivery.timeout.ms) passed since the batch was created"
                  + (metadata.current().leader(b.tp).isEmpty() ? " and no leader is known" : "")));
    }
    for (PartitionState s : states.values()) {
      var it = s.retry.entrySet().iterator();
      while (it.hasNext()) {
        ProducerBatch b = it.next().getValue();
        if (now - b.createdMs >= config.deliveryTimeoutMs()) {
          it.remove();
          String last = b.lastError == null ? "" : "; last error: " + b.lastError.getMessage();
          finish(
              b,
              new ClientTimeoutException(
                  "expiring "
                      + b.recordCount()
                      + " record(s) for "
                      + b.tp
                      + ": delivery.timeout.ms="
                      + config.deliveryTimeoutMs()
                      + " passed"
                      + last));
        }
      }
    }
  }

  private void finishOk(ProducerBatch b, long baseOffset, long logAppendTimeMs) {
    PartitionState state = states.get(b.tp);
    if (state != null) {
      state.order.remove(b);
      if (b.baseSequence() >= 0 && b.producerId() == state.producerId) {
        state.lastAckedSequence =
            Math.max(state.lastAckedSequence, b.baseSequence() + b.recordCount() - 1);
      }
    }
    b.complete(baseOffset, logAppendTimeMs);
    accumulator.completed(b);
  }

  private void finish(ProducerBatch b, RuntimeException error) {
    if (b.isDone()) {
      return;
    }
    PartitionState state = states.get(b.tp);
    if (state != null) {
      state.order.remove(b);
    }
    if (config.idempotence() && b.baseSequence() >= 0 && state != null) {
      state.gap = true;
    }
    b.fail(error);
    accumulator.completed(b);
  }

  /** Asks any broker for a new producer id (partitions with a gap take it up in nextBatch). */
  private boolean initProducerId() {
    Set<HostPort> candidates = new LinkedHashSet<>();
    metadata.current().brokers().values().stream()
        .filter(b -> !b.getFenced())
        .forEach(b -> candidates.add(new HostPort(b.getHost(), b.getPort())));
    candidates.addAll(metadata.bootstrap());
    for (HostPort address : candidates) {
      try {
        InitProducerIdResponse r =
            BrokerServiceGrpc.newBlockingStub(metadata.channels().channel(address))
                .withDeadlineAfter(config.requestTimeoutMs(), TimeUnit.MILLISECONDS)
                .initProducerId(InitProducerIdRequest.getDefaultInstance());
        if (r.getError() != ErrorCode.NONE) {
          log.debug("{} InitProducerId at {}: {}", prefix, address, r.getError());
          continue;
        }
        producerId = r.getProducerId();
        producerEpoch = (short) r.getProducerEpoch();
        needsNewProducerId = false;
        log.debug("{} producer id {} epoch {}", prefix, producerId, producerEpoch);
        return true;
      } catch (StatusRuntimeException e) {
        log.debug("{} InitProducerId at {} failed: {}", prefix, address, e.getStatus());
      } catch (IllegalStateException closed) {
        return false;
      }
    }
    nextProducerIdAttemptMs = clock.millis() + config.retryBackoffMs();
    return false;
  }

  private void failEverything(RuntimeException error) {
    drainEvents();
    for (PartitionState s : states.values()) {
      for (ProducerBatch b : new ArrayList<>(s.retry.values())) {
        finish(b, error);
      }
      s.retry.clear();
      for (ProducerBatch b : new ArrayList<>(s.inflight)) {
        finish(b, error);
      }
      s.inflight.clear();
    }
    for (ProducerBatch b : accumulator.drainAll()) {
      finish(b, error);
    }
    for (ProducerBatch b : accumulator.incompleteBatches()) {
      finish(b, error);
    }
  }

  /** Used by tests and by close(): batches of all partitions waiting in retry queues. */
  int retryCount() {
    int n = 0;
    for (PartitionState s : states.values()) {
      n += s.retry.size();
    }
    return n;
  }
}
