package io.logbus.broker;

import io.logbus.metadata.BrokerRegistration;
import io.logbus.metadata.MetadataImage;
import io.logbus.metadata.PartitionState;
import io.logbus.metadata.TopicImage;
import io.logbus.proto.BrokerInfo;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.MetadataRequest;
import io.logbus.proto.MetadataResponse;
import io.logbus.proto.PartitionMetadata;
import io.logbus.proto.TopicMetadata;
import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@link ClusterMetadata} and {@link BrokerAddresses} over the metadata quorum's latest applied
 * image on this node. Reads only immutable images; any thread.
 */
public final class ImageClusterMetadata implements ClusterMetadata, BrokerAddresses {
  private final Supplier<MetadataImage> images;
  private final String clusterId;

  public ImageClusterMetadata(Supplier<MetadataImage> images, String clusterId) {
    this.images = images;
    this.clusterId = clusterId;
  }

  static PartitionAssignment assignment(String topic, PartitionState p) {
    return new PartitionAssignment(
        topic,
        p.partition(),
        p.leader(),
        p.leaderEpoch(),
        p.partitionEpoch(),
        p.replicas(),
        p.isr());
  }

  @Override
  public PartitionAssignment assignment(String topic, int partition) {
    TopicImage t = images.get().topics().get(topic);
    if (t == null || partition < 0 || partition >= t.partitionCount()) {
      return null;
    }
    return assignment(topic, t.partition(partition));
  }

  @Override
  public boolean topicExists(String topic) {
    return images.get().topics().containsKey(topic);
  }

  @Override
  public String address(int brokerId) {
    BrokerRegistration b = images.get().brokers().get(brokerId);
    return b == null ? null : b.host() + ":" + b.port();
  }

  @Override
  public MetadataResponse metadata(MetadataRequest request) {
    MetadataImage image = images.get();
    MetadataResponse.Builder answer =
        MetadataResponse.newBuilder()
            .setClusterId(clusterId)
            .setControllerId(image.quorumLeaderId());
    for (BrokerRegistration b : image.brokers().values()) {
      answer.addBrokers(
          BrokerInfo.newBuilder()
              .setId(b.id())
              .setHost(b.host())
              .setPort(b.port())
              .setFenced(b.fenced()));
    }
    Collection<String> names =
        request.getTopicsCount() == 0 ? image.topics().keySet() : request.getTopicsList();
    for (String name : names) {
      TopicImage t = image.topics().get(name);
      if (t == null) {
        answer.addTopics(
            TopicMetadata.newBuilder().setName(name).setError(ErrorCode.UNKNOWN_TOPIC));
        continue;
      }
      if (t.isInternal() && request.getTopicsCount() == 0 && !request.getIncludeInternal()) {
        continue;
      }
      answer.addTopics(topicMetadata(t));
    }
    return answer.build();
  }

  static TopicMetadata topicMetadata(TopicImage t) {
    TopicMetadata.Builder tm =
        TopicMetadata.newBuilder()
            .setName(t.name())
            .setTopicId(t.id().toString())
            .setInternal(t.isInternal());
    for (PartitionState p : t.partitions()) {
      tm.addPartitions(
          PartitionMetadata.newBuilder()
              .setPartition(p.partition())
              .setError(p.isOffline() ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE)
              .setLeader(p.leader())
              .setLeaderEpoch(p.leaderEpoch())
              .addAllReplicas(p.replicas())
              .addAllIsr(p.isr()));
    }
    return tm.build();
  }

  List<Integer> voters() {
    return images.get().voters();
  }
}
