package io.logbus.broker.group;

import io.logbus.broker.BrokerException;
import io.logbus.broker.ErrorMapping;
import io.logbus.broker.Partition;
import io.logbus.broker.PartitionKey;
import io.logbus.broker.ReplicaManager;
import io.logbus.group.GroupConfig;
import io.logbus.group.GroupException;
import io.logbus.group.OffsetsLog;
import io.logbus.log.PartitionLog;
import io.logbus.proto.ErrorCode;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * {@link OffsetsLog} over this broker's leader replicas of {@code __consumer_offsets}: an append is
 * a Produce with acks=-1 (refused with NOT_ENOUGH_REPLICAS below min.insync.replicas, answered once
 * the high watermark passes the batch and the leader's append is durable); a read returns whole
 * batches of the local log up to its log end offset, as the loader needs (see the interface).
 *
 * <p>Errors: whatever says "this broker does not lead that partition" (no replica, NOT_LEADER,
 * leadership lost while waiting, a fenced epoch) fails with a {@link GroupException} of
 * NOT_COORDINATOR, which the coordinator hands to the client as is; a write that could not reach
 * enough replicas in time fails with COORDINATOR_NOT_AVAILABLE (Kafka's answer: the client retries,
 * finding the coordinator again).
 *
 * <p>Threads: any. Futures complete on {@code completions}, never on the appending thread or a
 * replication thread, because the coordinator's callbacks take the lock its appenders hold.
 */
public final class ReplicatedOffsetsLog implements OffsetsLog {

  private final ReplicaManager replicas;
  private final Executor completions;
  private final int appendTimeoutMs;

  public ReplicatedOffsetsLog(ReplicaManager replicas, Executor completions, int appendTimeoutMs) {
    this.replicas = replicas;
    this.completions = completions;
    this.appendTimeoutMs = appendTimeoutMs;
  }

  @Override
  public CompletableFuture<Long> append(int partition, ByteBuffer batches) {
    CompletableFuture<Long> appended;
    try {
      appended =
          replicas
              .appendRecords(GroupConfig.OFFSETS_TOPIC, partition, batches, -1, appendTimeoutMs)
              .thenApply(outcome -> outcome.baseOffset());
    } catch (RuntimeException e) {
      appended = CompletableFuture.failedFuture(e);
    }
    CompletableFuture<Long> answer = new CompletableFuture<>();
    appended.whenCompleteAsync(
        (offset, failure) -> {
          if (failure == null) {
            answer.complete(offset);
          } else {
            answer.completeExceptionally(translate(partition, failure));
          }
        },
        completions);
    return answer;
  }

  @Override
  public CompletableFuture<ByteBuffer> read(int partition, long fromOffset, int maxBytes) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            Partition p = leader(partition);
            PartitionLog log = p.log();
            long end = log.logEndOffset();
            long from = Math.max(fromOffset, log.logStartOffset());
            if (from >= end) {
              return ByteBuffer.allocate(0);
            }
            return log.read(from, maxBytes, end).records();
          } catch (RuntimeException e) {
            throw translate(partition, e);
          }
        },
        completions);
  }

  private Partition leader(int partition) {
    Partition p = replicas.hosted(GroupConfig.OFFSETS_TOPIC, partition);
    if (p.role() != Partition.Role.LEADER) {
      throw notCoordinator(partition, "this broker is " + p.role() + ", not the leader");
    }
    return p;
  }

  private static RuntimeException translate(int partition, Throwable failure) {
    Throwable cause = ErrorMapping.unwrap(failure);
    if (cause instanceof GroupException g) {
      return g;
    }
    if (cause instanceof BrokerException b) {
      return switch (b.code()) {
        case NOT_LEADER, UNKNOWN_PARTITION, FENCED_LEADER_EPOCH, UNKNOWN_TOPIC ->
            notCoordinator(partition, b.getMessage());
        case NOT_ENOUGH_REPLICAS, NOT_ENOUGH_REPLICAS_AFTER_APPEND, REQUEST_TIMED_OUT ->
            new GroupException(
                ErrorCode.COORDINATOR_NOT_AVAILABLE,
                new PartitionKey(GroupConfig.OFFSETS_TOPIC, partition)
                    + ": write not replicated: "
                    + b.code()
                    + ": "
                    + b.getMessage());
        default -> b;
      };
    }
    return cause instanceof RuntimeException r ? r : new IllegalStateException(cause);
  }

  private static GroupException notCoordinator(int partition, String why) {
    return new GroupException(
        ErrorCode.NOT_COORDINATOR,
        new PartitionKey(GroupConfig.OFFSETS_TOPIC, partition) + ": " + why);
  }
}
