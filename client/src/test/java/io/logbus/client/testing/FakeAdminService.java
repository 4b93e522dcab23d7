package io.logbus.client.testing;

import io.grpc.stub.StreamObserver;
import io.logbus.proto.AdminServiceGrpc;
import io.logbus.proto.AlterConfigsRequest;
import io.logbus.proto.AlterConfigsResponse;
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
import io.logbus.proto.PartitionDescription;
import io.logbus.proto.TopicDescription;
import io.logbus.proto.TopicResult;
import io.logbus.proto.TopicSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** AdminService of one {@link FakeCluster} broker: the rules a controller checks, in memory. */
final class FakeAdminService extends AdminServiceGrpc.AdminServiceImplBase {
  private final FakeCluster cluster;

  FakeAdminService(FakeCluster cluster, int id) {
    this.cluster = cluster;
  }

  @Override
  public void createTopics(CreateTopicsRequest req, StreamObserver<CreateTopicsResponse> out) {
    CreateTopicsResponse.Builder resp = CreateTopicsResponse.newBuilder();
    for (TopicSpec t : req.getTopicsList()) {
      TopicResult.Builder r = TopicResult.newBuilder().setName(t.getName());
      if (!t.getName().matches("[a-zA-Z0-9._-]{1,249}")) {
        r.setError(ErrorCode.INVALID_TOPIC).setErrorMessage("bad name");
      } else if (cluster.topics.containsKey(t.getName())) {
        r.setError(ErrorCode.TOPIC_ALREADY_EXISTS);
      } else if (t.getPartitions() < 1) {
        r.setError(ErrorCode.INVALID_PARTITIONS).setErrorMessage("partitions must be >= 1");
      } else if (t.getReplicationFactor() < 1 || t.getReplicationFactor() > cluster.nodes.size()) {
        r.setError(ErrorCode.INVALID_REPLICATION_FACTOR)
            .setErrorMessage(
                "replication factor "
                    + t.getReplicationFactor()
                    + " larger than the "
                    + cluster.nodes.size()
                    + " available brokers");
      } else {
        cluster.createTopic(t.getName(), t.getPartitions());
        cluster.configs.get(t.getName()).putAll(t.getConfigsMap());
        r.setTopicId("id-" + t.getName());
      }
      resp.addTopics(r);
    }
    out.onNext(resp.build());
    out.onCompleted();
  }

  @Override
  public void deleteTopics(DeleteTopicsRequest req, StreamObserver<DeleteTopicsResponse> out) {
    DeleteTopicsResponse.Builder resp = DeleteTopicsResponse.newBuilder();
    for (String name : req.getNamesList()) {
      TopicResult.Builder r = TopicResult.newBuilder().setName(name);
      if (cluster.topics.remove(name) == null) {
        r.setError(ErrorCode.UNKNOWN_TOPIC);
      }
      resp.addTopics(r);
    }
    out.onNext(resp.build());
    out.onCompleted();
  }

  @Override
  public void createPartitions(
      CreatePartitionsRequest req, StreamObserver<CreatePartitionsResponse> out) {
    TopicResult.Builder r = TopicResult.newBuilder().setName(req.getTopic());
    List<FakePartition> parts = cluster.topics.get(req.getTopic());
    if (parts == null) {
      r.setError(ErrorCode.UNKNOWN_TOPIC);
    } else if (req.getTotalCount() <= parts.size()) {
      r.setError(ErrorCode.INVALID_PARTITIONS)
          .setErrorMessage("topic has " + parts.size() + " partitions; the count must grow");
    } else {
      List<FakePartition> grown = new ArrayList<>(parts);
      for (int p = parts.size(); p < req.getTotalCount(); p++) {
        grown.add(new FakePartition(p % cluster.nodes.size() + 1, List.of(1)));
      }
      cluster.topics.put(req.getTopic(), grown);
    }
    out.onNext(CreatePartitionsResponse.newBuilder().setResult(r).build());
    out.onCompleted();
  }

  @Override
  public void describeTopics(
      DescribeTopicsRequest req, StreamObserver<DescribeTopicsResponse> out) {
    DescribeTopicsResponse.Builder resp = DescribeTopicsResponse.newBuilder();
    var names =
        req.getTopicsCount() == 0 ? new TreeSet<>(cluster.topics.keySet()) : req.getTopicsList();
    for (String name : names) {
      TopicDescription.Builder d = TopicDescription.newBuilder().setName(name);
      List<FakePartition> parts = cluster.topics.get(name);
      if (parts == null) {
        d.setError(ErrorCode.UNKNOWN_TOPIC);
      } else {
        d.setTopicId("id-" + name).putAllConfigs(cluster.configs.getOrDefault(name, Map.of()));
        for (int i = 0; i < parts.size(); i++) {
          FakePartition p = parts.get(i);
          d.addPartitions(
              PartitionDescription.newBuilder()
                  .setPartition(i)
                  .setLeader(p.leader)
                  .setLeaderEpoch(p.leaderEpoch)
                  .addAllReplicas(p.replicas)
                  .addAllIsr(p.replicas)
                  .setLogStartOffset(p.logStartOffset())
                  .setLogEndOffset(p.endOffset()));
        }
      }
      resp.addTopics(d);
    }
    out.onNext(resp.build());
    out.onCompleted();
  }

  @Override
  public void describeConfigs(
      DescribeConfigsRequest req, StreamObserver<DescribeConfigsResponse> out) {
    DescribeConfigsResponse.Builder resp = DescribeConfigsResponse.newBuilder();
    Map<String, String> c = cluster.configs.get(req.getTopic());
    if (c == null) {
      resp.setError(ErrorCode.UNKNOWN_TOPIC);
    } else {
      resp.putAllConfigs(c)
          .putAllEffective(c)
          .putEffective("retention.ms", c.getOrDefault("retention.ms", "604800000"));
    }
    out.onNext(resp.build());
    out.onCompleted();
  }

  @Override
  public void alterConfigs(AlterConfigsRequest req, StreamObserver<AlterConfigsResponse> out) {
    AlterConfigsResponse.Builder resp = AlterConfigsResponse.newBuilder();
    Map<String, String> c = cluster.configs.get(req.getTopic());
    if (c == null) {
      resp.setError(ErrorCode.UNKNOWN_TOPIC);
    } else if (req.getSetMap().keySet().stream().anyMatch(k -> !k.contains("."))) {
      resp.setError(ErrorCode.INVALID_CONFIG).setErrorMessage("unknown config key");
    } else {
      c.putAll(req.getSetMap());
      req.getDeleteList().forEach(c::remove);
    }
    out.onNext(resp.build());
    out.onCompleted();
  }

  @Override
  public void describeCluster(
      DescribeClusterRequest req, StreamObserver<DescribeClusterResponse> out) {
    DescribeClusterResponse.Builder resp =
        DescribeClusterResponse.newBuilder().setClusterId("fake").setQuorumLeader(1);
    for (FakeCluster.FakeBrokerNode n : cluster.nodes) {
      resp.addVoters(n.id)
          .addBrokers(
              BrokerState.newBuilder()
                  .setId(n.id)
                  .setHost("127.0.0.1")
                  .setPort(n.port)
                  .setState(n.running() ? BrokerState.State.ALIVE : BrokerState.State.FENCED));
    }
    out.onNext(resp.build());
    out.onCompleted();
  }
}
