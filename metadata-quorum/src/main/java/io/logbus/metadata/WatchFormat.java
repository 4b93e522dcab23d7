package io.logbus.metadata;

import io.logbus.proto.metadata.StoredPartition;
import io.logbus.proto.metadata.StoredTopic;
import io.logbus.proto.metadata.WatchSnapshot;
import io.logbus.proto.metadata.WatchTopic;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The whole metadata state on the watch stream ({@link WatchSnapshot}): brokers, topics and
 * partitions in the stored forms of {@link MetadataStoreFormat}, the next producer id and the
 * (term, index) it reflects. Quorum leader and voters are not part of it (read-time facts).
 */
final class WatchFormat {
  private WatchFormat() {}

  static WatchSnapshot toSnapshot(MetadataImage image) {
    WatchSnapshot.Builder b =
        WatchSnapshot.newBuilder()
            .setIndex(image.lastAppliedIndex())
            .setTerm(image.lastAppliedTerm())
            .setNextProducerId(image.nextProducerId());
    image.brokers().values().forEach(broker -> b.addBrokers(MetadataStoreFormat.toStored(broker)));
    for (TopicImage t : image.topics().values()) {
      WatchTopic.Builder topic = WatchTopic.newBuilder().setTopic(MetadataStoreFormat.toStored(t));
      t.partitions().forEach(p -> topic.addPartitions(MetadataStoreFormat.toStored(p)));
      b.addTopics(topic);
    }
    return b.build();
  }

  /**
   * @throws MetadataException if the snapshot is inconsistent (partition count or indexes, topic
   *     id) — a damaged or foreign stream must not seed a wrong state
   */
  static MetadataImage toImage(WatchSnapshot s) {
    Map<Integer, BrokerRegistration> brokers = new HashMap<>();
    s.getBrokersList()
        .forEach(b -> brokers.put(b.getBrokerId(), MetadataStoreFormat.fromStored(b)));
    TreeMap<String, TopicImage> topics = new TreeMap<>();
    for (WatchTopic wt : s.getTopicsList()) {
      StoredTopic t = wt.getTopic();
      List<PartitionState> parts = new ArrayList<>();
      for (StoredPartition p : wt.getPartitionsList()) {
        if (p.getPartition() != parts.size()) {
          throw new MetadataException(
              "watch snapshot: topic "
                  + t.getName()
                  + " partition "
                  + p.getPartition()
                  + " out of order");
        }
        parts.add(MetadataStoreFormat.fromStored(p));
      }
      if (parts.size() != t.getPartitionCount()) {
        throw new MetadataException(
            "watch snapshot: topic "
                + t.getName()
                + " records "
                + t.getPartitionCount()
                + " partitions but carries "
                + parts.size());
      }
      UUID id;
      try {
        id = UUID.fromString(t.getTopicId());
      } catch (IllegalArgumentException e) {
        throw new MetadataException("watch snapshot: topic " + t.getName() + " has a bad id", e);
      }
      topics.put(t.getName(), new TopicImage(t.getName(), id, t.getConfigsMap(), parts));
    }
    return new MetadataImage(
        brokers, topics, s.getNextProducerId(), s.getIndex(), s.getTerm(), -1, List.of());
  }
}
