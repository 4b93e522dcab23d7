package io.logbus.metadata;

import io.logbus.proto.AlterConfigsRequest;
import io.logbus.proto.AlterConfigsResponse;
import io.logbus.proto.CreatePartitionsRequest;
import io.logbus.proto.CreatePartitionsResponse;
import io.logbus.proto.CreateTopicsRequest;
import io.logbus.proto.CreateTopicsResponse;
import io.logbus.proto.DeleteTopicsRequest;
import io.logbus.proto.DeleteTopicsResponse;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.TopicResult;
import io.logbus.proto.TopicSpec;
import io.logbus.proto.metadata.AlterConfigs;
import io.logbus.proto.metadata.ControllerResponse;
import io.logbus.proto.metadata.CreatePartitions;
import io.logbus.proto.metadata.CreateTopic;
import io.logbus.proto.metadata.DeleteTopic;
import io.logbus.proto.metadata.MetadataRecord;
import io.logbus.proto.metadata.PartitionAssignment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Validates admin requests about topics against the controller's view and turns the valid ones into
 * records. Pure: the view, a UUID source and the request in; a {@link Decision} out. Invalid items
 * produce a typed error and no record; valid items of the same request still go.
 */
final class TopicRequests {
  static final int MAX_PARTITIONS = 100_000;

  private TopicRequests() {}

  static Decision createTopics(MetadataImage view, CreateTopicsRequest req, Supplier<UUID> ids) {
    List<Integer> live = view.liveBrokerIds();
    List<MetadataRecord> records = new ArrayList<>();
    CreateTopicsResponse.Builder resp = CreateTopicsResponse.newBuilder();
    Map<String, Integer> seen = new HashMap<>();
    for (TopicSpec t : req.getTopicsList()) {
      seen.merge(t.getName(), 1, Integer::sum);
    }
    ImageBuilder working = new ImageBuilder(view);
    MetadataImage current = view;
    for (TopicSpec t : req.getTopicsList()) {
      TopicResult.Builder r = TopicResult.newBuilder().setName(t.getName());
      Optional<String> bad = TopicNames.problem(t.getName());
      Optional<String> badConfig = TopicConfigs.validate(t.getConfigsMap());
      if (bad.isPresent()) {
        fail(r, ErrorCode.INVALID_TOPIC, bad.get());
      } else if (seen.get(t.getName()) > 1) {
        fail(
            r, ErrorCode.INVALID_REQUEST, "topic " + t.getName() + " appears twice in the request");
      } else if (view.topics().containsKey(t.getName())) {
        fail(r, ErrorCode.TOPIC_ALREADY_EXISTS, "topic " + t.getName() + " already exists");
      } else if (t.getPartitions() < 1 || t.getPartitions() > MAX_PARTITIONS) {
        fail(
            r,
            ErrorCode.INVALID_PARTITIONS,
            "partitions must be between 1 and " + MAX_PARTITIONS + ", got " + t.getPartitions());
      } else if (t.getReplicationFactor() < 1 || t.getReplicationFactor() > live.size()) {
        fail(
            r,
            ErrorCode.INVALID_REPLICATION_FACTOR,
            "replication factor "
                + t.getReplicationFactor()
                + " must be between 1 and the "
                + live.size()
                + " live brokers");
      } else if (badConfig.isPresent()) {
        fail(r, ErrorCode.INVALID_CONFIG, badConfig.get());
      } else {
        UUID id = ids.get();
        r.setTopicId(id.toString());
        if (!req.getValidateOnly()) {
          CreateTopic.Builder ct =
              CreateTopic.newBuilder()
                  .setName(t.getName())
                  .setTopicId(id.toString())
                  .putAllConfigs(t.getConfigsMap());
          List<List<Integer>> placement =
              ReplicaPlacer.place(current, live, t.getPartitions(), t.getReplicationFactor());
          for (int p = 0; p < placement.size(); p++) {
            ct.addPartitions(assignment(p, placement.get(p)));
          }
          MetadataRecord rec = MetadataRecord.newBuilder().setCreateTopic(ct).build();
          records.add(rec);
          // Later topics of this request see this one's placement, so they spread too.
          working.apply(rec);
          current = working.build(view.lastAppliedIndex(), view.lastAppliedTerm());
        }
      }
      resp.addTopics(r);
    }
    return new Decision(records, ControllerResponse.newBuilder().setCreateTopics(resp).build());
  }

  static Decision deleteTopics(MetadataImage view, DeleteTopicsRequest req) {
    List<MetadataRecord> records = new ArrayList<>();
    DeleteTopicsResponse.Builder resp = DeleteTopicsResponse.newBuilder();
    Map<String, Integer> seen = new HashMap<>();
    req.getNamesList().forEach(n -> seen.merge(n, 1, Integer::sum));
    for (String name : req.getNamesList()) {
      TopicResult.Builder r = TopicResult.newBuilder().setName(name);
      TopicImage t = view.topics().get(name);
      if (seen.get(name) > 1) {
        fail(r, ErrorCode.INVALID_REQUEST, "topic " + name + " appears twice in the request");
      } else if (t == null) {
        fail(r, ErrorCode.UNKNOWN_TOPIC, "topic " + name + " does not exist");
      } else {
        r.setTopicId(t.id().toString());
        records.add(
            MetadataRecord.newBuilder()
                .setDeleteTopic(
                    DeleteTopic.newBuilder().setName(name).setTopicId(t.id().toString()))
                .build());
      }
      resp.addTopics(r);
    }
    return new Decision(records, ControllerResponse.newBuilder().setDeleteTopics(resp).build());
  }

  static Decision createPartitions(MetadataImage view, CreatePartitionsRequest req) {
    TopicResult.Builder r = TopicResult.newBuilder().setName(req.getTopic());
    TopicImage t = view.topics().get(req.getTopic());
    List<Integer> live = view.liveBrokerIds();
    List<MetadataRecord> records = new ArrayList<>();
    if (t == null) {
      fail(r, ErrorCode.UNKNOWN_TOPIC, "topic " + req.getTopic() + " does not exist");
    } else if (req.getTotalCount() <= t.partitionCount() || req.getTotalCount() > MAX_PARTITIONS) {
      fail(
          r,
          ErrorCode.INVALID_PARTITIONS,
          "topic "
              + t.name()
              + " has "
              + t.partitionCount()
              + " partitions; the new total must be larger and at most "
              + MAX_PARTITIONS
              + ", got "
              + req.getTotalCount());
    } else if (t.replicationFactor() > live.size()) {
      fail(
          r,
          ErrorCode.INVALID_REPLICATION_FACTOR,
          "replication factor "
              + t.replicationFactor()
              + " exceeds "
              + live.size()
              + " live brokers");
    } else {
      r.setTopicId(t.id().toString());
      int added = req.getTotalCount() - t.partitionCount();
      List<List<Integer>> placement = ReplicaPlacer.place(view, live, added, t.replicationFactor());
      CreatePartitions.Builder cp =
          CreatePartitions.newBuilder().setTopic(t.name()).setTopicId(t.id().toString());
      for (int i = 0; i < added; i++) {
        cp.addPartitions(assignment(t.partitionCount() + i, placement.get(i)));
      }
      records.add(MetadataRecord.newBuilder().setCreatePartitions(cp).build());
    }
    return new Decision(
        records,
        ControllerResponse.newBuilder()
            .setCreatePartitions(CreatePartitionsResponse.newBuilder().setResult(r))
            .build());
  }

  static Decision alterConfigs(MetadataImage view, AlterConfigsRequest req) {
    TopicImage t = view.topics().get(req.getTopic());
    AlterConfigsResponse.Builder r = AlterConfigsResponse.newBuilder();
    List<MetadataRecord> records = new ArrayList<>();
    Set<String> both = new HashSet<>(req.getSetMap().keySet());
    both.retainAll(req.getDeleteList());
    Optional<String> bad = TopicConfigs.validate(req.getSetMap());
    Optional<String> unknownDelete =
        req.getDeleteList().stream().filter(k -> !TopicConfigs.isKnown(k)).findFirst();
    if (t == null) {
      r.setError(ErrorCode.UNKNOWN_TOPIC)
          .setErrorMessage("topic " + req.getTopic() + " does not exist");
    } else if (!both.isEmpty()) {
      r.setError(ErrorCode.INVALID_REQUEST)
          .setErrorMessage("config keys both set and deleted: " + both);
    } else if (bad.isPresent()) {
      r.setError(ErrorCode.INVALID_CONFIG).setErrorMessage(bad.get());
    } else if (unknownDelete.isPresent()) {
      r.setError(ErrorCode.INVALID_CONFIG)
          .setErrorMessage("unknown config key '" + unknownDelete.get() + "'");
    } else if (!req.getValidateOnly() && (req.getSetCount() > 0 || req.getDeleteCount() > 0)) {
      Map<String, String> set = new LinkedHashMap<>(req.getSetMap());
      records.add(
          MetadataRecord.newBuilder()
              .setAlterConfigs(
                  AlterConfigs.newBuilder()
                      .setTopic(t.name())
                      .setTopicId(t.id().toString())
                      .putAllSet(set)
                      .addAllDelete(req.getDeleteList()))
              .build());
    }
    return new Decision(records, ControllerResponse.newBuilder().setAlterConfigs(r).build());
  }

  private static PartitionAssignment assignment(int partition, List<Integer> replicas) {
    return PartitionAssignment.newBuilder()
        .setPartition(partition)
        .addAllReplicas(replicas)
        .setLeader(replicas.get(0))
        .addAllIsr(replicas)
        .build();
  }

  private static void fail(TopicResult.Builder r, ErrorCode code, String message) {
    r.setError(code).setErrorMessage(message);
  }
}
