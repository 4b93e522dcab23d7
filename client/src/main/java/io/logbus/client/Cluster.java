package io.logbus.client;

import io.logbus.proto.BrokerInfo;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.MetadataResponse;
import io.logbus.proto.PartitionMetadata;
import io.logbus.proto.TopicMetadata;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An immutable snapshot of one Metadata answer: brokers, topics, partition leaders and epochs. Safe
 * to share between threads.
 */
public final class Cluster {
  private final Map<Integer, BrokerInfo> brokers;
  private final Map<String, TopicMetadata> topics;
  private final int controllerId;
  private final long fetchedAtMs;

  /** availablePartitions per topic, computed once per snapshot (the partitioner asks per batch). */
  private final Map<String, List<Integer>> available = new ConcurrentHashMap<>();

  private Cluster(
      Map<Integer, BrokerInfo> brokers,
      Map<String, TopicMetadata> topics,
      int controllerId,
      long fetchedAtMs) {
    this.brokers = brokers;
    this.topics = topics;
    this.controllerId = controllerId;
    this.fetchedAtMs = fetchedAtMs;
  }

  static Cluster empty() {
    return new Cluster(Map.of(), Map.of(), -1, Long.MIN_VALUE / 2);
  }

  static Cluster of(MetadataResponse response, long nowMs) {
    Map<Integer, BrokerInfo> brokers = new HashMap<>();
    for (BrokerInfo b : response.getBrokersList()) {
      brokers.put(b.getId(), b);
    }
    Map<String, TopicMetadata> topics = new HashMap<>();
    for (TopicMetadata t : response.getTopicsList()) {
      if (t.getError() == ErrorCode.NONE) {
        topics.put(t.getName(), t);
      }
    }
    return new Cluster(Map.copyOf(brokers), Map.copyOf(topics), response.getControllerId(), nowMs);
  }

  public long fetchedAtMs() {
    return fetchedAtMs;
  }

  public int controllerId() {
    return controllerId;
  }

  public Map<Integer, BrokerInfo> brokers() {
    return brokers;
  }

  public boolean hasTopic(String topic) {
    return topics.containsKey(topic);
  }

  /** The partition count, or -1 if the topic is unknown. */
  public int partitionCount(String topic) {
    TopicMetadata t = topics.get(topic);
    return t == null ? -1 : t.getPartitionsCount();
  }

  public Optional<PartitionMetadata> partition(TopicPartition tp) {
    TopicMetadata t = topics.get(tp.topic());
    if (t == null) {
      return Optional.empty();
    }
    for (PartitionMetadata p : t.getPartitionsList()) {
      if (p.getPartition() == tp.partition()) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /** Partitions of the topic that have a live leader right now (for the sticky partitioner). */
  public List<Integer> availablePartitions(String topic) {
    TopicMetadata t = topics.get(topic);
    if (t == null) {
      return List.of();
    }
    // The snapshot is immutable, so the answer is too; a metadata change brings a new Cluster.
    return available.computeIfAbsent(topic, k -> computeAvailable(t));
  }

  private List<Integer> computeAvailable(TopicMetadata t) {
    List<Integer> result = new ArrayList<>();
    for (PartitionMetadata p : t.getPartitionsList()) {
      if (p.getLeader() >= 0 && brokers.containsKey(p.getLeader())) {
        result.add(p.getPartition());
      }
    }
    return List.copyOf(result);
  }

  /** The leader's address, empty if the partition is offline or the leader is not listed. */
  public Optional<Leader> leader(TopicPartition tp) {
    return partition(tp)
        .filter(p -> p.getLeader() >= 0)
        .flatMap(
            p -> {
              BrokerInfo b = brokers.get(p.getLeader());
              return b == null
                  ? Optional.empty()
                  : Optional.of(
                      new Leader(
                          b.getId(), new HostPort(b.getHost(), b.getPort()), p.getLeaderEpoch()));
            });
  }

  /** A partition leader: broker id, address and the leader epoch of this snapshot. */
  public record Leader(int brokerId, HostPort address, int epoch) {}
}
