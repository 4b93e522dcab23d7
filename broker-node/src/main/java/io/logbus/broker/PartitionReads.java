package io.logbus.broker;

import com.google.protobuf.UnsafeByteOperations;
import io.logbus.log.LogReadInfo;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.FetchPartition;
import io.logbus.proto.FetchPartitionData;
import java.nio.ByteBuffer;

/**
 * Turns consumer reads (and their failures) into {@code FetchPartitionData}, with the typed error
 * and leader hint when this broker cannot serve the partition. Stateless over its collaborators.
 */
final class PartitionReads {
  private final ReplicaManager replicaManager;
  private final ClusterMetadata cluster;
  private final BrokerMetrics metrics;

  PartitionReads(ReplicaManager replicaManager, ClusterMetadata cluster, BrokerMetrics metrics) {
    this.replicaManager = replicaManager;
    this.cluster = cluster;
    this.metrics = metrics;
  }

  /**
   * Reads whole batches below the HW from {@code offset}, at most {@code maxBytes} (>= 1 batch).
   */
  FetchPartitionData read(FetchPartition request, long offset, int maxBytes) {
    FetchPartitionData.Builder data =
        FetchPartitionData.newBuilder()
            .setTopic(request.getTopic())
            .setPartition(request.getPartition());
    try {
      validate(request);
      LogReadInfo info =
          replicaManager.readForConsumer(
              request.getTopic(),
              request.getPartition(),
              offset,
              maxBytes,
              request.getCurrentLeaderEpoch());
      Partition partition = replicaManager.hosted(request.getTopic(), request.getPartition());
      ByteBuffer records = info.records();
      int bytes = records.remaining();
      if (bytes > 0) {
        metrics.fetched(request.getTopic(), bytes, Batches.recordCount(records));
      }
      return data.setHighWatermark(partition.highWatermark())
          .setLogStartOffset(partition.logStartOffset())
          .setRecords(UnsafeByteOperations.unsafeWrap(records))
          .build();
    } catch (RuntimeException e) {
      return failed(data, e);
    }
  }

  static void validate(FetchPartition p) {
    if (p.getTopic().isEmpty()) {
      throw BrokerException.invalidRequest("topic must not be empty");
    }
    if (p.getPartition() < 0) {
      throw BrokerException.invalidRequest("partition must be >= 0, got " + p.getPartition());
    }
    if (p.getFetchOffset() < 0) {
      throw BrokerException.invalidRequest("fetch_offset must be >= 0, got " + p.getFetchOffset());
    }
    if (p.getPartitionMaxBytes() < 0) {
      throw BrokerException.invalidRequest(
          "partition_max_bytes must be >= 0, got " + p.getPartitionMaxBytes());
    }
    if (p.getCurrentLeaderEpoch() < -1) {
      throw BrokerException.invalidRequest(
          "current_leader_epoch must be >= -1, got " + p.getCurrentLeaderEpoch());
    }
  }

  FetchPartitionData failed(FetchPartitionData.Builder data, Throwable failure) {
    BrokerException resolved = resolve(data.getTopic(), data.getPartition(), failure);
    data.setError(ErrorMapping.code(resolved))
        .setErrorMessage(ErrorMapping.message(resolved))
        .setHighWatermark(-1)
        .setLogStartOffset(-1);
    if (resolved.leader() != null) {
      data.setLeader(resolved.leader());
    }
    return data.build();
  }

  /**
   * A partition not hosted here is NOT_LEADER (with the leader) when the cluster knows it, else
   * UNKNOWN_TOPIC / UNKNOWN_PARTITION. Other failures pass through.
   */
  BrokerException resolve(String topic, int partition, Throwable failure) {
    Throwable cause = ErrorMapping.unwrap(failure);
    if (cause instanceof BrokerException be && be.code() == ErrorCode.UNKNOWN_PARTITION) {
      PartitionAssignment known = cluster.assignment(topic, partition);
      if (known != null) {
        return BrokerException.notLeader(
            topic + "-" + partition, known.leader(), known.leaderEpoch());
      }
      if (!cluster.topicExists(topic)) {
        return new BrokerException(ErrorCode.UNKNOWN_TOPIC, "unknown topic '" + topic + "'");
      }
      return be;
    }
    if (cause instanceof BrokerException be) {
      return be;
    }
    return new BrokerException(ErrorMapping.code(cause), ErrorMapping.message(cause));
  }
}
