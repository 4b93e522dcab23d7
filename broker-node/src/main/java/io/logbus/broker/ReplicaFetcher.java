package io.logbus.broker;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.logbus.log.EpochEndOffset;
import io.logbus.log.LogAppendInfo;
import io.logbus.log.LogStorageException;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.replication.EpochAnswer;
import io.logbus.proto.replication.EpochQuery;
import io.logbus.proto.replication.FetchPosition;
import io.logbus.proto.replication.FollowerHello;
import io.logbus.proto.replication.FollowerMessage;
import io.logbus.proto.replication.LeaderMessage;
import io.logbus.proto.replication.LeoReport;
import io.logbus.proto.replication.LeoReports;
import io.logbus.proto.replication.PartitionError;
import io.logbus.proto.replication.ReplicaData;
import io.logbus.proto.replication.ReplicationServiceGrpc;
import io.logbus.proto.replication.StopFetching;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The follower's side of one replication stream to one leader broker, multiplexing every partition
 * this broker follows from it (see replication.proto for the exchange).
 *
 * <p>Per partition: ask where our latest epoch ends in the leader's log, truncate to where the logs
 * agree, send our fetch position, then append what the leader pushes and report the log end offset
 * once each append is durable (after the group fsync with flush=group), so the leader's HW never
 * counts bytes a power loss could take from us.
 *
 * <p>Threads: inbound messages run on the callback executor, serialized by gRPC. A durable append
 * (completed on the log's flusher thread) only records its end in the partition's state and wakes
 * {@link #leoSender}, which sends the latest end of every partition that moved in one message:
 * reports coalesce per stream, and the flusher does no protobuf work. {@link #send} serializes
 * {@code onNext} under {@code sendLock}, apart from the monitor that guards the stream's lifecycle,
 * so inbound messages never wait for a send. A broken stream is reopened after a backoff on the
 * scheduler, and every partition starts over with the epoch query.
 */
final class ReplicaFetcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReplicaFetcher.class);
  private static final long RETRY_MS = 100;
  private static final long MAX_RECONNECT_MS = 1_000;

  private static final class FetchState {
    final Partition partition;
    final int leaderEpoch;
    volatile long requestedOffset = -1;

    /** The latest end of ours that is durable and not yet reported by {@link #leoSender}. */
    final AtomicLong durableEnd = new AtomicLong(-1);

    /** The latest end {@link #leoSender} reported; touched by it only. */
    long reportedEnd = -1;

    FetchState(Partition partition, int leaderEpoch) {
      this.partition = partition;
      this.leaderEpoch = leaderEpoch;
    }
  }

  private final int brokerId;
  private final int leaderId;
  private final BrokerAddresses addresses;
  private final ScheduledExecutorService scheduler;
  private final Executor callbackExecutor;
  private final Map<PartitionKey, FetchState> states = new ConcurrentHashMap<>();
  private final String prefix;
  private final BrokerMetrics metrics;
  private final SerialRunner leoSender;

  /** Serializes onNext on the stream; never held with the monitor taken inside it. */
  private final Object sendLock = new Object();

  private ManagedChannel channel;
  private String channelAddress;
  private volatile StreamObserver<FollowerMessage> requests;
  private Responses currentResponses;
  // Volatile, not guarded: every inbound message resets it, and must not take the monitor for it.
  private volatile long reconnectDelayMs = RETRY_MS;
  private boolean reconnectScheduled;
  private volatile boolean closed;

  ReplicaFetcher(
      int brokerId,
      int leaderId,
      BrokerAddresses addresses,
      ScheduledExecutorService scheduler,
      Executor callbackExecutor,
      int maxBytes,
      BrokerMetrics metrics) {
    this.brokerId = brokerId;
    this.metrics = metrics;
    this.leoSender = new SerialRunner(callbackExecutor, this::sendLeoReports);
    this.leaderId = leaderId;
    this.addresses = addresses;
    this.scheduler = scheduler;
    this.callbackExecutor = callbackExecutor;
    this.prefix = "[node-" + brokerId + " -> " + leaderId + "]";
  }

  void addPartition(Partition partition, int leaderEpoch) {
    FetchState state = new FetchState(partition, leaderEpoch);
    states.put(partition.key(), state);
    if (ensureStream()) {
      start(state);
    }
  }

  /** Returns true when no partition is left (the caller closes this fetcher). */
  boolean removePartition(PartitionKey key) {
    if (states.remove(key) != null) {
      send(
          FollowerMessage.newBuilder()
              .setStop(
                  StopFetching.newBuilder().setTopic(key.topic()).setPartition(key.partition()))
              .build());
    }
    return states.isEmpty();
  }

  // ------------------------------------------------------------------ stream lifecycle

  /** Opens the stream if needed; false if the leader's address is unknown (retried later). */
  private synchronized boolean ensureStream() {
    if (closed) {
      return false;
    }
    if (requests != null) {
      return true;
    }
    String address = addresses.address(leaderId);
    if (address == null) {
      scheduleReconnect();
      return false;
    }
    if (channel == null || !address.equals(channelAddress)) {
      if (channel != null) {
        channel.shutdownNow();
      }
      channel =
          NettyChannelBuilder.forTarget(address)
              .usePlaintext()
              .executor(callbackExecutor)
              .maxInboundMessageSize(64 << 20)
              .build();
      channelAddress = address;
    }
    Responses responses = new Responses();
    currentResponses = responses;
    StreamObserver<FollowerMessage> stream =
        ReplicationServiceGrpc.newStub(channel).replicate(responses);
    synchronized (sendLock) {
      // Published only after the hello went out: nothing may overtake it on the stream.
      stream.onNext(
          FollowerMessage.newBuilder()
              .setHello(FollowerHello.newBuilder().setFollowerId(brokerId).setBrokerEpoch(-1))
              .build());
      requests = stream;
    }
    log.debug("{} replication stream opened to {}", prefix, address);
    return true;
  }

  private synchronized void streamFailed(StreamObserver<LeaderMessage> which, Throwable t) {
    if (closed || which != currentResponses) {
      return;
    }
    log.debug("{} replication stream broke: {}", prefix, t == null ? "completed" : t.toString());
    requests = null;
    scheduleReconnect();
  }

  private synchronized void scheduleReconnect() {
    if (reconnectScheduled || closed) {
      return;
    }
    reconnectScheduled = true;
    long delay = reconnectDelayMs;
    reconnectDelayMs = Math.min(MAX_RECONNECT_MS, reconnectDelayMs * 2);
    scheduler.schedule(this::reconnect, delay, TimeUnit.MILLISECONDS);
  }

  private void reconnect() {
    synchronized (this) {
      reconnectScheduled = false;
    }
    if (states.isEmpty() || !ensureStream()) {
      return;
    }
    states.values().forEach(this::start);
  }

  // ------------------------------------------------------------------ protocol

  /** Step 1: where does our latest epoch end in the leader's log? (none yet: fetch right away). */
  private void start(FetchState state) {
    PartitionKey key = state.partition.key();
    OptionalInt latest = state.partition.latestEpoch();
    if (latest.isEmpty()) {
      sendFetch(state);
      return;
    }
    send(
        FollowerMessage.newBuilder()
            .setEpochQuery(
                EpochQuery.newBuilder()
                    .setTopic(key.topic())
                    .setPartition(key.partition())
                    .setCurrentLeaderEpoch(state.leaderEpoch)
                    .setEpoch(latest.getAsInt()))
            .build());
  }

  /** Step 2 (KIP-101/279): truncate to where the logs agree, then fetch from there. */
  private void onEpochAnswer(EpochAnswer answer) {
    FetchState state = current(answer.getTopic(), answer.getPartition(), answer.getLeaderEpoch());
    if (state == null) {
      return;
    }
    Partition partition = state.partition;
    long target;
    if (answer.getEpoch() < 0 || answer.getEndOffset() < 0) {
      // The leader has no epoch at or below ours (UNDEFINED_EPOCH_OFFSET). Kafka's rule
      // (AbstractFetcherThread): truncate to the initial fetch offset, our high watermark. What is
      // below it was committed, so the leader (from the ISR) has it; if its log now starts later,
      // the fetch gets OFFSET_OUT_OF_RANGE and we restart at its log start.
      target = Math.min(partition.highWatermark(), partition.logEndOffset());
    } else {
      target = Math.min(answer.getEndOffset(), partition.logEndOffset());
      OptionalInt ours = partition.latestEpoch();
      if (ours.isPresent() && ours.getAsInt() != answer.getEpoch()) {
        EpochEndOffset local = partition.endOffsetForEpoch(answer.getEpoch());
        if (local.leaderEpoch() == answer.getEpoch()) {
          target = Math.min(target, local.endOffset());
        } else {
          // Where our largest epoch below the leader's ends. If we have none (every batch here
          // is from an epoch the leader's log lacks), nothing is shared: log start. Kafka takes
          // the leader's end there, but only for logs written before epochs were tracked.
          target = Math.min(target, Math.max(local.endOffset(), partition.logStartOffset()));
        }
      }
    }
    partition.truncateTo(state.leaderEpoch, Math.max(target, partition.logStartOffset()));
    sendFetch(state);
  }

  private void sendFetch(FetchState state) {
    PartitionKey key = state.partition.key();
    long offset = state.partition.logEndOffset();
    state.requestedOffset = offset;
    send(
        FollowerMessage.newBuilder()
            .setFetch(
                FetchPosition.newBuilder()
                    .setTopic(key.topic())
                    .setPartition(key.partition())
                    .setCurrentLeaderEpoch(state.leaderEpoch)
                    .setFetchOffset(offset)
                    .setLastFetchedEpoch(state.partition.latestEpoch().orElse(-1)))
            .build());
    // What is already fsynced here counts for the leader's HW now; the rest once it is durable.
    // Sent even when it is 0: an empty follower of an empty leader is caught up, and if it never
    // said so the leader would drop it from the ISR, and with min.insync.replicas > 1 no write
    // could ever be appended for it to catch up with.
    long durable = Math.min(offset, state.partition.log().recoveryPoint());
    if (durable >= 0) {
      reportLogEnd(state, key, durable);
    }
  }

  /** Tells the leader our log end up to {@code durableEnd} is fsynced and may count for its HW. */
  private void reportLogEnd(FetchState state, PartitionKey key, long durableEnd) {
    send(FollowerMessage.newBuilder().setLeo(leoReport(state, key, durableEnd)).build());
    metrics.leoReportsSent(1);
  }

  private static LeoReport leoReport(FetchState state, PartitionKey key, long durableEnd) {
    return LeoReport.newBuilder()
        .setTopic(key.topic())
        .setPartition(key.partition())
        .setCurrentLeaderEpoch(state.leaderEpoch)
        .setLogEndOffset(durableEnd)
        .build();
  }

  /**
   * The {@link #leoSender} pass: one message with the latest durable end of every partition that
   * moved since its last report (the leader keeps only the largest anyway).
   */
  private void sendLeoReports() {
    List<LeoReport> reports = new ArrayList<>();
    for (FetchState state : states.values()) {
      long end = state.durableEnd.get();
      if (end > state.reportedEnd) {
        reports.add(leoReport(state, state.partition.key(), end));
        state.reportedEnd = end;
      }
    }
    if (reports.isEmpty()) {
      return;
    }
    FollowerMessage.Builder message = FollowerMessage.newBuilder();
    if (reports.size() == 1) {
      message.setLeo(reports.get(0));
    } else {
      message.setLeos(LeoReports.newBuilder().addAllReports(reports));
    }
    send(message.build());
    metrics.leoReportsSent(reports.size());
  }

  /** Step 3: append what the leader pushed; report the log end once it is durable. */
  private void onData(ReplicaData data) {
    FetchState state = current(data.getTopic(), data.getPartition(), data.getLeaderEpoch());
    if (state == null) {
      return;
    }
    Partition partition = state.partition;
    ByteBuffer records = data.getRecords().asReadOnlyByteBuffer();
    if (records.hasRemaining()) {
      long end = partition.logEndOffset();
      if (data.getFetchOffset() != end) {
        // A push that continues from a position we no longer hold (sent before our last fetch
        // position or truncation). If we are behind what the leader pushes, ask again from our
        // end; a push from our end will follow.
        if (Batches.firstOffset(records) > end && state.requestedOffset != end) {
          sendFetch(state);
        }
        return;
      }
      // Continues exactly from our log end: its first batch may start later than `end` when
      // compaction removed the offsets in between, which a follower must accept to keep up.
    }
    LogAppendInfo info =
        partition.appendAsFollower(state.leaderEpoch, records, data.getHighWatermark());
    if (info == null) {
      return;
    }
    long reported = info.lastOffset() + 1;
    PartitionKey key = partition.key();
    info.durable()
        .whenComplete(
            (ok, failure) -> {
              if (failure != null) {
                log.error("{} {} flush failed; not reporting {}", prefix, key, reported, failure);
                if (ErrorMapping.unwrap(failure) instanceof LogStorageException e) {
                  partition.storageFailed(e);
                }
                return;
              }
              state.durableEnd.accumulateAndGet(reported, Math::max);
              leoSender.wake();
            });
  }

  private void onPartitionError(PartitionError error) {
    PartitionKey key = new PartitionKey(error.getTopic(), error.getPartition());
    FetchState state = states.get(key);
    if (state == null) {
      return;
    }
    if (error.getError() == ErrorCode.OFFSET_OUT_OF_RANGE && error.getLogStartOffset() >= 0) {
      if (error.getLogStartOffset() > state.partition.logEndOffset()) {
        state.partition.truncateFullyAndStartAt(state.leaderEpoch, error.getLogStartOffset());
      }
      sendFetch(state);
      return;
    }
    // NOT_LEADER / UNKNOWN_LEADER_EPOCH / UNKNOWN_PARTITION: the leader has not applied the
    // metadata we act on yet. FENCED_LEADER_EPOCH: we are behind; new metadata will move us.
    log.debug("{} {}: {} {}; retrying", prefix, key, error.getError(), error.getMessage());
    scheduler.schedule(
        () -> {
          if (states.get(key) == state && !closed) {
            start(state);
          }
        },
        RETRY_MS,
        TimeUnit.MILLISECONDS);
  }

  private FetchState current(String topic, int partition, int leaderEpoch) {
    FetchState state = states.get(new PartitionKey(topic, partition));
    return state != null && state.leaderEpoch == leaderEpoch ? state : null;
  }

  private void send(FollowerMessage message) {
    synchronized (sendLock) {
      StreamObserver<FollowerMessage> stream = requests;
      if (stream == null || closed) {
        return;
      }
      try {
        stream.onNext(message);
      } catch (RuntimeException e) {
        log.debug("{} send failed: {}", prefix, e.toString());
      }
    }
  }

  private final class Responses implements StreamObserver<LeaderMessage> {
    @Override
    public void onNext(LeaderMessage message) {
      if (closed) {
        return;
      }
      try {
        if (reconnectDelayMs != RETRY_MS) {
          reconnectDelayMs = RETRY_MS;
        }
        switch (message.getKindCase()) {
          case DATA -> onData(message.getData());
          case EPOCH_ANSWER -> onEpochAnswer(message.getEpochAnswer());
          case ERROR -> onPartitionError(message.getError());
          default -> log.warn("{} unknown message {}", prefix, message.getKindCase());
        }
      } catch (RuntimeException e) {
        // A role change under us (fenced) or a bad batch: this partition restarts, others go on.
        log.debug("{} handling {} failed: {}", prefix, message.getKindCase(), e.toString());
      }
    }

    @Override
    public void onError(Throwable t) {
      streamFailed(this, t);
    }

    @Override
    public void onCompleted() {
      streamFailed(this, null);
    }
  }

  @Override
  public void close() {
    StreamObserver<FollowerMessage> stream;
    ManagedChannel toClose;
    synchronized (this) {
      closed = true;
      stream = requests;
      requests = null;
      toClose = channel;
      channel = null;
    }
    if (stream != null) {
      synchronized (sendLock) {
        try {
          stream.onCompleted();
        } catch (RuntimeException e) {
          log.debug("{} closing stream: {}", prefix, e.toString());
        }
      }
    }
    if (toClose != null) {
      toClose.shutdownNow();
    }
  }
}
