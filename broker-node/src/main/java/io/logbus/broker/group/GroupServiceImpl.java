package io.logbus.broker.group;

import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.StreamObserver;
import io.logbus.broker.ErrorMapping;
import io.logbus.group.GroupConfig;
import io.logbus.group.GroupCoordinator;
import io.logbus.group.TopicPartition;
import io.logbus.proto.ConsumerGroupHeartbeatRequest;
import io.logbus.proto.ConsumerGroupHeartbeatResponse;
import io.logbus.proto.DeleteGroupRequest;
import io.logbus.proto.DeleteGroupResponse;
import io.logbus.proto.DescribeGroupRequest;
import io.logbus.proto.DescribeGroupResponse;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.FindCoordinatorRequest;
import io.logbus.proto.FindCoordinatorResponse;
import io.logbus.proto.GroupDescription;
import io.logbus.proto.GroupPartitionOffset;
import io.logbus.proto.GroupServiceGrpc;
import io.logbus.proto.ListGroupsRequest;
import io.logbus.proto.ListGroupsResponse;
import io.logbus.proto.OffsetCommitRequest;
import io.logbus.proto.OffsetCommitResponse;
import io.logbus.proto.OffsetFetchRequest;
import io.logbus.proto.OffsetFetchResponse;
import io.logbus.proto.ResetOffsetsRequest;
import io.logbus.proto.ResetOffsetsResponse;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * GroupService (group.proto) on every broker: a thin adapter over {@link CoordinatorRuntime} and
 * its {@link GroupCoordinator}. FindCoordinator creates {@code __consumer_offsets} on first use and
 * answers COORDINATOR_NOT_AVAILABLE until it has a leader; ConsumerGroupHeartbeat gets its {@code
 * client_host} from the peer address; DescribeGroup fills {@code log_end_offset} (the partition's
 * high watermark, from its leader: locally or by ListOffsets) and {@code lag}, and leaves both -1
 * when the leader cannot be asked. Every other call maps 1:1 to the coordinator.
 *
 * <p>Threads: handlers run on the broker's gRPC pool and never block; answers are sent from
 * whichever thread completes the coordinator's future (one response per call, so no two {@code
 * onNext} race).
 */
public final class GroupServiceImpl implements GroupServiceGrpc.AsyncService, BindableService {

  private static final Context.Key<String> PEER_HOST = Context.key("logbus-peer-host");

  private final CoordinatorRuntime runtime;
  private final GroupCoordinator coordinator;

  public GroupServiceImpl(CoordinatorRuntime runtime) {
    this.runtime = runtime;
    this.coordinator = runtime.coordinator();
  }

  /** Adds an interceptor that makes the caller's host visible to the heartbeat handler. */
  @Override
  public ServerServiceDefinition bindService() {
    return ServerInterceptors.intercept(
        GroupServiceGrpc.bindService(this), new PeerHostInterceptor());
  }

  private static final class PeerHostInterceptor implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
      String host =
          remote instanceof InetSocketAddress inet
              ? inet.getAddress() == null
                  ? inet.getHostString()
                  : inet.getAddress().getHostAddress()
              : String.valueOf(remote);
      return Contexts.interceptCall(
          Context.current().withValue(PEER_HOST, host), call, headers, next);
    }
  }

  private static <T> void reply(CompletableFuture<T> answer, StreamObserver<T> responses) {
    answer.whenComplete(
        (ok, failure) -> {
          if (failure != null) {
            responses.onError(ErrorMapping.toStatus(failure));
          } else {
            responses.onNext(ok);
            responses.onCompleted();
          }
        });
  }

  /** Runs a coordinator call, turning a throw (a bug: it promises not to) into a failed future. */
  private static <T> CompletableFuture<T> safely(
      java.util.function.Supplier<CompletableFuture<T>> c) {
    try {
      return c.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private void touchOffsetsTopic() {
    runtime.ensureOffsetsTopic();
    runtime.refreshTopics();
  }

  @Override
  public void findCoordinator(
      FindCoordinatorRequest request, StreamObserver<FindCoordinatorResponse> responses) {
    reply(
        safely(
            () -> {
              FindCoordinatorResponse answer =
                  coordinator.findCoordinator(request, runtime::leaderOf);
              if (answer.getError() == ErrorCode.COORDINATOR_NOT_AVAILABLE
                  && !runtime.ensureOffsetsTopic()) {
                answer =
                    answer.toBuilder()
                        .setErrorMessage(
                            GroupConfig.OFFSETS_TOPIC + " is being created; retry shortly")
                        .build();
              }
              return CompletableFuture.completedFuture(answer);
            }),
        responses);
  }

  @Override
  public void consumerGroupHeartbeat(
      ConsumerGroupHeartbeatRequest request,
      StreamObserver<ConsumerGroupHeartbeatResponse> responses) {
    String host = PEER_HOST.get();
    ConsumerGroupHeartbeatRequest withHost =
        host == null ? request : request.toBuilder().setClientHost(host).build();
    touchOffsetsTopic();
    reply(safely(() -> coordinator.heartbeat(withHost)), responses);
  }

  @Override
  public void offsetCommit(
      OffsetCommitRequest request, StreamObserver<OffsetCommitResponse> responses) {
    touchOffsetsTopic();
    reply(safely(() -> coordinator.commitOffsets(request)), responses);
  }

  @Override
  public void offsetFetch(
      OffsetFetchRequest request, StreamObserver<OffsetFetchResponse> responses) {
    reply(safely(() -> coordinator.fetchOffsets(request)), responses);
  }

  @Override
  public void listGroups(ListGroupsRequest request, StreamObserver<ListGroupsResponse> responses) {
    reply(safely(() -> coordinator.listGroups(request)), responses);
  }

  @Override
  public void describeGroup(
      DescribeGroupRequest request, StreamObserver<DescribeGroupResponse> responses) {
    runtime.refreshTopics();
    reply(safely(() -> coordinator.describeGroups(request)).thenCompose(this::withLag), responses);
  }

  @Override
  public void resetOffsets(
      ResetOffsetsRequest request, StreamObserver<ResetOffsetsResponse> responses) {
    runtime.refreshTopics();
    reply(safely(() -> coordinator.resetOffsets(request)), responses);
  }

  @Override
  public void deleteGroup(
      DeleteGroupRequest request, StreamObserver<DeleteGroupResponse> responses) {
    reply(safely(() -> coordinator.deleteGroups(request)), responses);
  }

  /**
   * Fills log end offset (high watermark) and lag of every row. A leader that cannot be asked
   * leaves its rows at -1; lag stays -1 where nothing is committed.
   */
  private CompletableFuture<DescribeGroupResponse> withLag(DescribeGroupResponse described) {
    List<CompletableFuture<GroupDescription>> groups = new ArrayList<>();
    for (GroupDescription g : described.getGroupsList()) {
      List<CompletableFuture<GroupPartitionOffset>> rows = new ArrayList<>();
      for (GroupPartitionOffset row : g.getOffsetsList()) {
        rows.add(
            runtime
                .partitionOffsets()
                .latest(new TopicPartition(row.getTopic(), row.getPartition()))
                .handle(
                    (end, failure) -> {
                      if (failure != null) {
                        return row;
                      }
                      long lag =
                          row.getCommittedOffset() < 0
                              ? -1
                              : Math.max(0, end - row.getCommittedOffset());
                      return row.toBuilder().setLogEndOffset(end).setLag(lag).build();
                    }));
      }
      groups.add(
          CompletableFuture.allOf(rows.toArray(new CompletableFuture<?>[0]))
              .thenApply(
                  v -> {
                    GroupDescription.Builder b = g.toBuilder().clearOffsets();
                    rows.forEach(r -> b.addOffsets(r.join()));
                    return b.build();
                  }));
    }
    return CompletableFuture.allOf(groups.toArray(new CompletableFuture<?>[0]))
        .thenApply(
            v -> {
              DescribeGroupResponse.Builder b = described.toBuilder().clearGroups();
              groups.forEach(f -> b.addGroups(f.join()));
              return b.build();
            });
  }
}
