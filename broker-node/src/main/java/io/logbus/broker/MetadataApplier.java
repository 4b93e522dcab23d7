package io.logbus.broker;

import io.logbus.log.PartitionLog;
import io.logbus.metadata.MetadataImage;
import io.logbus.metadata.MetadataListener;
import io.logbus.metadata.PartitionState;
import io.logbus.metadata.TopicImage;
import io.logbus.proto.metadata.MetadataRecord;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns committed metadata into replica roles on this broker: CreateTopic, CreatePartitions and
 * PartitionChange make it leader or follower of the partitions it is a replica of, AlterConfigs
 * updates their log configs, DeleteTopic (or losing a replica) stops the replica and deletes its
 * files. Each partition state (leader epoch, partition epoch) is acted on once: the last one acted
 * on is remembered, so a state seen again (snapshot, replay) changes nothing.
 *
 * <p>Nothing is acted on until this process's own registration (its incarnation id) has been
 * applied. A restarted node replays the image it persisted, which may still name it leader at the
 * epoch it held before the crash; leading again at that epoch, with a log whose unflushed tail was
 * lost, would let followers truncate acknowledged records to match it. The controller fences the
 * old incarnation in the same batch as the new registration, so once that registration is applied
 * the image already carries the new leaders and epochs.
 *
 * <p>When the registration is applied it first deletes orphan replicas (see {@link
 * #deleteOrphanReplicas}).
 *
 * <p>Threads: called only on the quorum's single dispatch thread.
 */
final class MetadataApplier implements MetadataListener {
  private static final Logger log = LoggerFactory.getLogger(MetadataApplier.class);

  private final Broker broker;
  private final int brokerId;
  private final Map<PartitionKey, PartitionState> applied = new HashMap<>();
  private volatile long lastAppliedIndex = -1;
  private final String prefix;
  private final String incarnationId;
  private boolean registered;

  MetadataApplier(Broker broker, String incarnationId) {
    this.broker = broker;
    this.incarnationId = incarnationId;
    this.brokerId = broker.id();
    this.prefix = "[node-" + brokerId + "]";
  }

  long lastAppliedIndex() {
    return lastAppliedIndex;
  }

  @Override
  public void onSnapshot(MetadataImage image) {
    if (!registered && isOwnRegistration(image)) {
      registered = true;
      log.info("{} registration applied; taking up replica roles", prefix);
      deleteOrphanReplicas(image);
    }
    if (!registered) {
      lastAppliedIndex = image.lastAppliedIndex();
      return;
    }
    Set<String> seen = new HashSet<>();
    for (TopicImage topic : image.topics().values()) {
      reconcileTopic(topic);
      seen.add(topic.name());
    }
    for (PartitionKey key : List.copyOf(applied.keySet())) {
      if (!seen.contains(key.topic())) {
        stop(key, true);
      }
    }
    lastAppliedIndex = image.lastAppliedIndex();
  }

  @Override
  public void onRecord(long index, MetadataRecord record, MetadataImage imageAfter) {
    if (!registered) {
      if (record.hasRegisterBroker()
          && record.getRegisterBroker().getBrokerId() == brokerId
          && record.getRegisterBroker().getIncarnationId().equals(incarnationId)) {
        lastAppliedIndex = index;
        onSnapshot(imageAfter);
      }
      lastAppliedIndex = index;
      return;
    }
    try {
      switch (record.getRecordCase()) {
        case CREATE_TOPIC -> reconcile(record.getCreateTopic().getName(), imageAfter);
        case CREATE_PARTITIONS -> reconcile(record.getCreatePartitions().getTopic(), imageAfter);
        case PARTITION_CHANGE -> reconcile(record.getPartitionChange().getTopic(), imageAfter);
        case ALTER_CONFIGS -> alterConfigs(record.getAlterConfigs().getTopic(), imageAfter);
        case DELETE_TOPIC -> deleteTopic(record.getDeleteTopic().getName());
        default -> {
          // Broker registrations, fencing and producer ids need no replica action here.
        }
      }
    } catch (RuntimeException e) {
      // A broken replica must not stop the metadata stream for every other partition.
      log.error("{} applying {} at index {} failed", prefix, record.getRecordCase(), index, e);
    }
    lastAppliedIndex = index;
  }

  /**
   * Deletes the logs on disk of partitions this broker no longer hosts (topics deleted or moved
   * while it was down). Runs once, here on the dispatch thread, against the image of the entry that
   * applied this process's registration: every replica change is made on this thread, so no replica
   * created for a later entry can be mistaken for an orphan (the cleanup used to run on the
   * heartbeat thread against an image read before it listed the logs, and deleted replicas the
   * dispatch thread had just created for new topics). The registration is committed after
   * everything the previous incarnation saw, so a log absent from this image is stale.
   */
  private void deleteOrphanReplicas(MetadataImage image) {
    for (PartitionLog partitionLog : List.copyOf(broker.logManager().logs())) {
      String name = partitionLog.name();
      int dash = name.lastIndexOf('-');
      if (dash <= 0) {
        continue;
      }
      String topic = name.substring(0, dash);
      int partition;
      try {
        partition = Integer.parseInt(name.substring(dash + 1));
      } catch (NumberFormatException e) {
        continue;
      }
      TopicImage t = image.topics().get(topic);
      boolean replica =
          t != null
              && partition < t.partitionCount()
              && t.partition(partition).replicas().contains(brokerId);
      if (!replica) {
        log.info("{} deleting orphan replica {}", prefix, name);
        try {
          broker.replicaManager().stopReplica(new PartitionKey(topic, partition), true);
        } catch (RuntimeException e) {
          log.error("{} deleting orphan replica {} failed", prefix, name, e);
        }
      }
    }
  }

  private boolean isOwnRegistration(MetadataImage image) {
    var self = image.brokers().get(brokerId);
    return self != null && self.incarnationId().equals(incarnationId);
  }

  private void reconcile(String topic, MetadataImage image) {
    TopicImage t = image.topics().get(topic);
    if (t != null) {
      reconcileTopic(t);
    }
  }

  private void reconcileTopic(TopicImage topic) {
    for (PartitionState p : topic.partitions()) {
      PartitionKey key = new PartitionKey(topic.name(), p.partition());
      PartitionState before = applied.get(key);
      if (!p.replicas().contains(brokerId)) {
        if (before != null) {
          stop(key, true);
        }
        continue;
      }
      if (p.equals(before)) {
        continue;
      }
      applied.put(key, p);
      PartitionAssignment a = ImageClusterMetadata.assignment(topic.name(), p);
      if (p.leader() == brokerId) {
        broker.replicaManager().becomeLeader(a, broker.topicConfig(topic.configs()));
      } else if (p.leader() >= 0) {
        broker.replicaManager().becomeFollower(a, broker.topicConfig(topic.configs()));
      } else {
        log.warn("{} {} is offline (no leader in isr {})", prefix, key, p.isr());
      }
    }
  }

  private void alterConfigs(String topic, MetadataImage image) {
    TopicImage t = image.topics().get(topic);
    if (t == null) {
      return;
    }
    for (PartitionState p : t.partitions()) {
      PartitionKey key = new PartitionKey(topic, p.partition());
      if (applied.containsKey(key)) {
        broker.logManager().updateConfig(topic, p.partition(), broker.topicConfig(t.configs()));
      }
    }
  }

  private void deleteTopic(String topic) {
    for (PartitionKey key : List.copyOf(applied.keySet())) {
      if (key.topic().equals(topic)) {
        stop(key, true);
      }
    }
  }

  private void stop(PartitionKey key, boolean delete) {
    applied.remove(key);
    broker.replicaManager().stopReplica(key, delete);
  }
}
