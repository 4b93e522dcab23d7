package io.logbus.broker;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.logbus.log.TimestampOffset;
import io.logbus.proto.BrokerServiceGrpc;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.FetchPartition;
import io.logbus.proto.FetchRequest;
import io.logbus.proto.FetchResponse;
import io.logbus.proto.InitProducerIdRequest;
import io.logbus.proto.InitProducerIdResponse;
import io.logbus.proto.ListOffsetsPartition;
import io.logbus.proto.ListOffsetsRequest;
import io.logbus.proto.ListOffsetsResponse;
import io.logbus.proto.ListOffsetsResult;
import io.logbus.proto.MetadataRequest;
import io.logbus.proto.MetadataResponse;
import io.logbus.proto.PartitionProduceResult;
import io.logbus.proto.PartitionRecords;
import io.logbus.proto.ProduceRequest;
import io.logbus.proto.ProduceResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The client API (broker.proto BrokerService): a thin adapter that validates, calls {@link
 * ReplicaManager}, and maps answers and failures (through {@link ErrorMapping}) to responses. Bad
 * input fails only the partition or call it concerns. Handlers never block: acks=all waits are
 * futures, long polls and fetch streams are woken by partition listeners.
 */
public final class BrokerServiceImpl extends BrokerServiceGrpc.BrokerServiceImplBase {
  static final int DEFAULT_PRODUCE_TIMEOUT_MS = 30_000;
  static final int DEFAULT_FETCH_MAX_BYTES = 1 << 20;

  private final ReplicaManager replicaManager;
  private final ClusterMetadata cluster;
  private final ProducerIdManager producerIds;
  private final BrokerMetrics metrics;
  private final ScheduledExecutorService scheduler;
  private final Executor executor;
  private final Clock clock;
  private final PartitionReads reads;

  public BrokerServiceImpl(
      ReplicaManager replicaManager,
      ClusterMetadata cluster,
      ProducerIdManager producerIds,
      BrokerMetrics metrics,
      ScheduledExecutorService scheduler,
      Executor executor,
      Clock clock) {
    this.replicaManager = replicaManager;
    this.cluster = cluster;
    this.producerIds = producerIds;
    this.metrics = metrics;
    this.scheduler = scheduler;
    this.executor = executor;
    this.clock = clock;
    this.reads = new PartitionReads(replicaManager, cluster, metrics);
  }

  // ------------------------------------------------------------------ produce

  @Override
  public void produce(ProduceRequest request, StreamObserver<ProduceResponse> responses) {
    handleProduce(request)
        .whenComplete(
            (response, failure) -> {
              if (failure != null) {
                responses.onError(ErrorMapping.toStatus(failure));
              } else {
                responses.onNext(response);
                responses.onCompleted();
              }
            });
  }

  @Override
  public StreamObserver<ProduceRequest> produceStream(StreamObserver<ProduceResponse> responses) {
    return new ProduceStreamSession(
            (ServerCallStreamObserver<ProduceResponse>) responses,
            ProduceStreamSession.MAX_IN_FLIGHT,
            this::handleProduce,
            BrokerServiceImpl::wholeRequestFailed)
        .start();
  }

  private static ProduceResponse wholeRequestFailed(ProduceRequest request, Throwable failure) {
    ProduceResponse.Builder answer =
        ProduceResponse.newBuilder().setCorrelationId(request.getCorrelationId());
    for (PartitionRecords p : request.getPartitionsList()) {
      answer.addPartitions(
          PartitionProduceResult.newBuilder()
              .setTopic(p.getTopic())
              .setPartition(p.getPartition())
              .setError(ErrorMapping.code(failure))
              .setErrorMessage(ErrorMapping.message(failure))
              .setBaseOffset(-1)
              .setLogAppendTimeMs(-1)
              .setLogStartOffset(-1));
    }
    return answer.build();
  }

  /** Validates the request as a whole (failed future), then each partition on its own. */
  CompletableFuture<ProduceResponse> handleProduce(ProduceRequest request) {
    long start = System.nanoTime();
    int acks = request.getAcks();
    if (acks != -1 && acks != 0 && acks != 1) {
      return CompletableFuture.failedFuture(
          BrokerException.invalidRequest("acks must be -1, 0 or 1, got " + acks));
    }
    if (request.getTimeoutMs() < 0) {
      return CompletableFuture.failedFuture(
          BrokerException.invalidRequest("timeout_ms must be >= 0, got " + request.getTimeoutMs()));
    }
    if (request.getPartitionsCount() == 0) {
      return CompletableFuture.failedFuture(
          BrokerException.invalidRequest("a produce request needs at least one partition"));
    }
    int timeoutMs =
        request.getTimeoutMs() == 0 ? DEFAULT_PRODUCE_TIMEOUT_MS : request.getTimeoutMs();
    List<CompletableFuture<PartitionProduceResult>> results = new ArrayList<>();
    for (PartitionRecords p : request.getPartitionsList()) {
      results.add(producePartition(p, acks, timeoutMs));
    }
    return CompletableFuture.allOf(results.toArray(new CompletableFuture<?>[0]))
        .thenApply(
            v -> {
              ProduceResponse.Builder answer =
                  ProduceResponse.newBuilder().setCorrelationId(request.getCorrelationId());
              results.forEach(r -> answer.addPartitions(r.join()));
              metrics.produceLatency(Duration.ofNanos(System.nanoTime() - start));
              return answer.build();
            });
  }

  private CompletableFuture<PartitionProduceResult> producePartition(
      PartitionRecords p, int acks, int timeoutMs) {
    PartitionProduceResult.Builder result =
        PartitionProduceResult.newBuilder().setTopic(p.getTopic()).setPartition(p.getPartition());
    CompletableFuture<ProduceOutcome> outcome;
    try {
      if (p.getTopic().isEmpty()) {
        throw BrokerException.invalidRequest("topic must not be empty");
      }
      if (p.getPartition() < 0) {
        throw BrokerException.invalidRequest("partition must be >= 0, got " + p.getPartition());
      }
      if (p.getRecords().isEmpty()) {
        throw BrokerException.invalidRequest("records must hold at least one batch");
      }
      // A private copy: the log rewrites base offsets and epochs in place.
      outcome =
          replicaManager.appendRecords(
              p.getTopic(),
              p.getPartition(),
              java.nio.ByteBuffer.wrap(p.getRecords().toByteArray()),
              acks,
              timeoutMs);
    } catch (RuntimeException e) {
      outcome = CompletableFuture.failedFuture(e);
    }
    return outcome.handle(
        (ok, failure) -> {
          if (failure == null) {
            return result
                .setError(ErrorCode.NONE)
                .setBaseOffset(ok.baseOffset())
                .setLogAppendTimeMs(ok.logAppendTimeMs())
                .setLogStartOffset(ok.logStartOffset())
                .build();
          }
          BrokerException resolved = reads.resolve(p.getTopic(), p.getPartition(), failure);
          result
              .setError(resolved.code())
              .setErrorMessage(ErrorMapping.message(resolved))
              .setBaseOffset(-1)
              .setLogAppendTimeMs(-1)
              .setLogStartOffset(-1);
          if (resolved.leader() != null) {
            result.setLeader(resolved.leader());
          }
          return result.build();
        });
  }

  // ------------------------------------------------------------------ fetch

  @Override
  public void fetch(FetchRequest request, StreamObserver<FetchResponse> responses) {
    try {
      validateFetch(request);
    } catch (BrokerException e) {
      responses.onError(ErrorMapping.toStatus(e));
      return;
    }
    new LongPollFetch(
            request, responses, reads, replicaManager, scheduler, executor, clock, metrics)
        .start();
  }

  @Override
  public void fetchStream(FetchRequest request, StreamObserver<FetchResponse> responses) {
    try {
      validateFetch(request);
    } catch (BrokerException e) {
      responses.onError(ErrorMapping.toStatus(e));
      return;
    }
    new FetchStreamSession(
            request,
            (ServerCallStreamObserver<FetchResponse>) responses,
            reads,
            replicaManager,
            executor)
        .start();
  }

  static void validateFetch(FetchRequest request) {
    if (request.getMaxWaitMs() < 0) {
      throw BrokerException.invalidRequest(
          "max_wait_ms must be >= 0, got " + request.getMaxWaitMs());
    }
    if (request.getMinBytes() < 0) {
      throw BrokerException.invalidRequest("min_bytes must be >= 0, got " + request.getMinBytes());
    }
    if (request.getMaxBytes() < 0) {
      throw BrokerException.invalidRequest("max_bytes must be >= 0, got " + request.getMaxBytes());
    }
    if (request.getPartitionsCount() == 0) {
      throw BrokerException.invalidRequest("a fetch needs at least one partition");
    }
    for (FetchPartition p : request.getPartitionsList()) {
      PartitionReads.validate(p);
    }
  }

  // ------------------------------------------------------------------ offsets, ids, metadata

  @Override
  public void listOffsets(
      ListOffsetsRequest request, StreamObserver<ListOffsetsResponse> responses) {
    ListOffsetsResponse.Builder answer = ListOffsetsResponse.newBuilder();
    for (ListOffsetsPartition p : request.getPartitionsList()) {
      answer.addPartitions(listOffsets(p));
    }
    responses.onNext(answer.build());
    responses.onCompleted();
  }

  private ListOffsetsResult listOffsets(ListOffsetsPartition p) {
    ListOffsetsResult.Builder result =
        ListOffsetsResult.newBuilder().setTopic(p.getTopic()).setPartition(p.getPartition());
    try {
      if (p.getTopic().isEmpty() || p.getPartition() < 0) {
        throw BrokerException.invalidRequest(
            "topic must not be empty and partition >= 0, got '"
                + p.getTopic()
                + "'/"
                + p.getPartition());
      }
      if (p.getTimestamp() < -2) {
        throw BrokerException.invalidRequest(
            "timestamp must be -1 (latest), -2 (earliest) or >= 0, got " + p.getTimestamp());
      }
      Partition partition = replicaManager.hosted(p.getTopic(), p.getPartition());
      partition.checkLeader(-1);
      long hw = partition.highWatermark();
      long start = partition.logStartOffset();
      result.setLogStartOffset(start).setLogEndOffset(hw).setTimestamp(-1);
      if (p.getTimestamp() == -1) {
        result.setOffset(hw);
      } else if (p.getTimestamp() == -2) {
        result.setOffset(start);
      } else {
        Optional<TimestampOffset> found = partition.log().offsetForTimestamp(p.getTimestamp());
        if (found.isPresent() && found.get().offset() < hw) {
          result.setOffset(found.get().offset()).setTimestamp(found.get().timestamp());
        } else {
          result.setOffset(-1);
        }
      }
      return result.setError(ErrorCode.NONE).build();
    } catch (RuntimeException e) {
      BrokerException resolved = reads.resolve(p.getTopic(), p.getPartition(), e);
      result
          .setError(resolved.code())
          .setErrorMessage(ErrorMapping.message(resolved))
          .setOffset(-1)
          .setLogStartOffset(-1)
          .setLogEndOffset(-1);
      if (resolved.leader() != null) {
        result.setLeader(resolved.leader());
      }
      return result.build();
    }
  }

  @Override
  public void initProducerId(
      InitProducerIdRequest request, StreamObserver<InitProducerIdResponse> responses) {
    CompletableFuture<ProducerIdManager.IssuedProducerId> issued =
        request.hasCurrent()
            ? producerIds.bumpEpoch(
                request.getCurrent().getProducerId(), request.getCurrent().getProducerEpoch())
            : producerIds
                .nextProducerId()
                .thenApply(id -> new ProducerIdManager.IssuedProducerId(id, (short) 0));
    issued.whenComplete(
        (ok, failure) -> {
          InitProducerIdResponse.Builder answer = InitProducerIdResponse.newBuilder();
          if (failure != null) {
            answer
                .setError(ErrorMapping.code(failure))
                .setErrorMessage(ErrorMapping.message(failure))
                .setProducerId(-1)
                .setProducerEpoch(-1);
          } else {
            answer
                .setError(ErrorCode.NONE)
                .setProducerId(ok.producerId())
                .setProducerEpoch(ok.epoch());
          }
          responses.onNext(answer.build());
          responses.onCompleted();
        });
  }

  @Override
  public void metadata(MetadataRequest request, StreamObserver<MetadataResponse> responses) {
    MetadataResponse answer;
    try {
      answer = cluster.metadata(request);
    } catch (RuntimeException e) {
      responses.onError(ErrorMapping.toStatus(e));
      return;
    }
    responses.onNext(answer);
    responses.onCompleted();
  }

  static Status invalid(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message);
  }
}
