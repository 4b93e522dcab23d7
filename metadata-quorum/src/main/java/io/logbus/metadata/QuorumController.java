package io.logbus.metadata;

import com.google.protobuf.InvalidProtocolBufferException;
import io.logbus.proto.AlterConfigsRequest;
import io.logbus.proto.AlterConfigsResponse;
import io.logbus.proto.CreatePartitionsRequest;
import io.logbus.proto.CreatePartitionsResponse;
import io.logbus.proto.CreateTopicsRequest;
import io.logbus.proto.CreateTopicsResponse;
import io.logbus.proto.DeleteTopicsRequest;
import io.logbus.proto.DeleteTopicsResponse;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.metadata.AllocateProducerIdsRequest;
import io.logbus.proto.metadata.AlterPartitionRequest;
import io.logbus.proto.metadata.BrokerHeartbeatRequest;
import io.logbus.proto.metadata.BrokerRegistrationRequest;
import io.logbus.proto.metadata.ControlledShutdownRequest;
import io.logbus.proto.metadata.ControllerRequest;
import io.logbus.proto.metadata.ControllerResponse;
import io.logbus.proto.metadata.Endpoint;
import io.logbus.proto.metadata.ReadBarrierRequest;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeerId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node-side {@link Controller}: wraps each request in a {@link ControllerRequest} and sends it
 * through a Ratis client as a leader-only query, so Ratis finds the leader (and follows it when it
 * moves); the leader's {@link ActiveController} answers after commit.
 *
 * <p>A CONTROLLER_NOT_AVAILABLE answer means nothing was proposed (the leader is not ready yet), so
 * it is retried here, with a short pause, until the request timeout. Every other error ends the
 * call as a failed future with a {@link ControllerException}.
 *
 * <p>Thread-safe.
 */
final class QuorumController implements Controller {
  private static final Logger LOG = LoggerFactory.getLogger(QuorumController.class);
  private static final long RETRY_PAUSE_MS = 50;
  private static final int FORWARDER_THREADS = 16;

  private final String name;
  private final RaftClient client;
  private final Duration timeout;
  private final Clock monotonic;
  private final ControllerRequestHandler local;
  private final BooleanSupplier localIsController;
  private final ExecutorService forwarders;

  /**
   * @param local this node's controller, called directly while this node leads (no RPC)
   * @param localIsController whether this node is the ready leader right now
   */
  QuorumController(
      String name,
      RaftClient client,
      Duration timeout,
      ControllerRequestHandler local,
      BooleanSupplier localIsController) {
    this.name = name;
    this.client = client;
    this.timeout = timeout;
    this.monotonic = Clock.systemUTC();
    this.local = local;
    this.localIsController = localIsController;
    // Ratis' blocking client is its best-trodden path for following a moving leader; its calls
    // wait for commit, so they run here, off the caller's thread.
    AtomicInteger n = new AtomicInteger();
    this.forwarders =
        Executors.newFixedThreadPool(
            FORWARDER_THREADS,
            r -> {
              Thread t = new Thread(r, "controller-forward-" + name + "-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  void close() {
    forwarders.shutdownNow();
  }

  @Override
  public CompletableFuture<CreateTopicsResponse> createTopics(CreateTopicsRequest request) {
    if (request == null) {
      return invalid("createTopics: request is null");
    }
    return call(
        ControllerRequest.newBuilder().setCreateTopics(request).build(),
        ControllerResponse::getCreateTopics);
  }

  @Override
  public CompletableFuture<DeleteTopicsResponse> deleteTopics(DeleteTopicsRequest request) {
    if (request == null) {
      return invalid("deleteTopics: request is null");
    }
    return call(
        ControllerRequest.newBuilder().setDeleteTopics(request).build(),
        ControllerResponse::getDeleteTopics);
  }

  @Override
  public CompletableFuture<CreatePartitionsResponse> createPartitions(
      CreatePartitionsRequest request) {
    if (request == null) {
      return invalid("createPartitions: request is null");
    }
    return call(
        ControllerRequest.newBuilder().setCreatePartitions(request).build(),
        ControllerResponse::getCreatePartitions);
  }

  @Override
  public CompletableFuture<AlterConfigsResponse> alterConfigs(AlterConfigsRequest request) {
    if (request == null) {
      return invalid("alterConfigs: request is null");
    }
    return call(
        ControllerRequest.newBuilder().setAlterConfigs(request).build(),
        ControllerResponse::getAlterConfigs);
  }

  @Override
  public CompletableFuture<Long> registerBroker(
      int brokerId, String host, int port, String incarnationId) {
    if (host == null || incarnationId == null) {
      return invalid("registerBroker: host and incarnation id are required");
    }
    BrokerRegistrationRequest req =
        BrokerRegistrationRequest.newBuilder()
            .setBrokerId(brokerId)
            .addEndpoints(Endpoint.newBuilder().setName("CLIENT").setHost(host).setPort(port))
            .setIncarnationId(incarnationId)
            .build();
    return call(
        ControllerRequest.newBuilder().setRegisterBroker(req).build(),
        r -> r.getRegisterBroker().getBrokerEpoch());
  }

  @Override
  public CompletableFuture<HeartbeatResult> heartbeat(int brokerId, long brokerEpoch) {
    return call(
        ControllerRequest.newBuilder()
            .setHeartbeat(
                BrokerHeartbeatRequest.newBuilder()
                    .setBrokerId(brokerId)
                    .setBrokerEpoch(brokerEpoch))
            .build(),
        r ->
            new HeartbeatResult(
                r.getHeartbeat().getFenced(), r.getHeartbeat().getCommittedIndex()));
  }

  @Override
  public CompletableFuture<PartitionState> alterPartition(
      String topic,
      int partition,
      int leaderId,
      int leaderEpoch,
      int partitionEpoch,
      List<Integer> newIsr) {
    if (topic == null || newIsr == null || newIsr.stream().anyMatch(Objects::isNull)) {
      return invalid("alterPartition: topic and a non-null ISR are required");
    }
    AlterPartitionRequest req =
        AlterPartitionRequest.newBuilder()
            .setTopic(topic)
            .setPartition(partition)
            .setLeaderId(leaderId)
            .setLeaderEpoch(leaderEpoch)
            .setPartitionEpoch(partitionEpoch)
            .addAllNewIsr(newIsr)
            .build();
    return call(
        ControllerRequest.newBuilder().setAlterPartition(req).build(),
        r -> MetadataStoreFormat.fromStored(r.getAlterPartition().getPartition()));
  }

  @Override
  public CompletableFuture<Long> allocateProducerIds(int brokerId, int count) {
    return call(
        ControllerRequest.newBuilder()
            .setAllocateProducerIds(
                AllocateProducerIdsRequest.newBuilder().setBrokerId(brokerId).setCount(count))
            .build(),
        r -> r.getAllocateProducerIds().getFirstId());
  }

  @Override
  public CompletableFuture<Integer> controlledShutdown(int brokerId, long brokerEpoch) {
    return call(
        ControllerRequest.newBuilder()
            .setControlledShutdown(
                ControlledShutdownRequest.newBuilder()
                    .setBrokerId(brokerId)
                    .setBrokerEpoch(brokerEpoch))
            .build(),
        r -> r.getControlledShutdown().getRemainingLeaderships());
  }

  /**
   * A linearizable read barrier served after Ratis' read index by {@code server} (this voter), or
   * by the leader when null (a node outside the voters); answers the serving node's applied index.
   */
  CompletableFuture<Long> readBarrier(RaftPeerId server) {
    ControllerRequest req =
        ControllerRequest.newBuilder()
            .setReadBarrier(ReadBarrierRequest.getDefaultInstance())
            .build();
    return CompletableFuture.supplyAsync(
        () -> {
          RaftClientReply reply;
          try {
            reply =
                server == null
                    ? client.io().sendReadOnly(MetadataStateMachine.toMessage(req))
                    : client.io().sendReadOnly(MetadataStateMachine.toMessage(req), server);
          } catch (IOException e) {
            throw new NotControllerException(name + ": read index failed: " + e);
          }
          if (!reply.isSuccess()) {
            throw new NotControllerException(name + ": read index failed: " + reply.getException());
          }
          ControllerResponse r = decode(req, reply, null);
          if (r.getError() != ErrorCode.NONE) {
            throw toException(r);
          }
          return r.getReadBarrier().getAppliedIndex();
        },
        forwarders);
  }

  private <T> CompletableFuture<T> call(
      ControllerRequest req, Function<ControllerResponse, T> extract) {
    long deadline = monotonic.millis() + timeout.toMillis();
    // The whole call is bounded: a forwarded call stuck in Ratis (a peer that accepts connections
    // but never answers) must not leave a caller, such as the node's registration and heartbeat
    // loop, waiting forever; it fails retriably and the caller tries again.
    return attempt(req, deadline)
        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .exceptionallyCompose(
            e -> {
              Throwable cause =
                  e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
              return CompletableFuture.failedFuture(
                  cause instanceof TimeoutException
                      ? new NotControllerException(
                          name + ": no answer from the controller within " + timeout)
                      : cause);
            })
        .thenApply(extract);
  }

  private CompletableFuture<ControllerResponse> attempt(ControllerRequest req, long deadline) {
    CompletableFuture<ControllerResponse> answered;
    if (localIsController.getAsBoolean()) {
      answered = local.handle(req);
    } else {
      answered =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return decode(
                      req,
                      client.io().sendReadOnlyNonLinearizable(MetadataStateMachine.toMessage(req)),
                      null);
                } catch (IOException | RuntimeException e) {
                  return decode(req, null, e);
                }
              },
              forwarders);
    }
    return answered.thenCompose(
        r -> {
          if (r.getError() == ErrorCode.CONTROLLER_NOT_AVAILABLE
              && r.getRetriable()
              && monotonic.millis() < deadline) {
            Executor later =
                CompletableFuture.delayedExecutor(RETRY_PAUSE_MS, TimeUnit.MILLISECONDS);
            return CompletableFuture.supplyAsync(() -> null, later)
                .thenCompose(x -> attempt(req, deadline));
          }
          if (r.getError() != ErrorCode.NONE) {
            return CompletableFuture.failedFuture(toException(r));
          }
          return CompletableFuture.completedFuture(r);
        });
  }

  private ControllerResponse decode(ControllerRequest req, RaftClientReply reply, Throwable error) {
    if (error != null) {
      Throwable cause =
          error instanceof CompletionException && error.getCause() != null
              ? error.getCause()
              : error;
      LOG.debug("[{}] {} failed in Ratis: {}", name, req.getRequestCase(), cause.toString());
      return ControllerResponse.newBuilder()
          .setError(ErrorCode.NOT_CONTROLLER)
          .setErrorMessage("no answer from the quorum: " + cause)
          .setRetriable(true)
          .build();
    }
    if (!reply.isSuccess()) {
      return ControllerResponse.newBuilder()
          .setError(ErrorCode.NOT_CONTROLLER)
          .setErrorMessage("quorum refused: " + reply.getException())
          .setRetriable(true)
          .build();
    }
    try {
      return ControllerResponse.parseFrom(reply.getMessage().getContent().toByteArray());
    } catch (InvalidProtocolBufferException e) {
      return ControllerResponse.newBuilder()
          .setError(ErrorCode.UNKNOWN_SERVER_ERROR)
          .setErrorMessage("undecodable controller answer: " + e.getMessage())
          .build();
    }
  }

  private static ControllerException toException(ControllerResponse r) {
    if (r.getError() == ErrorCode.NOT_CONTROLLER
        || r.getError() == ErrorCode.CONTROLLER_NOT_AVAILABLE) {
      return new NotControllerException(r.getErrorMessage());
    }
    return new ControllerException(r.getError(), r.getErrorMessage(), r.getRetriable());
  }

  private static <T> CompletableFuture<T> invalid(String message) {
    return CompletableFuture.failedFuture(
        new ControllerException(ErrorCode.INVALID_REQUEST, message, false));
  }
}
