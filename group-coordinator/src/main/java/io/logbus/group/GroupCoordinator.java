package io.logbus.group;

import io.logbus.proto.BrokerInfo;
import io.logbus.proto.ConsumerGroupHeartbeatRequest;
import io.logbus.proto.ConsumerGroupHeartbeatResponse;
import io.logbus.proto.DeleteGroupRequest;
import io.logbus.proto.DeleteGroupResponse;
import io.logbus.proto.DeleteGroupResult;
import io.logbus.proto.DescribeGroupRequest;
import io.logbus.proto.DescribeGroupResponse;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.FindCoordinatorRequest;
import io.logbus.proto.FindCoordinatorResponse;
import io.logbus.proto.GroupDescription;
import io.logbus.proto.GroupListing;
import io.logbus.proto.GroupState;
import io.logbus.proto.ListGroupsRequest;
import io.logbus.proto.ListGroupsResponse;
import io.logbus.proto.OffsetCommitRequest;
import io.logbus.proto.OffsetCommitResponse;
import io.logbus.proto.OffsetFetchRequest;
import io.logbus.proto.OffsetFetchResponse;
import io.logbus.proto.ResetOffsetsRequest;
import io.logbus.proto.ResetOffsetsResponse;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The group coordinator of one broker: owns the state of the {@code __consumer_offsets} partitions
 * this broker leads and answers the GroupService calls (group.proto) for the groups they hold.
 *
 * <p>Mapping: group G lives in partition {@code abs(G.hashCode()) % N}, exactly Kafka's {@code
 * Utils.abs(groupId.hashCode()) % N}: Java's String.hashCode of the group id, absolute value, with
 * Integer.MIN_VALUE (whose absolute value overflows) mapped to 0. Same id, same N, same partition
 * as a Kafka cluster, so tools that compute it keep working.
 *
 * <p>Lifecycle per partition, driven by the broker on leadership changes: {@link #loadPartition}
 * replays the partition (requests answer COORDINATOR_LOAD_IN_PROGRESS meanwhile), then serves;
 * {@link #unloadPartition} drops the state (requests answer NOT_COORDINATOR). The broker also calls
 * {@link #onTopicMetadata} when topics or partition counts change, and {@link #tick} about once a
 * second for session timeouts and offsets expiry.
 *
 * <p>Every request method returns a future and never throws: refusals are typed error codes in the
 * response. Thread-safe; the per-partition {@link OffsetsShard} locks serialize the state.
 */
public final class GroupCoordinator {

  private static final Logger log = LoggerFactory.getLogger(GroupCoordinator.class);

  /** Bytes asked per read while loading. */
  static final int LOAD_READ_BYTES = 1 << 20;

  private final GroupConfig config;
  private final OffsetsLog offsetsLog;
  private final PartitionOffsets partitionOffsets;
  private final Clock clock;
  private final Supplier<String> memberIds;
  private final Map<String, PartitionAssignor> assignors;
  private final Map<Integer, Loading> partitions = new ConcurrentHashMap<>();
  // null until the broker first tells us: groups then keep their last known partition counts
  private volatile Map<String, Integer> partitionCounts;

  /** A partition's shard and whether its load finished. */
  private record Loading(OffsetsShard shard, CompletableFuture<Void> loaded) {}

  public GroupCoordinator(
      GroupConfig config, OffsetsLog offsetsLog, PartitionOffsets partitionOffsets, Clock clock) {
    this(config, offsetsLog, partitionOffsets, clock, () -> UUID.randomUUID().toString());
  }

  /** With an injected member id generator (tests). */
  public GroupCoordinator(
      GroupConfig config,
      OffsetsLog offsetsLog,
      PartitionOffsets partitionOffsets,
      Clock clock,
      Supplier<String> memberIds) {
    this.config = config;
    this.offsetsLog = offsetsLog;
    this.partitionOffsets = partitionOffsets;
    this.clock = clock;
    this.memberIds = memberIds;
    this.assignors =
        Map.of(
            UniformAssignor.NAME, new UniformAssignor(), RangeAssignor.NAME, new RangeAssignor());
  }

  public GroupConfig config() {
    return config;
  }

  /** The __consumer_offsets partition of a group: Kafka's {@code Utils.abs(hashCode) % n}. */
  public static int partitionFor(String groupId, int n) {
    int hash = groupId.hashCode();
    return (hash == Integer.MIN_VALUE ? 0 : Math.abs(hash)) % n;
  }

  public int partitionFor(String groupId) {
    return partitionFor(groupId, config.offsetsTopicPartitions());
  }

  /**
   * FindCoordinator, domain half: validates the group id and answers its offsets partition; the
   * broker turns that into the partition leader's node, host and port.
   */
  public int coordinatorPartition(FindCoordinatorRequest request) {
    checkGroupId(request.getGroupId());
    return partitionFor(request.getGroupId());
  }

  /**
   * FindCoordinator in full, given how the broker finds a partition's live leader ({@code
   * leaderOf.apply(partition)} = the leader of __consumer_offsets-partition, or null if none).
   */
  public FindCoordinatorResponse findCoordinator(
      FindCoordinatorRequest request, IntFunction<BrokerInfo> leaderOf) {
    try {
      int partition = coordinatorPartition(request);
      FindCoordinatorResponse.Builder out =
          FindCoordinatorResponse.newBuilder().setOffsetsPartition(partition).setNodeId(-1);
      BrokerInfo leader = leaderOf.apply(partition);
      if (leader == null || leader.getFenced()) {
        return out.setError(ErrorCode.COORDINATOR_NOT_AVAILABLE)
            .setErrorMessage(GroupConfig.OFFSETS_TOPIC + "-" + partition + " has no live leader")
            .build();
      }
      return out.setNodeId(leader.getId())
          .setHost(leader.getHost())
          .setPort(leader.getPort())
          .build();
    } catch (GroupException e) {
      return FindCoordinatorResponse.newBuilder()
          .setError(e.code())
          .setErrorMessage(e.getMessage())
          .setNodeId(-1)
          .build();
    }
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Starts serving a partition this broker now leads: replays it from the start. Returns the load;
   * a second call while loaded or loading returns the same future.
   */
  public CompletableFuture<Void> loadPartition(int partition) {
    checkPartition(partition);
    Loading loading =
        partitions.computeIfAbsent(
            partition,
            p ->
                new Loading(
                    new OffsetsShard(p, config, offsetsLog, clock, assignors, memberIds),
                    new CompletableFuture<>()));
    if (!loading.loaded().isDone()) {
      log.info("[{}-{}] loading groups", GroupConfig.OFFSETS_TOPIC, partition);
      readFrom(loading, 0L);
    }
    return loading.loaded();
  }

  /** Stops serving a partition (leadership lost); its groups answer NOT_COORDINATOR from now on. */
  public void unloadPartition(int partition) {
    checkPartition(partition);
    Loading gone = partitions.remove(partition);
    if (gone != null) {
      gone.loaded().cancel(false);
      log.info("[{}-{}] unloaded", GroupConfig.OFFSETS_TOPIC, partition);
    }
  }

  public boolean isLoaded(int partition) {
    Loading l = partitions.get(partition);
    return l != null && l.loaded().isDone() && !l.loaded().isCompletedExceptionally();
  }

  /** The broker's current partition count per topic; groups whose topics changed rebalance. */
  public void onTopicMetadata(Map<String, Integer> counts) {
    counts.forEach(
        (topic, count) -> {
          if (topic.isEmpty() || count == null || count < 0) {
            throw new IllegalArgumentException(
                "bad topic metadata: '" + topic + "' with " + count + " partitions");
          }
        });
    partitionCounts = Map.copyOf(counts);
    for (Loading l : partitions.values()) {
      if (l.loaded().isDone()) {
        l.shard().onMetadataChange(partitionCounts);
      }
    }
  }

  /** Session timeouts, revocation timeouts and offsets expiry at the injected clock's now. */
  public void tick() {
    for (Loading l : partitions.values()) {
      if (isLoaded(l.shard().partition())) {
        l.shard().expire(partitionCounts);
      }
    }
  }

  private void readFrom(Loading loading, long from) {
    long next = from;
    while (true) {
      CompletableFuture<ByteBuffer> read;
      try {
        read = offsetsLog.read(loading.shard().partition(), next, LOAD_READ_BYTES);
      } catch (RuntimeException e) {
        read = CompletableFuture.failedFuture(e);
      }
      if (!read.isDone()) {
        long at = next;
        read.whenComplete(
            (buffer, error) -> {
              Long after = replayChunk(loading, at, buffer, error);
              if (after != null) {
                readFrom(loading, after);
              }
            });
        return;
      }
      ByteBuffer buffer = null;
      Throwable error = null;
      try {
        buffer = read.join();
      } catch (CompletionException | java.util.concurrent.CancellationException e) {
        error = e;
      }
      Long after = replayChunk(loading, next, buffer, error);
      if (after == null) {
        return;
      }
      next = after;
    }
  }

  /** Replays one read; returns where to read next, or null when the load ended (done or failed). */
  private Long replayChunk(Loading loading, long from, ByteBuffer buffer, Throwable error) {
    int partition = loading.shard().partition();
    if (partitions.get(partition) != loading) {
      return null; // unloaded meanwhile
    }
    try {
      if (error != null) {
        throw error instanceof CompletionException && error.getCause() != null
            ? error.getCause()
            : error;
      }
      if (!buffer.hasRemaining()) {
        log.info("[{}-{}] loaded up to offset {}", GroupConfig.OFFSETS_TOPIC, partition, from);
        if (partitionCounts != null) {
          loading.shard().onMetadataChange(partitionCounts);
        }
        loading.loaded().complete(null);
        return null;
      }
      for (OffsetsBatches.LoadedEntry e : OffsetsBatches.decode(buffer)) {
        if (e.offset() >= from) {
          loading.shard().replay(e);
        }
      }
      long next = OffsetsBatches.nextOffset(buffer, from);
      if (next <= from) {
        throw new IllegalStateException("read at " + from + " made no progress");
      }
      return next;
    } catch (Throwable t) {
      log.error(
          "[{}-{}] load failed at offset {}: {}",
          GroupConfig.OFFSETS_TOPIC,
          partition,
          from,
          t.toString());
      partitions.remove(partition, loading);
      loading.loaded().completeExceptionally(t);
      return null;
    }
  }

  // ---------------------------------------------------------------- requests

  public CompletableFuture<ConsumerGroupHeartbeatResponse> heartbeat(
      ConsumerGroupHeartbeatRequest request) {
    return call(
        request.getGroupId(),
        shard -> shard.heartbeat(request, partitionCounts),
        e ->
            ConsumerGroupHeartbeatResponse.newBuilder()
                .setError(e.code())
                .setErrorMessage(e.getMessage())
                .setMemberId(request.getMemberId())
                .setMemberEpoch(request.getMemberEpoch())
                .build());
  }

  public CompletableFuture<OffsetCommitResponse> commitOffsets(OffsetCommitRequest request) {
    return call(
        request.getGroupId(),
        shard -> OffsetRequests.commit(shard, request, clock.millis()),
        e -> OffsetRequests.commitFailed(request, e));
  }

  public CompletableFuture<OffsetFetchResponse> fetchOffsets(OffsetFetchRequest request) {
    return call(
        request.getGroupId(),
        shard -> CompletableFuture.completedFuture(OffsetRequests.fetch(shard, request)),
        e ->
            OffsetFetchResponse.newBuilder()
                .setError(e.code())
                .setErrorMessage(e.getMessage())
                .build());
  }

  public CompletableFuture<ResetOffsetsResponse> resetOffsets(ResetOffsetsRequest request) {
    return call(
        request.getGroupId(),
        shard ->
            OffsetRequests.reset(shard, request, partitionCounts, partitionOffsets, clock.millis()),
        e ->
            ResetOffsetsResponse.newBuilder()
                .setError(e.code())
                .setErrorMessage(e.getMessage())
                .build());
  }

  /** Groups of every loaded partition of this broker. */
  public CompletableFuture<ListGroupsResponse> listGroups(ListGroupsRequest request) {
    Set<GroupState> filter = Set.copyOf(request.getStatesFilterList());
    ListGroupsResponse.Builder out = ListGroupsResponse.newBuilder();
    for (int p : new java.util.TreeSet<>(partitions.keySet())) {
      Loading l = partitions.get(p);
      if (l == null || !isLoaded(p)) {
        // Say so, but still list the groups of the loaded partitions.
        out.setError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
            .setErrorMessage(GroupConfig.OFFSETS_TOPIC + "-" + p + " is still loading");
        continue;
      }
      for (String id : l.shard().groupIds()) {
        GroupListing listing =
            l.shard()
                .withGroup(
                    id,
                    g ->
                        GroupListing.newBuilder()
                            .setGroupId(id)
                            .setState(g == null ? GroupState.EMPTY : g.state())
                            .setMemberCount(g == null ? 0 : g.members().size())
                            .build());
        if (filter.isEmpty() || filter.contains(listing.getState())) {
          out.addGroups(listing);
        }
      }
    }
    return CompletableFuture.completedFuture(out.build());
  }

  public CompletableFuture<DescribeGroupResponse> describeGroups(DescribeGroupRequest request) {
    List<CompletableFuture<GroupDescription>> each =
        request.getGroupIdsList().stream()
            .map(
                id ->
                    call(
                        id,
                        shard ->
                            CompletableFuture.completedFuture(GroupDescriber.describe(shard, id)),
                        e ->
                            GroupDescription.newBuilder()
                                .setGroupId(id)
                                .setState(GroupState.DEAD)
                                .setError(e.code())
                                .setErrorMessage(e.getMessage())
                                .build()))
            .toList();
    return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
        .thenApply(
            ignored ->
                DescribeGroupResponse.newBuilder()
                    .addAllGroups(each.stream().map(CompletableFuture::join).toList())
                    .build());
  }

  public CompletableFuture<DeleteGroupResponse> deleteGroups(DeleteGroupRequest request) {
    List<CompletableFuture<DeleteGroupResult>> each =
        request.getGroupIdsList().stream()
            .map(
                id ->
                    call(
                        id,
                        shard ->
                            shard
                                .delete(id)
                                .thenApply(
                                    v -> DeleteGroupResult.newBuilder().setGroupId(id).build()),
                        e ->
                            DeleteGroupResult.newBuilder()
                                .setGroupId(id)
                                .setError(e.code())
                                .setErrorMessage(e.getMessage())
                                .build()))
            .toList();
    return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
        .thenApply(
            ignored ->
                DeleteGroupResponse.newBuilder()
                    .addAllResults(each.stream().map(CompletableFuture::join).toList())
                    .build());
  }

  // ---------------------------------------------------------------- routing and errors

  /**
   * Routes a group request to its shard and maps every refusal (thrown or failed future) to a typed
   * error response. Unexpected exceptions become UNKNOWN_SERVER_ERROR and are logged.
   */
  private <T> CompletableFuture<T> call(
      String groupId,
      Function<OffsetsShard, CompletableFuture<T>> action,
      Function<GroupException, T> onError) {
    CompletableFuture<T> result;
    try {
      result = action.apply(shardFor(groupId));
    } catch (RuntimeException e) {
      result = CompletableFuture.failedFuture(e);
    }
    return result.handle(
        (value, error) -> {
          if (error == null) {
            return value;
          }
          Throwable cause =
              error instanceof CompletionException && error.getCause() != null
                  ? error.getCause()
                  : error;
          if (cause instanceof GroupException g) {
            return onError.apply(g);
          }
          log.error("group {}: unexpected failure", groupId, cause);
          return onError.apply(
              new GroupException(ErrorCode.UNKNOWN_SERVER_ERROR, String.valueOf(cause)));
        });
  }

  private OffsetsShard shardFor(String groupId) {
    checkGroupId(groupId);
    int partition = partitionFor(groupId);
    Loading l = partitions.get(partition);
    if (l == null) {
      throw new GroupException(
          ErrorCode.NOT_COORDINATOR,
          "this broker does not lead " + GroupConfig.OFFSETS_TOPIC + "-" + partition);
    }
    if (!l.loaded().isDone()) {
      throw new GroupException(
          ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
          GroupConfig.OFFSETS_TOPIC + "-" + partition + " is still loading");
    }
    return l.shard();
  }

  static void checkGroupId(String groupId) {
    if (groupId == null || groupId.isEmpty()) {
      throw new GroupException(ErrorCode.INVALID_GROUP_ID, "group id is empty");
    }
    if (groupId.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 249) {
      throw new GroupException(
          ErrorCode.INVALID_GROUP_ID, "group id longer than 249 bytes: " + groupId.length());
    }
  }

  private void checkPartition(int partition) {
    if (partition < 0 || partition >= config.offsetsTopicPartitions()) {
      throw new IllegalArgumentException(
          "partition "
              + partition
              + " is outside "
              + GroupConfig.OFFSETS_TOPIC
              + " [0, "
              + config.offsetsTopicPartitions()
              + ")");
    }
  }
}
