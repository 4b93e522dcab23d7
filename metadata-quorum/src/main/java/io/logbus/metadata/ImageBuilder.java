package io.logbus.metadata;

import io.logbus.proto.metadata.AllocateProducerIds;
import io.logbus.proto.metadata.AlterConfigs;
import io.logbus.proto.metadata.CreatePartitions;
import io.logbus.proto.metadata.CreateTopic;
import io.logbus.proto.metadata.DeleteTopic;
import io.logbus.proto.metadata.Endpoint;
import io.logbus.proto.metadata.FenceBroker;
import io.logbus.proto.metadata.MetadataRecord;
import io.logbus.proto.metadata.PartitionAssignment;
import io.logbus.proto.metadata.PartitionChange;
import io.logbus.proto.metadata.RegisterBroker;
import io.logbus.proto.metadata.UnfenceBroker;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies metadata records to a copy of an image: the one definition of what a record means.
 *
 * <p>Used both by the state machine (committed records) and by the controller (its view with
 * proposed-but-not-applied records on top), so both agree by construction. Application is total and
 * deterministic: a record that no longer fits the state (a change to a topic deleted since) is
 * skipped with a WARN on every replica alike, never thrown. It remembers which keys it touched so
 * the RocksDB layer writes only those.
 *
 * <p>Not thread-safe; one builder per batch.
 */
final class ImageBuilder {
  private static final Logger LOG = LoggerFactory.getLogger(ImageBuilder.class);

  private final MetadataImage base;
  private final Map<Integer, BrokerRegistration> brokers;
  // Copy-on-write: starts as the base image's (read-only) map and is copied on the first change,
  // and again after build() handed the current map to an image.
  private Map<String, TopicImage> topics;
  private boolean topicsShared;
  private long nextProducerId;

  final Set<Integer> dirtyBrokers = new HashSet<>();

  /** Topics whose StoredTopic changed or which were deleted (absent from the result). */
  final Set<String> dirtyTopics = new HashSet<>();

  /** Topic name to the partition indexes whose StoredPartition changed. */
  final Map<String, Set<Integer>> dirtyPartitions = new HashMap<>();

  /** Deleted topics with the partition count they had, so their partition keys can go too. */
  final Map<String, Integer> deletedTopics = new HashMap<>();

  boolean producerIdsDirty;

  ImageBuilder(MetadataImage base) {
    this.base = base;
    this.brokers = new HashMap<>(base.brokers());
    this.topics = base.topics();
    this.topicsShared = true;
    this.nextProducerId = base.nextProducerId();
  }

  void apply(MetadataRecord record) {
    switch (record.getRecordCase()) {
      case REGISTER_BROKER -> registerBroker(record.getRegisterBroker());
      case FENCE_BROKER -> fenceBroker(record.getFenceBroker());
      case UNFENCE_BROKER -> unfenceBroker(record.getUnfenceBroker());
      case CREATE_TOPIC -> createTopic(record.getCreateTopic());
      case DELETE_TOPIC -> deleteTopic(record.getDeleteTopic());
      case CREATE_PARTITIONS -> createPartitions(record.getCreatePartitions());
      case PARTITION_CHANGE -> partitionChange(record.getPartitionChange());
      case ALTER_CONFIGS -> alterConfigs(record.getAlterConfigs());
      case ALLOCATE_PRODUCER_IDS -> allocateProducerIds(record.getAllocateProducerIds());
      default ->
          throw new IllegalArgumentException(
              "unknown metadata record case " + record.getRecordCase());
    }
  }

  MetadataImage build(long index, long term) {
    topicsShared = true;
    return new MetadataImage(
        brokers, topics, nextProducerId, index, term, base.quorumLeaderId(), base.voters());
  }

  private Map<String, TopicImage> writableTopics() {
    if (topicsShared) {
      // From a sorted map TreeMap copies in linear time, without comparing keys.
      topics = new TreeMap<>(topics);
      topicsShared = false;
    }
    return topics;
  }

  private void registerBroker(RegisterBroker r) {
    Endpoint ep = r.getEndpointsCount() > 0 ? r.getEndpoints(0) : Endpoint.getDefaultInstance();
    brokers.put(
        r.getBrokerId(),
        new BrokerRegistration(
            r.getBrokerId(),
            ep.getHost(),
            ep.getPort(),
            r.getBrokerEpoch(),
            r.getIncarnationId(),
            false));
    dirtyBrokers.add(r.getBrokerId());
  }

  private void fenceBroker(FenceBroker r) {
    setFenced(r.getBrokerId(), r.getBrokerEpoch(), true);
  }

  private void unfenceBroker(UnfenceBroker r) {
    setFenced(r.getBrokerId(), r.getBrokerEpoch(), false);
  }

  private void setFenced(int id, long epoch, boolean fenced) {
    BrokerRegistration b = brokers.get(id);
    if (b == null || b.epoch() != epoch) {
      LOG.warn("skipping fence={} of broker {} epoch {}: registered as {}", fenced, id, epoch, b);
      return;
    }
    brokers.put(id, b.withFenced(fenced));
    dirtyBrokers.add(id);
  }

  private void createTopic(CreateTopic r) {
    if (topics.containsKey(r.getName())) {
      LOG.warn("skipping CreateTopic {}: the name exists", r.getName());
      return;
    }
    List<PartitionState> parts = new ArrayList<>();
    for (PartitionAssignment a : r.getPartitionsList()) {
      parts.add(initialState(a));
    }
    writableTopics()
        .put(
            r.getName(),
            new TopicImage(r.getName(), UUID.fromString(r.getTopicId()), r.getConfigsMap(), parts));
    dirtyTopics.add(r.getName());
    deletedTopics.remove(r.getName());
    markPartitions(r.getName(), 0, parts.size());
  }

  private void deleteTopic(DeleteTopic r) {
    TopicImage t = topics.get(r.getName());
    if (t == null || !t.id().toString().equals(r.getTopicId())) {
      LOG.warn("skipping DeleteTopic {} {}: not present", r.getName(), r.getTopicId());
      return;
    }
    writableTopics().remove(r.getName());
    dirtyTopics.add(r.getName());
    dirtyPartitions.remove(r.getName());
    deletedTopics.merge(r.getName(), t.partitionCount(), Math::max);
  }

  private void createPartitions(CreatePartitions r) {
    TopicImage t = liveTopic(r.getTopic(), r.getTopicId(), "CreatePartitions");
    if (t == null) {
      return;
    }
    List<PartitionState> parts = new ArrayList<>(t.partitions());
    for (PartitionAssignment a : r.getPartitionsList()) {
      if (a.getPartition() != parts.size()) {
        LOG.warn("skipping CreatePartitions {}: partition {} is not next", t.name(), a);
        return;
      }
      parts.add(initialState(a));
    }
    int before = t.partitionCount();
    writableTopics().put(t.name(), new TopicImage(t.name(), t.id(), t.configs(), parts));
    dirtyTopics.add(t.name());
    markPartitions(t.name(), before, parts.size());
  }

  private void partitionChange(PartitionChange r) {
    TopicImage t = liveTopic(r.getTopic(), r.getTopicId(), "PartitionChange");
    if (t == null) {
      return;
    }
    if (r.getPartition() < 0 || r.getPartition() >= t.partitionCount()) {
      LOG.warn("skipping PartitionChange {}-{}: no such partition", t.name(), r.getPartition());
      return;
    }
    List<PartitionState> parts = new ArrayList<>(t.partitions());
    parts.set(
        r.getPartition(),
        new PartitionState(
            r.getPartition(),
            r.getLeader(),
            r.getLeaderEpoch(),
            r.getPartitionEpoch(),
            r.getReplicasList(),
            r.getIsrList()));
    writableTopics().put(t.name(), new TopicImage(t.name(), t.id(), t.configs(), parts));
    markPartitions(t.name(), r.getPartition(), r.getPartition() + 1);
  }

  private void alterConfigs(AlterConfigs r) {
    TopicImage t = liveTopic(r.getTopic(), r.getTopicId(), "AlterConfigs");
    if (t == null) {
      return;
    }
    Map<String, String> configs = new LinkedHashMap<>(t.configs());
    r.getDeleteList().forEach(configs::remove);
    configs.putAll(r.getSetMap());
    writableTopics().put(t.name(), new TopicImage(t.name(), t.id(), configs, t.partitions()));
    dirtyTopics.add(t.name());
  }

  private void allocateProducerIds(AllocateProducerIds r) {
    if (r.getFirstId() != nextProducerId) {
      LOG.warn(
          "skipping AllocateProducerIds from {}: next id is {}", r.getFirstId(), nextProducerId);
      return;
    }
    nextProducerId = r.getFirstId() + r.getCount();
    producerIdsDirty = true;
  }

  private TopicImage liveTopic(String name, String id, String what) {
    TopicImage t = topics.get(name);
    if (t == null || !t.id().toString().equals(id)) {
      LOG.warn("skipping {} of {} {}: topic not present", what, name, id);
      return null;
    }
    return t;
  }

  private void markPartitions(String topic, int from, int to) {
    Set<Integer> set = dirtyPartitions.computeIfAbsent(topic, k -> new HashSet<>());
    for (int p = from; p < to; p++) {
      set.add(p);
    }
  }

  private static PartitionState initialState(PartitionAssignment a) {
    return new PartitionState(
        a.getPartition(), a.getLeader(), 0, 0, a.getReplicasList(), a.getIsrList());
  }
}
