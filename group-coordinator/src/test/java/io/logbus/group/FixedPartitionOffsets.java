package io.logbus.group;

import java.util.concurrent.CompletableFuture;

/**
 * PartitionOffsets for reset tests: every partition spans [earliest, latest), and records are
 * timestamped so that offset o has timestamp {@code o * 1000}.
 */
final class FixedPartitionOffsets implements PartitionOffsets {
  final long earliest;
  final long latest;

  FixedPartitionOffsets(long earliest, long latest) {
    this.earliest = earliest;
    this.latest = latest;
  }

  @Override
  public CompletableFuture<Long> earliest(TopicPartition tp) {
    return CompletableFuture.completedFuture(earliest);
  }

  @Override
  public CompletableFuture<Long> latest(TopicPartition tp) {
    return CompletableFuture.completedFuture(latest);
  }

  @Override
  public CompletableFuture<Long> forTimestamp(TopicPartition tp, long timestampMs) {
    long offset = (timestampMs + 999) / 1000;
    return CompletableFuture.completedFuture(Math.max(earliest, Math.min(latest, offset)));
  }
}
