package io.logbus.broker;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.logbus.log.LogConfig;
import io.logbus.metadata.BrokerRegistration;
import io.logbus.metadata.Controller;
import io.logbus.metadata.MetadataImage;
import io.logbus.metadata.PartitionState;
import io.logbus.metadata.TopicImage;
import io.logbus.proto.AlterConfigsRequest;
import io.logbus.proto.AlterConfigsResponse;
import io.logbus.proto.BrokerServiceGrpc;
import io.logbus.proto.BrokerState;
import io.logbus.proto.CreatePartitionsRequest;
import io.logbus.proto.CreatePartitionsResponse;
import io.logbus.proto.CreateTopicsRequest;
import io.logbus.proto.CreateTopicsResponse;
import io.logbus.proto.DeleteTopicsRequest;
import io.logbus.proto.DeleteTopicsResponse;
import io.logbus.proto.DescribeClusterRequest;
import io.logbus.proto.DescribeClusterResponse;
import io.logbus.proto.DescribeConfigsRequest;
import io.logbus.proto.DescribeConfigsResponse;
import io.logbus.proto.DescribeTopicsRequest;
import io.logbus.proto.DescribeTopicsResponse;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.ListOffsetsPartition;
import io.logbus.proto.ListOffsetsRequest;
import io.logbus.proto.ListOffsetsResult;
import io.logbus.proto.PartitionDescription;
import io.logbus.proto.TopicDescription;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The admin API (broker.proto AdminService) on any node: writes are forwarded to the controller
 * ({@code MetadataQuorum.controller()}), reads come from the metadata image, and DescribeTopics
 * adds each partition's log start and end (HW) from its leader: locally when this broker leads,
 * else by a ListOffsets call to the leader. Never blocks a gRPC thread.
 */
public final class AdminServiceImpl extends io.logbus.proto.AdminServiceGrpc.AdminServiceImplBase
    implements AutoCloseable {
  private static final long PEER_TIMEOUT_MS = 5_000;

  private final Controller controller;
  private final Supplier<MetadataImage> images;
  private final Supplier<CompletableFuture<MetadataImage>> linearizable;
  private final ReplicaManager replicaManager;
  private final ImageClusterMetadata cluster;
  private final LogConfig defaults;
  private final String clusterId;
  private final Executor executor;
  private final Map<String, ManagedChannel> peers = new ConcurrentHashMap<>();

  public AdminServiceImpl(
      Controller controller,
      Supplier<MetadataImage> images,
      Supplier<CompletableFuture<MetadataImage>> linearizable,
      ReplicaManager replicaManager,
      ImageClusterMetadata cluster,
      LogConfig defaults,
      String clusterId,
      Executor executor) {
    this.controller = controller;
    this.images = images;
    this.linearizable = linearizable;
    this.replicaManager = replicaManager;
    this.cluster = cluster;
    this.defaults = defaults;
    this.clusterId = clusterId;
    this.executor = executor;
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

  @Override
  public void createTopics(
      CreateTopicsRequest request, StreamObserver<CreateTopicsResponse> responses) {
    reply(controller.createTopics(request), responses);
  }

  @Override
  public void deleteTopics(
      DeleteTopicsRequest request, StreamObserver<DeleteTopicsResponse> responses) {
    reply(controller.deleteTopics(request), responses);
  }

  @Override
  public void createPartitions(
      CreatePartitionsRequest request, StreamObserver<CreatePartitionsResponse> responses) {
    reply(controller.createPartitions(request), responses);
  }

  @Override
  public void alterConfigs(
      AlterConfigsRequest request, StreamObserver<AlterConfigsResponse> responses) {
    reply(controller.alterConfigs(request), responses);
  }

  @Override
  public void describeConfigs(
      DescribeConfigsRequest request, StreamObserver<DescribeConfigsResponse> responses) {
    reply(
        linearizable
            .get()
            .thenApply(
                image -> {
                  TopicImage t = image.topics().get(request.getTopic());
                  if (t == null) {
                    return DescribeConfigsResponse.newBuilder()
                        .setError(ErrorCode.UNKNOWN_TOPIC)
                        .setErrorMessage("unknown topic '" + request.getTopic() + "'")
                        .build();
                  }
                  return DescribeConfigsResponse.newBuilder()
                      .putAllConfigs(t.configs())
                      .putAllEffective(LogConfig.fromMap(t.configs(), defaults).toMap())
                      .build();
                }),
        responses);
  }

  @Override
  public void describeCluster(
      DescribeClusterRequest request, StreamObserver<DescribeClusterResponse> responses) {
    MetadataImage image = images.get();
    DescribeClusterResponse.Builder answer =
        DescribeClusterResponse.newBuilder()
            .setClusterId(clusterId)
            .setQuorumLeader(image.quorumLeaderId())
            .addAllVoters(image.voters());
    for (BrokerRegistration b : image.brokers().values()) {
      answer.addBrokers(
          BrokerState.newBuilder()
              .setId(b.id())
              .setHost(b.host())
              .setPort(b.port())
              .setState(b.fenced() ? BrokerState.State.FENCED : BrokerState.State.ALIVE));
    }
    int under = 0;
    int offline = 0;
    for (TopicImage t : image.topics().values()) {
      for (PartitionState p : t.partitions()) {
        if (p.isOffline()) {
          offline++;
        } else if (p.isr().size() < p.replicas().size()) {
          under++;
        }
      }
    }
    responses.onNext(
        answer.setUnderReplicatedPartitions(under).setOfflinePartitions(offline).build());
    responses.onCompleted();
  }

  @Override
  public void describeTopics(
      DescribeTopicsRequest request, StreamObserver<DescribeTopicsResponse> responses) {
    reply(linearizable.get().thenCompose(image -> describe(image, request)), responses);
  }

  private CompletableFuture<DescribeTopicsResponse> describe(
      MetadataImage image, DescribeTopicsRequest request) {
    Collection<String> names =
        request.getTopicsCount() == 0 ? image.topics().keySet() : request.getTopicsList();
    List<CompletableFuture<TopicDescription>> topics = new ArrayList<>();
    for (String name : names) {
      TopicImage t = image.topics().get(name);
      if (t == null) {
        topics.add(
            CompletableFuture.completedFuture(
                TopicDescription.newBuilder()
                    .setName(name)
                    .setError(ErrorCode.UNKNOWN_TOPIC)
                    .setErrorMessage("unknown topic '" + name + "'")
                    .build()));
      } else if (!t.isInternal() || request.getTopicsCount() > 0 || request.getIncludeInternal()) {
        topics.add(describe(t));
      }
    }
    return CompletableFuture.allOf(topics.toArray(new CompletableFuture<?>[0]))
        .thenApply(
            v -> {
              DescribeTopicsResponse.Builder answer = DescribeTopicsResponse.newBuilder();
              topics.forEach(f -> answer.addTopics(f.join()));
              return answer.build();
            });
  }

  private CompletableFuture<TopicDescription> describe(TopicImage t) {
    List<CompletableFuture<PartitionDescription>> parts = new ArrayList<>();
    for (PartitionState p : t.partitions()) {
      PartitionDescription.Builder d =
          PartitionDescription.newBuilder()
              .setPartition(p.partition())
              .setLeader(p.leader())
              .setLeaderEpoch(p.leaderEpoch())
              .addAllReplicas(p.replicas())
              .addAllIsr(p.isr())
              .setLogStartOffset(-1)
              .setLogEndOffset(-1);
      parts.add(
          offsets(t.name(), p)
              .thenApply(
                  o ->
                      o == null
                          ? d.build()
                          : d.setLogStartOffset(o[0]).setLogEndOffset(o[1]).build()));
    }
    return CompletableFuture.allOf(parts.toArray(new CompletableFuture<?>[0]))
        .thenApply(
            v -> {
              TopicDescription.Builder td =
                  TopicDescription.newBuilder()
                      .setName(t.name())
                      .setTopicId(t.id().toString())
                      .setInternal(t.isInternal())
                      .putAllConfigs(t.configs());
              parts.forEach(f -> td.addPartitions(f.join()));
              return td.build();
            });
  }

  /** {log start, HW} from the leader, or null when it cannot be had (offline, unreachable). */
  private CompletableFuture<long[]> offsets(String topic, PartitionState p) {
    if (p.isOffline()) {
      return CompletableFuture.completedFuture(null);
    }
    Optional<Partition> local = replicaManager.partition(new PartitionKey(topic, p.partition()));
    if (p.leader() == replicaManager.brokerId() && local.isPresent()) {
      return CompletableFuture.completedFuture(
          new long[] {local.get().logStartOffset(), local.get().highWatermark()});
    }
    String address = cluster.address(p.leader());
    if (address == null) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<long[]> answer = new CompletableFuture<>();
    BrokerServiceGrpc.newStub(peer(address))
        .withDeadlineAfter(PEER_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .listOffsets(
            ListOffsetsRequest.newBuilder()
                .addPartitions(
                    ListOffsetsPartition.newBuilder()
                        .setTopic(topic)
                        .setPartition(p.partition())
                        .setTimestamp(-1))
                .build(),
            new StreamObserver<>() {
              @Override
              public void onNext(io.logbus.proto.ListOffsetsResponse value) {
                ListOffsetsResult r = value.getPartitions(0);
                answer.complete(
                    r.getError() == ErrorCode.NONE
                        ? new long[] {r.getLogStartOffset(), r.getLogEndOffset()}
                        : null);
              }

              @Override
              public void onError(Throwable t) {
                answer.complete(null);
              }

              @Override
              public void onCompleted() {
                answer.complete(null);
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
