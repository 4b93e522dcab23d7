package io.logbus.client;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.StatusRuntimeException;
import io.logbus.proto.BrokerServiceGrpc;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.FetchPartition;
import io.logbus.proto.FetchPartitionData;
import io.logbus.proto.FetchRequest;
import io.logbus.proto.FetchResponse;
import io.logbus.proto.ListOffsetsPartition;
import io.logbus.proto.ListOffsetsRequest;
import io.logbus.proto.ListOffsetsResponse;
import io.logbus.proto.ListOffsetsResult;
import io.logbus.record.Record;
import io.logbus.record.RecordBatch;
import io.logbus.record.RecordBatches;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads records from assigned partitions, shaped like Kafka's consumer with manual assignment. Each
 * partition has a position: the offset of the next record {@link #poll} returns. Fetches go to the
 * current leader of each partition, one call per leader broker; after a leader change (an error
 * code, or an unreachable broker) the consumer refreshes metadata and fetches the same position
 * from the new leader, so records are neither lost nor repeated. Batches may start below the
 * position; records below it are skipped.
 *
 * <p>Not thread-safe, like Kafka's consumer: one thread uses it.
 */
public final class LogbusConsumer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LogbusConsumer.class);

  private final ConsumerConfig config;
  private final Clock clock;
  private final BrokerChannels channels = new BrokerChannels();
  private final MetadataManager metadata;
  private final String prefix;
  private final Map<TopicPartition, PartitionState> assigned = new LinkedHashMap<>();
  private boolean closed;

  /** What the consumer knows about one assigned partition. */
  private static final class PartitionState {
    Long position;
    OffsetResetStrategy pendingReset;
    boolean paused;
    final ArrayDeque<ConsumerRecord> buffered = new ArrayDeque<>();

    /** The position once every buffered record is returned (past the last fetched batch). */
    long positionAfterBuffer = -1;

    long highWatermark = -1;
    long retryAfterMs;
  }

  private LogbusConsumer(ConsumerConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
    this.prefix = "[consumer " + config.clientId() + "]";
    this.metadata =
        new MetadataManager(
            config.clientId(),
            config.bootstrapServers(),
            channels,
            config.requestTimeoutMs(),
            config.retryBackoffMs(),
            clock);
  }

  public static Builder builder() {
    return new Builder();
  }

  public ConsumerConfig config() {
    return config;
  }

  // ------------------------------------------------------------------ assignment and positions

  /** Replaces the assignment; partitions kept keep their position, new ones start unset. */
  public void assign(Collection<TopicPartition> partitions) {
    ensureOpen();
    Map<TopicPartition, PartitionState> next = new LinkedHashMap<>();
    for (TopicPartition tp : partitions) {
      next.put(tp, assigned.getOrDefault(tp, new PartitionState()));
    }
    assigned.clear();
    assigned.putAll(next);
  }

  public Set<TopicPartition> assignment() {
    return Set.copyOf(assigned.keySet());
  }

  public void seek(TopicPartition tp, long offset) {
    if (offset < 0) {
      throw new IllegalArgumentException("seek offset " + offset + " for " + tp + " < 0");
    }
    PartitionState s = state(tp);
    s.position = offset;
    s.pendingReset = null;
    s.buffered.clear();
  }

  public void seekToBeginning(Collection<TopicPartition> partitions) {
    for (TopicPartition tp : partitions) {
      requestReset(tp, OffsetResetStrategy.EARLIEST);
    }
  }

  public void seekToEnd(Collection<TopicPartition> partitions) {
    for (TopicPartition tp : partitions) {
      requestReset(tp, OffsetResetStrategy.LATEST);
    }
  }

  private void requestReset(TopicPartition tp, OffsetResetStrategy strategy) {
    PartitionState s = state(tp);
    s.position = null;
    s.pendingReset = strategy;
    s.buffered.clear();
  }

  /** The offset of the next record poll returns; resolves a pending seek if needed (bounded). */
  public long position(TopicPartition tp) {
    PartitionState s = state(tp);
    if (s.position == null) {
      resolvePositions(clock.millis() + config.defaultApiTimeoutMs(), true);
    }
    if (s.position == null) {
      throw new ClientTimeoutException(
          "no position for " + tp + " within " + config.defaultApiTimeoutMs() + " ms");
    }
    return s.position;
  }

  public void pause(Collection<TopicPartition> partitions) {
    partitions.forEach(tp -> state(tp).paused = true);
  }

  public void resume(Collection<TopicPartition> partitions) {
    partitions.forEach(tp -> state(tp).paused = false);
  }

  public Set<TopicPartition> paused() {
    Set<TopicPartition> out = new java.util.TreeSet<>();
    assigned.forEach(
        (tp, s) -> {
          if (s.paused) {
            out.add(tp);
          }
        });
    return out;
  }

  /** First offsets (log start) of the partitions, from their leaders. */
  public Map<TopicPartition, Long> beginningOffsets(Collection<TopicPartition> partitions) {
    return listOffsets(partitions, -2, clock.millis() + config.defaultApiTimeoutMs());
  }

  /** End offsets (high watermarks: what consumers can read) of the partitions. */
  public Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions) {
    return listOffsets(partitions, -1, clock.millis() + config.defaultApiTimeoutMs());
  }

  /** Partition count of a topic from metadata; fails with UNKNOWN_TOPIC if it does not exist. */
  public int partitionCount(String topic) {
    ensureOpen();
    Cluster c = metadata.refresh();
    int n = c.partitionCount(topic);
    if (n < 0) {
      throw ApiException.of(ErrorCode.UNKNOWN_TOPIC, "", topic);
    }
    return n;
  }

  private PartitionState state(TopicPartition tp) {
    ensureOpen();
    PartitionState s = assigned.get(tp);
    if (s == null) {
      throw new IllegalStateException("partition " + tp + " is not assigned to this consumer");
    }
    return s;
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("the consumer is closed");
    }
  }

  // ------------------------------------------------------------------ poll

  /**
   * Returns the next records of the unpaused assigned partitions (at most max.poll.records),
   * waiting up to {@code timeout} for some to arrive; empty if none came in time.
   */
  public List<ConsumerRecord> poll(Duration timeout) {
    ensureOpen();
    if (assigned.isEmpty()) {
      throw new IllegalStateException("poll without an assignment: call assign first");
    }
    long deadline = clock.millis() + Math.max(0, timeout.toMillis());
    while (true) {
      List<ConsumerRecord> ready = drainBuffered();
      if (!ready.isEmpty()) {
        return ready;
      }
      resolvePositions(deadline, false);
      long remaining = deadline - clock.millis();
      boolean fetched = fetchOnce(Math.max(0, remaining));
      ready = drainBuffered();
      if (!ready.isEmpty() || clock.millis() >= deadline) {
        return ready;
      }
      if (!fetched) {
        // Nothing could be fetched (no leader known, broker down): back off before retrying.
        sleepQuietly(Math.min(config.retryBackoffMs(), deadline - clock.millis()));
      }
    }
  }

  private List<ConsumerRecord> drainBuffered() {
    List<ConsumerRecord> out = new ArrayList<>();
    for (Map.Entry<TopicPartition, PartitionState> e : assigned.entrySet()) {
      PartitionState s = e.getValue();
      if (s.paused) {
        continue;
      }
      while (!s.buffered.isEmpty() && out.size() < config.maxPollRecords()) {
        ConsumerRecord r = s.buffered.pollFirst();
        out.add(r);
        s.position = r.offset() + 1;
      }
      if (s.buffered.isEmpty() && s.positionAfterBuffer >= 0) {
        s.position = Math.max(s.position, s.positionAfterBuffer);
        s.positionAfterBuffer = -1;
      }
      if (out.size() >= config.maxPollRecords()) {
        break;
      }
    }
    return out;
  }

  /** One fetch round to every leader with fetchable partitions. False if none could be asked. */
  private boolean fetchOnce(long maxWaitMs) {
    Cluster cluster = refreshQuietly();
    long now = clock.millis();
    Map<Cluster.Leader, FetchRequest.Builder> requests = new LinkedHashMap<>();
    for (Map.Entry<TopicPartition, PartitionState> e : assigned.entrySet()) {
      TopicPartition tp = e.getKey();
      PartitionState s = e.getValue();
      if (s.paused || s.position == null || !s.buffered.isEmpty() || s.retryAfterMs > now) {
        continue;
      }
      var leader = cluster.leader(tp);
      if (leader.isEmpty()) {
        metadata.invalidate();
        continue;
      }
      requests
          .computeIfAbsent(
              leader.get(),
              l ->
                  FetchRequest.newBuilder()
                      .setMaxWaitMs((int) Math.min(config.fetchMaxWaitMs(), maxWaitMs))
                      .setMinBytes(config.fetchMinBytes())
                      .setMaxBytes(config.fetchMaxBytes()))
          .addPartitions(
              FetchPartition.newBuilder()
                  .setTopic(tp.topic())
                  .setPartition(tp.partition())
                  .setFetchOffset(s.position)
                  .setPartitionMaxBytes(config.maxPartitionFetchBytes())
                  .setCurrentLeaderEpoch(leader.get().epoch()));
    }
    if (requests.isEmpty()) {
      return false;
    }
    Map<Cluster.Leader, ListenableFuture<FetchResponse>> calls = new LinkedHashMap<>();
    requests.forEach(
        (leader, req) ->
            calls.put(
                leader,
                BrokerServiceGrpc.newFutureStub(channels.channel(leader.address()))
                    .withDeadlineAfter(
                        config.requestTimeoutMs() + req.getMaxWaitMs(), TimeUnit.MILLISECONDS)
                    .fetch(req.build())));
    for (Map.Entry<Cluster.Leader, ListenableFuture<FetchResponse>> e : calls.entrySet()) {
      Cluster.Leader leader = e.getKey();
      try {
        FetchResponse response =
            e.getValue()
                .get(config.requestTimeoutMs() + config.fetchMaxWaitMs(), TimeUnit.MILLISECONDS);
        for (FetchPartitionData data : response.getPartitionsList()) {
          handleFetched(new TopicPartition(data.getTopic(), data.getPartition()), data);
        }
      } catch (ExecutionException | TimeoutException ex) {
        log.debug("{} fetch from broker {} failed: {}", prefix, leader, ex.toString());
        e.getValue().cancel(true);
        metadata.invalidate();
        backOff(requests.get(leader));
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        throw new LogbusException("interrupted while fetching", ex);
      }
    }
    return true;
  }

  private void backOff(FetchRequest.Builder req) {
    long until = clock.millis() + config.retryBackoffMs();
    for (FetchPartition p : req.getPartitionsList()) {
      PartitionState s = assigned.get(new TopicPartition(p.getTopic(), p.getPartition()));
      if (s != null) {
        s.retryAfterMs = until;
      }
    }
  }

  private void handleFetched(TopicPartition tp, FetchPartitionData data) {
    PartitionState s = assigned.get(tp);
    if (s == null || s.position == null) {
      return;
    }
    ErrorCode code = data.getError();
    if (code == ErrorCode.NONE) {
      s.highWatermark = data.getHighWatermark();
      long fetchOffset = s.position;
      long next = fetchOffset;
      for (RecordBatch batch : RecordBatches.parse(data.getRecords().asReadOnlyByteBuffer())) {
        if (batch.lastOffset() < fetchOffset) {
          continue;
        }
        for (Record r : batch.records()) {
          if (r.offset() < fetchOffset) {
            continue;
          }
          s.buffered.addLast(
              new ConsumerRecord(
                  tp.topic(),
                  tp.partition(),
                  r.offset(),
                  r.timestamp(),
                  r.key(),
                  r.value(),
                  r.headers()));
        }
        next = Math.max(next, batch.lastOffset() + 1);
      }
      s.positionAfterBuffer = next;
      return;
    }
    if (code == ErrorCode.OFFSET_OUT_OF_RANGE) {
      if (config.autoOffsetReset() == OffsetResetStrategy.NONE) {
        throw ApiException.of(
            code,
            data.getErrorMessage(),
            tp + " at offset " + s.position + " (log start " + data.getLogStartOffset() + ")");
      }
      log.info(
          "{} offset {} of {} out of range, resetting to {}",
          prefix,
          s.position,
          tp,
          config.autoOffsetReset());
      requestReset(tp, config.autoOffsetReset());
      return;
    }
    if (ApiException.invalidatesMetadata(code) || ApiException.isRetriable(code)) {
      metadata.invalidate();
      s.retryAfterMs = clock.millis() + config.retryBackoffMs();
      return;
    }
    throw ApiException.of(code, data.getErrorMessage(), tp.toString());
  }

  // ------------------------------------------------------------------ offsets

  /** Resolves positions of partitions that need a seek to beginning/end (or an initial reset). */
  private void resolvePositions(long deadline, boolean untilDone) {
    List<TopicPartition> earliest = new ArrayList<>();
    List<TopicPartition> latest = new ArrayList<>();
    assigned.forEach(
        (tp, s) -> {
          if (s.position == null) {
            OffsetResetStrategy strategy =
                s.pendingReset != null ? s.pendingReset : config.autoOffsetReset();
            if (strategy == OffsetResetStrategy.NONE) {
              throw new LogbusException(
                  "no position for " + tp + " and auto.offset.reset=none: seek first");
            }
            (strategy == OffsetResetStrategy.EARLIEST ? earliest : latest).add(tp);
          }
        });
    long bound =
        untilDone ? deadline : Math.min(deadline, clock.millis() + config.requestTimeoutMs());
    if (!earliest.isEmpty()) {
      applyPositions(tryListOffsets(earliest, -2, bound));
    }
    if (!latest.isEmpty()) {
      applyPositions(tryListOffsets(latest, -1, bound));
    }
  }

  private void applyPositions(Map<TopicPartition, Long> offsets) {
    offsets.forEach(
        (tp, offset) -> {
          PartitionState s = assigned.get(tp);
          s.position = offset;
          s.pendingReset = null;
        });
  }

  private Map<TopicPartition, Long> listOffsets(
      Collection<TopicPartition> partitions, long timestamp, long deadline) {
    ensureOpen();
    Map<TopicPartition, Long> out = tryListOffsets(partitions, timestamp, deadline);
    if (out.size() < partitions.size()) {
      throw new ClientTimeoutException(
          "could not list offsets of "
              + partitions.stream().filter(tp -> !out.containsKey(tp)).toList()
              + " within "
              + config.defaultApiTimeoutMs()
              + " ms");
    }
    return out;
  }

  /** Asks leaders until every partition has an answer or the deadline passes; partial result. */
  private Map<TopicPartition, Long> tryListOffsets(
      Collection<TopicPartition> partitions, long timestamp, long deadline) {
    Map<TopicPartition, Long> out = new HashMap<>();
    while (true) {
      Cluster cluster = refreshQuietly();
      Map<Cluster.Leader, ListOffsetsRequest.Builder> byLeader = new LinkedHashMap<>();
      for (TopicPartition tp : partitions) {
        if (out.containsKey(tp)) {
          continue;
        }
        if (cluster.fetchedAtMs() > 0 && !cluster.hasTopic(tp.topic())) {
          throw ApiException.of(ErrorCode.UNKNOWN_TOPIC, "", tp.topic());
        }
        var leader = cluster.leader(tp);
        if (leader.isEmpty()) {
          metadata.invalidate();
          continue;
        }
        byLeader
            .computeIfAbsent(leader.get(), l -> ListOffsetsRequest.newBuilder())
            .addPartitions(
                ListOffsetsPartition.newBuilder()
                    .setTopic(tp.topic())
                    .setPartition(tp.partition())
                    .setTimestamp(timestamp));
      }
      for (Map.Entry<Cluster.Leader, ListOffsetsRequest.Builder> e : byLeader.entrySet()) {
        try {
          ListOffsetsResponse r =
              BrokerServiceGrpc.newBlockingStub(channels.channel(e.getKey().address()))
                  .withDeadlineAfter(config.requestTimeoutMs(), TimeUnit.MILLISECONDS)
                  .listOffsets(e.getValue().build());
          for (ListOffsetsResult res : r.getPartitionsList()) {
            TopicPartition tp = new TopicPartition(res.getTopic(), res.getPartition());
            if (res.getError() == ErrorCode.NONE) {
              out.put(tp, res.getOffset());
            } else if (ApiException.isRetriable(res.getError())
                || ApiException.invalidatesMetadata(res.getError())) {
              metadata.invalidate();
            } else {
              throw ApiException.of(res.getError(), res.getErrorMessage(), tp.toString());
            }
          }
        } catch (StatusRuntimeException ex) {
          log.debug("{} ListOffsets at {} failed: {}", prefix, e.getKey(), ex.getStatus());
          metadata.invalidate();
        }
      }
      if (out.size() == partitions.size() || clock.millis() >= deadline) {
        return out;
      }
      sleepQuietly(Math.min(config.retryBackoffMs(), deadline - clock.millis()));
    }
  }

  private Cluster refreshQuietly() {
    try {
      if (metadata.current().fetchedAtMs() <= 0) {
        return metadata.refresh();
      }
      return metadata.refreshIfNeeded();
    } catch (BrokerUnavailableException e) {
      if (metadata.current().fetchedAtMs() <= 0) {
        throw e;
      }
      log.debug("{} metadata refresh failed: {}", prefix, e.getMessage());
      return metadata.current();
    }
  }

  private static void sleepQuietly(long ms) {
    if (ms <= 0) {
      return;
    }
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LogbusException("interrupted", e);
    }
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      channels.close();
    }
  }

  /** Builds a {@link LogbusConsumer}; defaults are Kafka's consumer defaults. */
  public static final class Builder {
    private String bootstrap;
    private String clientId = "consumer";
    private int fetchMinBytes = 1;
    private int fetchMaxWaitMs = 500;
    private int fetchMaxBytes = 52_428_800;
    private int maxPartitionFetchBytes = 1_048_576;
    private int maxPollRecords = 500;
    private OffsetResetStrategy reset = OffsetResetStrategy.LATEST;
    private long requestTimeoutMs = 30_000;
    private long retryBackoffMs = 100;
    private long defaultApiTimeoutMs = 60_000;
    private Clock clock = Clock.systemUTC();

    public Builder bootstrapServers(String servers) {
      this.bootstrap = servers;
      return this;
    }

    public Builder clientId(String id) {
      this.clientId = id;
      return this;
    }

    public Builder fetchMinBytes(int bytes) {
      this.fetchMinBytes = bytes;
      return this;
    }

    public Builder fetchMaxWaitMs(int ms) {
      this.fetchMaxWaitMs = ms;
      return this;
    }

    public Builder fetchMaxBytes(int bytes) {
      this.fetchMaxBytes = bytes;
      return this;
    }

    public Builder maxPartitionFetchBytes(int bytes) {
      this.maxPartitionFetchBytes = bytes;
      return this;
    }

    public Builder maxPollRecords(int n) {
      this.maxPollRecords = n;
      return this;
    }

    public Builder autoOffsetReset(OffsetResetStrategy strategy) {
      this.reset = strategy;
      return this;
    }

    public Builder requestTimeoutMs(long ms) {
      this.requestTimeoutMs = ms;
      return this;
    }

    public Builder retryBackoffMs(long ms) {
      this.retryBackoffMs = ms;
      return this;
    }

    public Builder defaultApiTimeoutMs(long ms) {
      this.defaultApiTimeoutMs = ms;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    public LogbusConsumer build() {
      if (bootstrap == null) {
        throw new ConfigException("bootstrap.servers", null, "required");
      }
      return new LogbusConsumer(
          new ConsumerConfig(
              HostPort.parseList("bootstrap.servers", bootstrap),
              clientId,
              fetchMinBytes,
              fetchMaxWaitMs,
              fetchMaxBytes,
              maxPartitionFetchBytes,
              maxPollRecords,
              reset,
              requestTimeoutMs,
              retryBackoffMs,
              defaultApiTimeoutMs),
          clock);
    }
  }
}
