package io.logbus.broker.group;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.logbus.broker.ClusterMetadata;
import io.logbus.broker.ErrorMapping;
import io.logbus.broker.ImageClusterMetadata;
import io.logbus.broker.Partition;
import io.logbus.broker.PartitionAssignment;
import io.logbus.broker.PartitionKey;
import io.logbus.broker.ReplicaManager;
import io.logbus.group.GroupException;
import io.logbus.group.PartitionOffsets;
import io.logbus.group.TopicPartition;
import io.logbus.log.TimestampOffset;
import io.logbus.proto.BrokerServiceGrpc;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.ListOffsetsPartition;
import io.logbus.proto.ListOffsetsRequest;
import io.logbus.proto.ListOffsetsResponse;
import io.logbus.proto.ListOffsetsResult;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Offsets of data partitions for ResetOffsets and DescribeGroup, with ListOffsets semantics (-2 =
 * log start, -1 = high watermark, else the first offset at or after a timestamp): from the local
 * replica when this broker leads the partition, else by a ListOffsets call to the leader. Failures
 * are {@link GroupException}s carrying the broker's code (UNKNOWN_TOPIC, NOT_LEADER, ...).
 *
 * <p>Threads: any; never blocks. Owns one channel per peer broker, closed by {@link #close()}.
 */
public final class LeaderPartitionOffsets implements PartitionOffsets, AutoCloseable {
  private static final long PEER_TIMEOUT_MS = 5_000;
  private static final long EARLIEST = -2;
  private static final long LATEST = -1;

  private final ReplicaManager replicas;
  private final ClusterMetadata cluster;
  private final ImageClusterMetadata addresses;
  private final Executor executor;
  private final Map<String, ManagedChannel> peers = new ConcurrentHashMap<>();

  public LeaderPartitionOffsets(
      ReplicaManager replicas,
      ClusterMetadata cluster,
      ImageClusterMetadata addresses,
      Executor executor) {
    this.replicas = replicas;
    this.cluster = cluster;
    this.addresses = addresses;
    this.executor = executor;
  }

  @Override
  public CompletableFuture<Long> earliest(TopicPartition tp) {
    return lookup(tp, EARLIEST);
  }

  @Override
  public CompletableFuture<Long> latest(TopicPartition tp) {
    return lookup(tp, LATEST);
  }

  @Override
  public CompletableFuture<Long> forTimestamp(TopicPartition tp, long timestampMs) {
    if (timestampMs < 0) {
      return CompletableFuture.failedFuture(
          new GroupException(
              ErrorCode.INVALID_REQUEST, "timestamp must be >= 0, got " + timestampMs));
    }
    return lookup(tp, timestampMs);
  }

  private CompletableFuture<Long> lookup(TopicPartition tp, long timestamp) {
    try {
      PartitionAssignment a = cluster.assignment(tp.topic(), tp.partition());
      if (a == null) {
        throw new GroupException(ErrorCode.UNKNOWN_TOPIC, "no partition " + tp);
      }
      Optional<Partition> local = replicas.partition(new PartitionKey(tp.topic(), tp.partition()));
      if (local.isPresent() && local.get().role() == Partition.Role.LEADER) {
        return CompletableFuture.completedFuture(localOffset(local.get(), timestamp));
      }
      if (a.leader() < 0) {
        throw new GroupException(ErrorCode.LEADER_NOT_AVAILABLE, tp + " has no leader");
      }
      String address = addresses.address(a.leader());
      if (address == null) {
        throw new GroupException(
            ErrorCode.LEADER_NOT_AVAILABLE, tp + ": leader " + a.leader() + " has no address");
      }
      return remoteOffset(address, tp, timestamp);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static long localOffset(Partition p, long timestamp) {
    long hw = p.highWatermark();
    if (timestamp == LATEST) {
      return hw;
    }
    if (timestamp == EARLIEST) {
      return p.logStartOffset();
    }
    Optional<TimestampOffset> found = p.log().offsetForTimestamp(timestamp);
    return found.isPresent() && found.get().offset() < hw ? found.get().offset() : hw;
  }

  private CompletableFuture<Long> remoteOffset(String address, TopicPartition tp, long timestamp) {
    CompletableFuture<Long> answer = new CompletableFuture<>();
    BrokerServiceGrpc.newStub(peer(address))
        .withDeadlineAfter(PEER_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .listOffsets(
            ListOffsetsRequest.newBuilder()
                .addPartitions(
                    ListOffsetsPartition.newBuilder()
                        .setTopic(tp.topic())
                        .setPartition(tp.partition())
                        .setTimestamp(timestamp))
                .build(),
            new StreamObserver<>() {
              @Override
              public void onNext(ListOffsetsResponse value) {
                ListOffsetsResult r = value.getPartitions(0);
                if (r.getError() != ErrorCode.NONE) {
                  answer.completeExceptionally(
                      new GroupException(r.getError(), tp + ": " + r.getErrorMessage()));
                } else {
                  // ListOffsets answers -1 when no record is that recent: then the latest.
                  answer.complete(r.getOffset() >= 0 ? r.getOffset() : r.getLogEndOffset());
                }
              }

              @Override
              public void onError(Throwable t) {
                answer.completeExceptionally(
                    new GroupException(
                        ErrorCode.LEADER_NOT_AVAILABLE,
                        tp
                            + ": ListOffsets to "
                            + address
                            + " failed: "
                            + ErrorMapping.message(t)));
              }

              @Override
              public void onCompleted() {
                answer.completeExceptionally(
                    new GroupException(
                        ErrorCode.LEADER_NOT_AVAILABLE, tp + ": empty ListOffsets answer"));
              }
            });
    return answer;
  }

  private ManagedChannel peer(String address) {
    return peers.computeIfAbsent(
        address, a -> NettyChannelBuilder.forTarget(a).usePlaintext().executor(executor).build());
  }

  @Override
  public void close() {
    peers.values().forEach(ManagedChannel::shutdownNow);
    peers.clear();
  }
}
