package io.logbus.broker;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.logbus.log.EpochEndOffset;
import io.logbus.log.LogReadInfo;
import io.logbus.log.OffsetOutOfRangeException;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.replication.EpochAnswer;
import io.logbus.proto.replication.EpochQuery;
import io.logbus.proto.replication.FetchPosition;
import io.logbus.proto.replication.FollowerMessage;
import io.logbus.proto.replication.LeaderMessage;
import io.logbus.proto.replication.LeoReport;
import io.logbus.proto.replication.PartitionError;
import io.logbus.proto.replication.ReplicaData;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's side of one follower broker's replication stream (see replication.proto).
 *
 * <p>Inbound messages (hello, epoch queries, fetch positions, LEO reports) are handled on the gRPC
 * executor, one at a time (gRPC serializes a call's callbacks). Outbound data is pushed by a {@link
 * SerialRunner} woken by appends and HW moves of the followed partitions and by {@code onReady}: it
 * sends only while the transport is ready, so a slow follower costs no memory on the leader, only
 * lag. Every {@code onNext} goes through {@link #send}, which serializes it.
 *
 * <p>A HW move rides on the next push with records. Only when none comes within {@link
 * ReplicaManager#hwOnlyPushDelayMs()} is it sent alone: the follower's HW matters only for its
 * checkpoint and a failover, so under load it costs no message of its own, and when idle it is late
 * by at most that delay.
 */
final class FollowerSession implements StreamObserver<FollowerMessage> {
  private static final Logger log = LoggerFactory.getLogger(FollowerSession.class);

  /** One followed partition: where the next push starts and the last HW the follower was told. */
  private static final class Subscription {
    final Partition partition;
    final int leaderEpoch;
    long nextOffset;
    long lastSentHw = -1;
    long hwOnlyDueMs = -1; // when a HW move with no records to carry it is sent alone; -1 none

    Subscription(Partition partition, int leaderEpoch, long nextOffset) {
      this.partition = partition;
      this.leaderEpoch = leaderEpoch;
      this.nextOffset = nextOffset;
    }
  }

  private final ReplicaManager replicaManager;
  private final ServerCallStreamObserver<LeaderMessage> out;
  private final int maxBytes;
  private final SerialRunner sender;
  private final Runnable wake;
  private final Map<PartitionKey, Subscription> subscriptions = new ConcurrentHashMap<>();
  private volatile int followerId = -1;
  private volatile boolean closed;
  private String prefix;

  FollowerSession(
      ReplicaManager replicaManager,
      ServerCallStreamObserver<LeaderMessage> out,
      Executor senderExecutor,
      int maxBytes) {
    this.replicaManager = replicaManager;
    this.out = out;
    this.maxBytes = maxBytes;
    this.sender = new SerialRunner(senderExecutor, this::pump);
    this.wake = sender::wake;
    this.prefix = "[node-" + replicaManager.brokerId() + " <- ?]";
    out.setOnReadyHandler(wake);
    out.setOnCancelHandler(this::close);
  }

  @Override
  public void onNext(FollowerMessage message) {
    if (closed) {
      return;
    }
    switch (message.getKindCase()) {
      case HELLO -> {
        followerId = message.getHello().getFollowerId();
        prefix = "[node-" + replicaManager.brokerId() + " <- " + followerId + "]";
        log.debug("{} follower connected", prefix);
      }
      case EPOCH_QUERY -> onEpochQuery(message.getEpochQuery());
      case FETCH -> onFetchPosition(message.getFetch());
      case LEO -> onLeoReport(message.getLeo());
      case LEOS -> message.getLeos().getReportsList().forEach(this::onLeoReport);
      case STOP ->
          unsubscribe(
              new PartitionKey(message.getStop().getTopic(), message.getStop().getPartition()));
      default -> {
        close();
        synchronized (out) {
          out.onError(
              Status.INVALID_ARGUMENT
                  .withDescription("unknown replication message " + message.getKindCase())
                  .asRuntimeException());
        }
      }
    }
  }

  private boolean helloMissing(String topic, int partition, int epoch) {
    if (followerId >= 0) {
      return false;
    }
    sendError(
        topic, partition, epoch, ErrorCode.INVALID_REQUEST, "FollowerHello must come first", -1);
    return true;
  }

  private void onEpochQuery(EpochQuery query) {
    if (helloMissing(query.getTopic(), query.getPartition(), -1)) {
      return;
    }
    try {
      Partition partition = replicaManager.hosted(query.getTopic(), query.getPartition());
      partition.checkLeader(query.getCurrentLeaderEpoch());
      EpochEndOffset end = partition.endOffsetForEpoch(query.getEpoch());
      send(
          LeaderMessage.newBuilder()
              .setEpochAnswer(
                  EpochAnswer.newBuilder()
                      .setTopic(query.getTopic())
                      .setPartition(query.getPartition())
                      .setLeaderEpoch(partition.leaderEpoch())
                      .setEpoch(end.leaderEpoch())
                      .setEndOffset(end.endOffset()))
              .build());
    } catch (RuntimeException e) {
      sendFailure(query.getTopic(), query.getPartition(), e);
    }
  }

  /**
   * Starts pushing from the follower's log end, after checking (KIP-320 style) that the batch just
   * below it has the epoch the leader's log has there; if not, answers with where the follower's
   * last epoch ends here, and the follower truncates and asks again.
   */
  private void onFetchPosition(FetchPosition fetch) {
    if (helloMissing(fetch.getTopic(), fetch.getPartition(), fetch.getCurrentLeaderEpoch())) {
      return;
    }
    PartitionKey key = new PartitionKey(fetch.getTopic(), fetch.getPartition());
    try {
      if (fetch.getFetchOffset() < 0) {
        throw BrokerException.invalidRequest("fetch_offset must be >= 0");
      }
      Partition partition = replicaManager.hosted(fetch.getTopic(), fetch.getPartition());
      partition.checkLeader(fetch.getCurrentLeaderEpoch());
      long offset = fetch.getFetchOffset();
      boolean diverged = offset > partition.logEndOffset();
      EpochEndOffset end = null;
      if (fetch.getLastFetchedEpoch() >= 0) {
        end = partition.endOffsetForEpoch(fetch.getLastFetchedEpoch());
        diverged |= end.leaderEpoch() != fetch.getLastFetchedEpoch() || end.endOffset() < offset;
      }
      if (diverged) {
        int epoch = end != null ? end.leaderEpoch() : partition.latestEpoch().orElse(-1);
        long endOffset = end != null ? end.endOffset() : partition.logEndOffset();
        unsubscribe(key);
        send(
            LeaderMessage.newBuilder()
                .setEpochAnswer(
                    EpochAnswer.newBuilder()
                        .setTopic(key.topic())
                        .setPartition(key.partition())
                        .setLeaderEpoch(partition.leaderEpoch())
                        .setEpoch(epoch)
                        .setEndOffset(endOffset))
                .build());
        return;
      }
      partition.lowerFollowerLogEndOffset(followerId, fetch.getCurrentLeaderEpoch(), offset);
      Subscription previous =
          subscriptions.put(key, new Subscription(partition, partition.leaderEpoch(), offset));
      if (previous == null || previous.partition != partition) {
        if (previous != null) {
          previous.partition.removeListener(wake);
        }
        partition.addListener(wake);
      }
      partition.changed();
      sender.wake();
    } catch (RuntimeException e) {
      unsubscribe(key);
      sendFailure(fetch.getTopic(), fetch.getPartition(), e);
    }
  }

  private void onLeoReport(LeoReport report) {
    if (helloMissing(report.getTopic(), report.getPartition(), report.getCurrentLeaderEpoch())) {
      return;
    }
    try {
      Partition partition = replicaManager.hosted(report.getTopic(), report.getPartition());
      partition.updateFollowerLogEndOffset(
          followerId, report.getCurrentLeaderEpoch(), report.getLogEndOffset());
      partition.changed();
    } catch (RuntimeException e) {
      unsubscribe(new PartitionKey(report.getTopic(), report.getPartition()));
      sendFailure(report.getTopic(), report.getPartition(), e);
    }
  }

  private void unsubscribe(PartitionKey key) {
    Subscription removed = subscriptions.remove(key);
    if (removed != null) {
      removed.partition.removeListener(wake);
    }
  }

  /** Pushes data and HW moves, round-robin over partitions, while the transport is ready. */
  private void pump() {
    boolean progress = true;
    while (progress && !closed) {
      progress = false;
      for (Map.Entry<PartitionKey, Subscription> entry : subscriptions.entrySet()) {
        if (closed || !out.isReady()) {
          return;
        }
        try {
          progress |= pushOne(entry.getKey(), entry.getValue());
        } catch (RuntimeException e) {
          subscriptions.remove(entry.getKey(), entry.getValue());
          entry.getValue().partition.removeListener(wake);
          sendFailure(entry.getKey().topic(), entry.getKey().partition(), e);
        }
      }
    }
  }

  private boolean pushOne(PartitionKey key, Subscription sub) {
    Partition partition = sub.partition;
    if (partition.leaderEpoch() != sub.leaderEpoch || partition.role() != Partition.Role.LEADER) {
      throw BrokerException.notLeader(
          key.toString(), partition.leaderId(), partition.leaderEpoch());
    }
    long hw = partition.highWatermark();
    if (sub.nextOffset < partition.logEndOffset()) {
      LogReadInfo read;
      try {
        read = partition.readForFollower(sub.nextOffset, maxBytes);
      } catch (OffsetOutOfRangeException e) {
        subscriptions.remove(key, sub);
        partition.removeListener(wake);
        sendError(
            key.topic(),
            key.partition(),
            sub.leaderEpoch,
            ErrorCode.OFFSET_OUT_OF_RANGE,
            e.getMessage(),
            partition.logStartOffset());
        return true;
      }
      ByteBuffer records = read.records();
      if (!records.hasRemaining()) {
        return false;
      }
      long next = Batches.nextOffset(records, sub.nextOffset);
      send(data(key, sub, sub.nextOffset, hw, partition.logStartOffset(), records));
      replicaManager.metrics().replicationPushed(true);
      sub.nextOffset = next;
      sub.lastSentHw = hw;
      sub.hwOnlyDueMs = -1;
      return true;
    }
    if (hw == sub.lastSentHw) {
      return false;
    }
    long now = replicaManager.nowMs();
    if (sub.hwOnlyDueMs < 0) {
      // Wait for records to carry it; the wake-up sends it alone if none came by then.
      long delay = replicaManager.hwOnlyPushDelayMs();
      sub.hwOnlyDueMs = now + delay;
      replicaManager.scheduler().schedule(wake, delay, TimeUnit.MILLISECONDS);
      return false;
    }
    if (now < sub.hwOnlyDueMs) {
      return false;
    }
    send(data(key, sub, sub.nextOffset, hw, partition.logStartOffset(), ByteBuffer.allocate(0)));
    replicaManager.metrics().replicationPushed(false);
    sub.lastSentHw = hw;
    sub.hwOnlyDueMs = -1;
    return true;
  }

  private static LeaderMessage data(
      PartitionKey key,
      Subscription sub,
      long fetchOffset,
      long hw,
      long logStart,
      ByteBuffer records) {
    return LeaderMessage.newBuilder()
        .setData(
            ReplicaData.newBuilder()
                .setTopic(key.topic())
                .setPartition(key.partition())
                .setLeaderEpoch(sub.leaderEpoch)
                .setHighWatermark(hw)
                .setLogStartOffset(logStart)
                .setFetchOffset(fetchOffset)
                // The read buffer is private to this push and never written again: no copy.
                .setRecords(UnsafeByteOperations.unsafeWrap(records)))
        .build();
  }

  private void sendFailure(String topic, int partition, Throwable failure) {
    Throwable cause = ErrorMapping.unwrap(failure);
    ErrorCode code = ErrorMapping.code(cause);
    int epoch = -1;
    if (cause instanceof BrokerException be && be.leader() != null) {
      epoch = be.leader().getLeaderEpoch();
    }
    if (code == ErrorCode.UNKNOWN_SERVER_ERROR) {
      log.warn("{} {}-{} replication failed", prefix, topic, partition, cause);
    } else {
      log.debug("{} {}-{}: {}", prefix, topic, partition, cause.getMessage());
    }
    sendError(topic, partition, epoch, code, ErrorMapping.message(cause), -1);
  }

  private void sendError(
      String topic, int partition, int epoch, ErrorCode code, String message, long logStart) {
    send(
        LeaderMessage.newBuilder()
            .setError(
                PartitionError.newBuilder()
                    .setTopic(topic)
                    .setPartition(partition)
                    .setLeaderEpoch(epoch)
                    .setError(code)
                    .setMessage(message)
                    .setLogStartOffset(logStart))
            .build());
  }

  /** The only caller of {@code out.onNext}. */
  private void send(LeaderMessage message) {
    synchronized (out) {
      if (closed || out.isCancelled()) {
        return;
      }
      try {
        out.onNext(message);
      } catch (RuntimeException e) {
        // The call was cancelled under us; the cancel handler cleans up.
        log.debug("{} send failed: {}", prefix, e.toString());
      }
    }
  }

  @Override
  public void onError(Throwable t) {
    log.debug("{} follower stream failed: {}", prefix, t.toString());
    close();
  }

  @Override
  public void onCompleted() {
    close();
    synchronized (out) {
      try {
        out.onCompleted();
      } catch (RuntimeException e) {
        log.debug("{} completing stream: {}", prefix, e.toString());
      }
    }
  }

  private void close() {
    closed = true;
    for (PartitionKey key : subscriptions.keySet()) {
      unsubscribe(key);
    }
  }
}
