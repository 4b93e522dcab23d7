package io.logbus.client;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.logbus.proto.AdminServiceGrpc;
import io.logbus.proto.AdminServiceGrpc.AdminServiceBlockingStub;
import io.logbus.proto.AlterConfigsRequest;
import io.logbus.proto.AlterConfigsResponse;
import io.logbus.proto.BrokerState;
import io.logbus.proto.CreatePartitionsRequest;
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
import io.logbus.proto.PartitionDescription;
import io.logbus.proto.TopicResult;
import io.logbus.proto.TopicSpec;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Admin client, shaped like Kafka's Admin: topics, partitions, configs, cluster. Any broker answers
 * (it forwards to the controller); each operation retries on another broker or after a back-off
 * while the controller is unavailable, bounded by default.api.timeout.ms. Thread-safe.
 */
public final class LogbusAdmin implements AutoCloseable {
  private final AdminConfig config;
  private final BrokerChannels channels = new BrokerChannels();
  private final MetadataManager metadata;
  private final ExecutorService executor;
  private final Clock clock;
  private final GroupAdmin groups;
  private volatile boolean everReached;

  private LogbusAdmin(AdminConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
    this.metadata =
        new MetadataManager(
            config.clientId(),
            config.bootstrapServers(),
            channels,
            config.requestTimeoutMs(),
            config.retryBackoffMs(),
            clock);
    this.executor =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "logbus-admin-" + config.clientId());
              t.setDaemon(true);
              return t;
            });
    this.groups =
        new GroupAdmin(
            new CoordinatorClient(
                config.clientId(),
                metadata,
                config.requestTimeoutMs(),
                config.retryBackoffMs(),
                clock),
            metadata,
            config,
            clock);
  }

  public static Builder builder() {
    return new Builder();
  }

  public AdminConfig config() {
    return config;
  }

  // ------------------------------------------------------------------ topics

  /** Creates the topics; completes with name -> topic id, or fails with the first error. */
  public CompletableFuture<Map<String, String>> createTopics(Collection<NewTopic> topics) {
    CreateTopicsRequest.Builder req = CreateTopicsRequest.newBuilder();
    for (NewTopic t : topics) {
      req.addTopics(
          TopicSpec.newBuilder()
              .setName(t.name())
              .setPartitions(t.partitions())
              .setReplicationFactor(t.replicationFactor())
              .putAllConfigs(t.configs()));
    }
    return async(
        "create topics",
        stub -> {
          CreateTopicsResponse r = stub.createTopics(req.build());
          Map<String, String> ids = new LinkedHashMap<>();
          for (TopicResult tr : r.getTopicsList()) {
            check(tr.getError(), tr.getErrorMessage(), tr.getName());
            ids.put(tr.getName(), tr.getTopicId());
          }
          return ids;
        });
  }

  public CompletableFuture<String> createTopic(NewTopic topic) {
    return createTopics(List.of(topic)).thenApply(m -> m.get(topic.name()));
  }

  public CompletableFuture<Void> deleteTopics(Collection<String> names) {
    DeleteTopicsRequest req = DeleteTopicsRequest.newBuilder().addAllNames(names).build();
    return async(
        "delete topics",
        stub -> {
          DeleteTopicsResponse r = stub.deleteTopics(req);
          for (TopicResult tr : r.getTopicsList()) {
            check(tr.getError(), tr.getErrorMessage(), tr.getName());
          }
          return null;
        });
  }

  /** Names of the non-internal topics (internal ones too if asked), sorted. */
  public CompletableFuture<Set<String>> listTopics(boolean includeInternal) {
    return async(
        "list topics",
        stub -> {
          DescribeTopicsResponse r =
              stub.describeTopics(
                  DescribeTopicsRequest.newBuilder().setIncludeInternal(includeInternal).build());
          return r.getTopicsList().stream()
              .filter(t -> includeInternal || !t.getInternal())
              .map(io.logbus.proto.TopicDescription::getName)
              .collect(Collectors.toCollection(TreeSet::new));
        });
  }

  /** Describes the named topics (all non-internal ones when empty); unknown names fail. */
  public CompletableFuture<List<TopicDescription>> describeTopics(Collection<String> names) {
    DescribeTopicsRequest req = DescribeTopicsRequest.newBuilder().addAllTopics(names).build();
    return async(
        "describe topics",
        stub -> {
          DescribeTopicsResponse r = stub.describeTopics(req);
          List<TopicDescription> out = new ArrayList<>();
          for (io.logbus.proto.TopicDescription t : r.getTopicsList()) {
            check(t.getError(), t.getErrorMessage(), t.getName());
            List<TopicDescription.PartitionInfo> parts = new ArrayList<>();
            for (PartitionDescription p : t.getPartitionsList()) {
              parts.add(
                  new TopicDescription.PartitionInfo(
                      p.getPartition(),
                      p.getLeader(),
                      p.getLeaderEpoch(),
                      List.copyOf(p.getReplicasList()),
                      List.copyOf(p.getIsrList()),
                      p.getLogStartOffset(),
                      p.getLogEndOffset()));
            }
            parts.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
            out.add(
                new TopicDescription(
                    t.getName(),
                    t.getTopicId(),
                    t.getInternal(),
                    Map.copyOf(t.getConfigsMap()),
                    List.copyOf(parts)));
          }
          out.sort((a, b) -> a.name().compareTo(b.name()));
          return List.copyOf(out);
        });
  }

  /** Grows the topic to {@code totalCount} partitions. */
  public CompletableFuture<Void> createPartitions(String topic, int totalCount) {
    CreatePartitionsRequest req =
        CreatePartitionsRequest.newBuilder().setTopic(topic).setTotalCount(totalCount).build();
    return async(
        "create partitions",
        stub -> {
          TopicResult tr = stub.createPartitions(req).getResult();
          check(tr.getError(), tr.getErrorMessage(), topic);
          return null;
        });
  }

  public CompletableFuture<TopicConfigs> describeConfigs(String topic) {
    DescribeConfigsRequest req = DescribeConfigsRequest.newBuilder().setTopic(topic).build();
    return async(
        "describe configs",
        stub -> {
          DescribeConfigsResponse r = stub.describeConfigs(req);
          check(r.getError(), r.getErrorMessage(), topic);
          return new TopicConfigs(Map.copyOf(r.getConfigsMap()), Map.copyOf(r.getEffectiveMap()));
        });
  }

  /** Sets and removes topic configs in one step. */
  public CompletableFuture<Void> alterConfigs(
      String topic, Map<String, String> set, Collection<String> delete) {
    AlterConfigsRequest req =
        AlterConfigsRequest.newBuilder()
            .setTopic(topic)
            .putAllSet(set)
            .addAllDelete(delete)
            .build();
    return async(
        "alter configs",
        stub -> {
          AlterConfigsResponse r = stub.alterConfigs(req);
          check(r.getError(), r.getErrorMessage(), topic);
          return null;
        });
  }

  public CompletableFuture<ClusterDescription> describeCluster() {
    return async(
        "describe cluster",
        stub -> {
          DescribeClusterResponse r =
              stub.describeCluster(DescribeClusterRequest.newBuilder().build());
          List<ClusterDescription.Broker> brokers = new ArrayList<>();
          for (BrokerState b : r.getBrokersList()) {
            brokers.add(
                new ClusterDescription.Broker(
                    b.getId(), b.getHost(), b.getPort(), b.getState() == BrokerState.State.FENCED));
          }
          brokers.sort((a, b) -> Integer.compare(a.id(), b.id()));
          List<Integer> voters = new ArrayList<>(r.getVotersList());
          voters.sort(null);
          return new ClusterDescription(
              r.getClusterId(),
              r.getQuorumLeader(),
              List.copyOf(voters),
              List.copyOf(brokers),
              r.getUnderReplicatedPartitions(),
              r.getOfflinePartitions());
        });
  }

  // ------------------------------------------------------------------ consumer groups

  /** Every consumer group of the cluster (each broker lists those it coordinates), by id. */
  public CompletableFuture<List<GroupListing>> listGroups() {
    return supply(groups::listGroups);
  }

  /** Members, assignment and per-partition lag; GROUP_ID_NOT_FOUND fails as ApiException. */
  public CompletableFuture<GroupDescription> describeGroup(String groupId) {
    return supply(() -> groups.describeGroup(groupId));
  }

  /**
   * Moves the group's committed offsets of a topic (or one partition of it); only while the group
   * has no active members (else GROUP_NOT_EMPTY). A dry run reports without changing anything.
   */
  public CompletableFuture<List<OffsetResetResult>> resetOffsets(
      String groupId, String topic, Integer partitionOrNull, OffsetResetSpec spec, boolean dryRun) {
    return supply(() -> groups.resetOffsets(groupId, topic, partitionOrNull, spec, dryRun));
  }

  /** Deletes an empty group and its offsets (else GROUP_NOT_EMPTY). */
  public CompletableFuture<Void> deleteGroup(String groupId) {
    return supply(
        () -> {
          groups.deleteGroup(groupId);
          return null;
        });
  }

  /** The group's committed offsets; a partition without one is absent. */
  public CompletableFuture<Map<TopicPartition, Long>> listCommittedOffsets(String groupId) {
    return supply(() -> groups.listCommittedOffsets(groupId));
  }

  private <R> CompletableFuture<R> supply(java.util.function.Supplier<R> call) {
    return CompletableFuture.supplyAsync(call, executor);
  }

  private static void check(ErrorCode code, String message, String subject) {
    if (code != ErrorCode.NONE && code != ErrorCode.UNRECOGNIZED) {
      throw ApiException.of(code, message, subject);
    }
  }

  // ------------------------------------------------------------------ retries

  private <R> CompletableFuture<R> async(String what, Function<AdminServiceBlockingStub, R> rpc) {
    return supply(() -> withRetries(what, rpc));
  }

  /**
   * Tries the known brokers, then the bootstrap list. Unreachable brokers are skipped; retriable
   * errors back off and retry until default.api.timeout.ms. If no broker was ever reached, one
   * round of refusals fails at once: nothing suggests waiting will help.
   */
  private <R> R withRetries(String what, Function<AdminServiceBlockingStub, R> rpc) {
    long deadline = clock.millis() + config.apiTimeoutMs();
    RuntimeException last = null;
    while (true) {
      Set<HostPort> candidates = metadata.addresses();
      boolean anyAnswered = false;
      for (HostPort address : candidates) {
        try {
          R result =
              rpc.apply(
                  AdminServiceGrpc.newBlockingStub(channels.channel(address))
                      .withDeadlineAfter(config.requestTimeoutMs(), TimeUnit.MILLISECONDS));
          everReached = true;
          return result;
        } catch (StatusRuntimeException e) {
          last = e;
          Status.Code code = e.getStatus().getCode();
          if (code != Status.Code.UNAVAILABLE && code != Status.Code.DEADLINE_EXCEEDED) {
            throw new LogbusException(what + " failed at " + address + ": " + e.getStatus(), e);
          }
        } catch (ApiException e) {
          if (!e.retriable()) {
            throw e;
          }
          anyAnswered = true;
          everReached = true;
          last = e;
          break;
        }
      }
      if (!anyAnswered && !everReached) {
        throw unreachable(candidates, last);
      }
      if (clock.millis() + config.retryBackoffMs() >= deadline) {
        if (last instanceof ApiException ae) {
          throw new ClientTimeoutException(
              what + " timed out after " + config.apiTimeoutMs() + " ms: " + ae.getMessage(), ae);
        }
        throw unreachable(candidates, last);
      }
      refreshQuietly();
      Futures.sleep(config.retryBackoffMs());
    }
  }

  private void refreshQuietly() {
    try {
      metadata.refresh();
    } catch (BrokerUnavailableException ignored) {
      // The next round reports unreachable brokers with the facts.
    }
  }

  private static BrokerUnavailableException unreachable(
      Collection<HostPort> tried, RuntimeException last) {
    String reason =
        last instanceof StatusRuntimeException sre
            ? " (" + sre.getStatus().getCode() + ")"
            : last == null ? "" : " (" + last.getMessage() + ")";
    return new BrokerUnavailableException(
        "no broker reachable at "
            + tried.stream().map(HostPort::toString).collect(Collectors.joining(","))
            + reason,
        last);
  }

  @Override
  public void close() {
    executor.shutdownNow();
    channels.close();
  }

  /** Builds a {@link LogbusAdmin}; only bootstrap servers are required. */
  public static final class Builder {
    private List<HostPort> bootstrap;
    private String clientId = "admin";
    private long requestTimeoutMs = 30_000;
    private long apiTimeoutMs = 60_000;
    private long retryBackoffMs = 100;
    private Clock clock = Clock.systemUTC();

    public Builder bootstrapServers(String servers) {
      this.bootstrap = HostPort.parseList("bootstrap.servers", servers);
      return this;
    }

    public Builder clientId(String id) {
      this.clientId = id;
      return this;
    }

    public Builder requestTimeoutMs(long ms) {
      this.requestTimeoutMs = ms;
      return this;
    }

    public Builder apiTimeoutMs(long ms) {
      this.apiTimeoutMs = ms;
      return this;
    }

    public Builder retryBackoffMs(long ms) {
      this.retryBackoffMs = ms;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    public LogbusAdmin build() {
      if (bootstrap == null) {
        throw new ConfigException("bootstrap.servers", null, "required");
      }
      return new LogbusAdmin(
          new AdminConfig(bootstrap, clientId, requestTimeoutMs, apiTimeoutMs, retryBackoffMs),
          clock);
    }
  }
}
