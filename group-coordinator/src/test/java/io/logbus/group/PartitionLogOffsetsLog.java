package io.logbus.group;

import io.logbus.log.LogAppendInfo;
import io.logbus.log.LogConfig;
import io.logbus.log.LogManager;
import io.logbus.log.PartitionLog;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * {@link OffsetsLog} over real log-store partitions of __consumer_offsets on one broker
 * (replication factor 1: the leader is the whole ISR, so acks=all = appended, high watermark
 * advanced, fsynced by the group flusher). The shape broker-node's implementation takes over its
 * replica manager.
 */
final class PartitionLogOffsetsLog implements OffsetsLog {

  static final LogConfig COMPACTED =
      LogConfig.fromMap(
          Map.of(LogConfig.CLEANUP_POLICY, "compact", LogConfig.SEGMENT_BYTES, "4096"),
          LogConfig.defaults());

  private final LogManager logs;
  int leaderEpoch = 0;

  PartitionLogOffsetsLog(LogManager logs) {
    this.logs = logs;
  }

  PartitionLog log(int partition) {
    return logs.getOrCreate(GroupConfig.OFFSETS_TOPIC, partition, COMPACTED);
  }

  @Override
  public CompletableFuture<Long> append(int partition, ByteBuffer batches) {
    try {
      PartitionLog log = log(partition);
      LogAppendInfo info = log.appendAsLeader(batches, leaderEpoch);
      log.updateHighWatermark(info.lastOffset() + 1);
      return info.durable().thenApply(v -> info.firstOffset());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public CompletableFuture<ByteBuffer> read(int partition, long fromOffset, int maxBytes) {
    try {
      PartitionLog log = log(partition);
      long from = Math.max(fromOffset, log.logStartOffset());
      return CompletableFuture.completedFuture(
          log.read(from, maxBytes, log.logEndOffset()).records());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
