package io.logbus.group;

import io.logbus.proto.ErrorCode;
import io.logbus.proto.OffsetCommitPartition;
import io.logbus.proto.OffsetCommitPartitionResult;
import io.logbus.proto.OffsetCommitRequest;
import io.logbus.proto.OffsetCommitResponse;
import io.logbus.proto.OffsetCommitTopic;
import io.logbus.proto.OffsetCommitTopicResult;
import io.logbus.proto.OffsetFetchPartitionResult;
import io.logbus.proto.OffsetFetchRequest;
import io.logbus.proto.OffsetFetchResponse;
import io.logbus.proto.OffsetFetchTopicResult;
import io.logbus.proto.ResetOffsetsPartitionResult;
import io.logbus.proto.ResetOffsetsRequest;
import io.logbus.proto.ResetOffsetsResponse;
import io.logbus.proto.TopicPartitions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * OffsetCommit, OffsetFetch and ResetOffsets: request validation and response shaping around an
 * {@link OffsetsShard}. Stateless; a GroupException thrown here becomes the response's top-level
 * error in {@link GroupCoordinator}.
 */
final class OffsetRequests {

  /** Longest metadata string kept with a committed offset (Kafka's offset.metadata.max.bytes). */
  static final int MAX_METADATA_BYTES = 4096;

  private OffsetRequests() {}

  static CompletableFuture<OffsetCommitResponse> commit(
      OffsetsShard shard, OffsetCommitRequest request, long nowMs) {
    String group = request.getGroupId();
    if (request.getMemberEpoch() < -1) {
      throw new GroupException(
          ErrorCode.INVALID_REQUEST, "member_epoch " + request.getMemberEpoch() + " < -1");
    }
    shard.checkCommitter(group, request.getMemberId(), request.getMemberEpoch());
    Map<TopicPartition, OffsetAndMetadata> valid = new LinkedHashMap<>();
    OffsetCommitResponse.Builder response = OffsetCommitResponse.newBuilder();
    for (OffsetCommitTopic topic : request.getTopicsList()) {
      OffsetCommitTopicResult.Builder topicResult =
          OffsetCommitTopicResult.newBuilder().setTopic(topic.getTopic());
      for (OffsetCommitPartition p : topic.getPartitionsList()) {
        String problem = commitProblem(topic.getTopic(), p);
        OffsetCommitPartitionResult.Builder r =
            OffsetCommitPartitionResult.newBuilder().setPartition(p.getPartition());
        if (problem != null) {
          boolean badTopic =
              topic.getTopic().isEmpty()
                  || topic.getTopic().length() > ConsumerGroup.MAX_TOPIC_LENGTH;
          r.setError(badTopic ? ErrorCode.INVALID_TOPIC : ErrorCode.INVALID_REQUEST)
              .setErrorMessage(problem);
        } else {
          valid.put(
              new TopicPartition(topic.getTopic(), p.getPartition()),
              new OffsetAndMetadata(
                  p.getCommittedOffset(), p.getCommittedLeaderEpoch(), p.getMetadata(), nowMs));
        }
        topicResult.addPartitions(r);
      }
      response.addTopics(topicResult);
    }
    if (valid.isEmpty()) {
      return CompletableFuture.completedFuture(response.build());
    }
    return shard.commit(group, valid).thenApply(v -> response.build());
  }

  private static String commitProblem(String topic, OffsetCommitPartition p) {
    if (topic.isEmpty() || topic.length() > ConsumerGroup.MAX_TOPIC_LENGTH) {
      return "topic name of "
          + topic.length()
          + " chars: must be 1.."
          + ConsumerGroup.MAX_TOPIC_LENGTH;
    }
    if (p.getPartition() < 0) {
      return "partition " + p.getPartition() + " < 0";
    }
    if (p.getCommittedOffset() < 0) {
      return "committed_offset " + p.getCommittedOffset() + " < 0";
    }
    int metadataBytes = p.getMetadata().getBytes(StandardCharsets.UTF_8).length;
    if (metadataBytes > MAX_METADATA_BYTES) {
      return "metadata of " + metadataBytes + " bytes > " + MAX_METADATA_BYTES;
    }
    return null;
  }

  /** Every partition of the request gets the group-level error. */
  static OffsetCommitResponse commitFailed(OffsetCommitRequest request, GroupException e) {
    OffsetCommitResponse.Builder response =
        OffsetCommitResponse.newBuilder().setError(e.code()).setErrorMessage(e.getMessage());
    for (OffsetCommitTopic topic : request.getTopicsList()) {
      OffsetCommitTopicResult.Builder t =
          OffsetCommitTopicResult.newBuilder().setTopic(topic.getTopic());
      for (OffsetCommitPartition p : topic.getPartitionsList()) {
        t.addPartitions(
            OffsetCommitPartitionResult.newBuilder()
                .setPartition(p.getPartition())
                .setError(e.code())
                .setErrorMessage(e.getMessage()));
      }
      response.addTopics(t);
    }
    return response.build();
  }

  static OffsetFetchResponse fetch(OffsetsShard shard, OffsetFetchRequest request) {
    Map<TopicPartition, OffsetAndMetadata> committed = shard.committed(request.getGroupId());
    Map<String, OffsetFetchTopicResult.Builder> byTopic = new TreeMap<>();
    if (request.getTopicsCount() == 0) {
      committed.forEach(
          (tp, v) ->
              byTopic
                  .computeIfAbsent(tp.topic(), t -> OffsetFetchTopicResult.newBuilder().setTopic(t))
                  .addPartitions(found(tp.partition(), v)));
    } else {
      for (TopicPartitions tps : request.getTopicsList()) {
        OffsetFetchTopicResult.Builder t =
            byTopic.computeIfAbsent(
                tps.getTopic(), name -> OffsetFetchTopicResult.newBuilder().setTopic(name));
        for (int p : tps.getPartitionsList()) {
          if (tps.getTopic().isEmpty() || p < 0) {
            t.addPartitions(
                OffsetFetchPartitionResult.newBuilder()
                    .setPartition(p)
                    .setCommittedOffset(-1)
                    .setCommittedLeaderEpoch(-1)
                    .setError(
                        tps.getTopic().isEmpty()
                            ? ErrorCode.INVALID_TOPIC
                            : ErrorCode.INVALID_REQUEST)
                    .setErrorMessage("bad partition " + tps.getTopic() + "-" + p));
            continue;
          }
          OffsetAndMetadata v = committed.get(new TopicPartition(tps.getTopic(), p));
          t.addPartitions(
              v != null
                  ? found(p, v)
                  : OffsetFetchPartitionResult.newBuilder()
                      .setPartition(p)
                      .setCommittedOffset(-1)
                      .setCommittedLeaderEpoch(-1));
        }
      }
    }
    OffsetFetchResponse.Builder out = OffsetFetchResponse.newBuilder();
    byTopic.values().forEach(out::addTopics);
    return out.build();
  }

  private static OffsetFetchPartitionResult.Builder found(int partition, OffsetAndMetadata v) {
    return OffsetFetchPartitionResult.newBuilder()
        .setPartition(partition)
        .setCommittedOffset(v.offset())
        .setCommittedLeaderEpoch(v.leaderEpoch())
        .setMetadata(v.metadata());
  }

  // ---------------------------------------------------------------- reset

  static CompletableFuture<ResetOffsetsResponse> reset(
      OffsetsShard shard,
      ResetOffsetsRequest request,
      Map<String, Integer> partitionCounts,
      PartitionOffsets offsets,
      long nowMs) {
    String group = request.getGroupId();
    String topic = request.getTopic();
    if (topic.isEmpty() || topic.length() > ConsumerGroup.MAX_TOPIC_LENGTH) {
      throw new GroupException(
          ErrorCode.INVALID_TOPIC, "topic name of " + topic.length() + " chars");
    }
    if (request.getSpecCase() == ResetOffsetsRequest.SpecCase.SPEC_NOT_SET) {
      throw new GroupException(
          ErrorCode.INVALID_REQUEST,
          "one of to_earliest, to_latest, to_offset, to_datetime_ms, shift_by is required");
    }
    if (request.getSpecCase() == ResetOffsetsRequest.SpecCase.TO_OFFSET
        && request.getToOffset() < 0) {
      throw new GroupException(
          ErrorCode.INVALID_REQUEST, "to_offset " + request.getToOffset() + " < 0");
    }
    if (request.getSpecCase() == ResetOffsetsRequest.SpecCase.TO_DATETIME_MS
        && request.getToDatetimeMs() < 0) {
      throw new GroupException(
          ErrorCode.INVALID_REQUEST, "to_datetime_ms " + request.getToDatetimeMs() + " < 0");
    }
    Integer count = partitionCounts == null ? null : partitionCounts.get(topic);
    if (count == null) {
      throw new GroupException(ErrorCode.UNKNOWN_TOPIC, "unknown topic " + topic);
    }
    List<TopicPartition> targets = new ArrayList<>();
    if (request.hasPartition()) {
      int p = request.getPartition();
      if (p < 0 || p >= count) {
        throw new GroupException(
            p < 0 ? ErrorCode.INVALID_REQUEST : ErrorCode.UNKNOWN_PARTITION,
            "partition " + p + " of " + topic + " outside [0, " + count + ")");
      }
      targets.add(new TopicPartition(topic, p));
    } else {
      for (int p = 0; p < count; p++) {
        targets.add(new TopicPartition(topic, p));
      }
    }
    shard.checkEmpty(group);
    Map<TopicPartition, OffsetAndMetadata> committed = shard.committed(group);
    Map<TopicPartition, CompletableFuture<Long>> next = new LinkedHashMap<>();
    for (TopicPartition tp : targets) {
      next.put(tp, newOffset(request, tp, committed.get(tp), offsets));
    }
    return CompletableFuture.allOf(next.values().toArray(CompletableFuture[]::new))
        .thenCompose(
            ignored -> {
              ResetOffsetsResponse.Builder response = ResetOffsetsResponse.newBuilder();
              Map<TopicPartition, OffsetAndMetadata> commits = new LinkedHashMap<>();
              next.forEach(
                  (tp, f) -> {
                    OffsetAndMetadata before = committed.get(tp);
                    long offset = f.join();
                    response.addPartitions(
                        ResetOffsetsPartitionResult.newBuilder()
                            .setTopic(tp.topic())
                            .setPartition(tp.partition())
                            .setPreviousOffset(before == null ? -1 : before.offset())
                            .setNewOffset(offset));
                    commits.put(tp, new OffsetAndMetadata(offset, -1, "", nowMs));
                  });
              if (request.getDryRun()) {
                return CompletableFuture.completedFuture(response.build());
              }
              // Members may have joined while we asked for offsets: check again under the lock.
              shard.checkCommitter(group, "", -1);
              return shard.commit(group, commits).thenApply(v -> response.build());
            });
  }

  private static CompletableFuture<Long> newOffset(
      ResetOffsetsRequest request,
      TopicPartition tp,
      OffsetAndMetadata committed,
      PartitionOffsets offsets) {
    return switch (request.getSpecCase()) {
      case TO_EARLIEST -> offsets.earliest(tp);
      case TO_LATEST -> offsets.latest(tp);
      case TO_DATETIME_MS -> offsets.forTimestamp(tp, request.getToDatetimeMs());
      case TO_OFFSET ->
          offsets
              .earliest(tp)
              .thenCombine(offsets.latest(tp), (lo, hi) -> clamp(request.getToOffset(), lo, hi));
      case SHIFT_BY ->
          offsets
              .earliest(tp)
              .thenCombine(
                  offsets.latest(tp),
                  (lo, hi) -> {
                    long base = committed == null ? lo : committed.offset();
                    long shifted = base + request.getShiftBy();
                    // Overflow only with absurd shifts; clamp saturates it.
                    if (request.getShiftBy() > 0 && shifted < base) {
                      shifted = Long.MAX_VALUE;
                    } else if (request.getShiftBy() < 0 && shifted > base) {
                      shifted = Long.MIN_VALUE;
                    }
                    return clamp(shifted, lo, hi);
                  });
      case SPEC_NOT_SET -> throw new IllegalStateException("checked above");
    };
  }

  /** Kafka's reset tool clamps to the log's range instead of refusing. */
  private static long clamp(long offset, long earliest, long latest) {
    return Math.max(earliest, Math.min(latest, offset));
  }
}
