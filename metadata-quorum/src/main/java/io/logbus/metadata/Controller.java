package io.logbus.metadata;

import io.logbus.proto.AlterConfigsRequest;
import io.logbus.proto.AlterConfigsResponse;
import io.logbus.proto.CreatePartitionsRequest;
import io.logbus.proto.CreatePartitionsResponse;
import io.logbus.proto.CreateTopicsRequest;
import io.logbus.proto.CreateTopicsResponse;
import io.logbus.proto.DeleteTopicsRequest;
import io.logbus.proto.DeleteTopicsResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The cluster controller as seen from any node: requests go to the quorum leader, which validates
 * them and answers only after the resulting records are committed. Methods never throw; failures
 * are failed futures: {@link ControllerException} with a typed error code ({@link
 * NotControllerException} and other {@code retriable()} ones may be sent again). Admin requests
 * carry per-item error codes in their responses instead.
 */
public interface Controller {
  CompletableFuture<CreateTopicsResponse> createTopics(CreateTopicsRequest request);

  CompletableFuture<DeleteTopicsResponse> deleteTopics(DeleteTopicsRequest request);

  CompletableFuture<CreatePartitionsResponse> createPartitions(CreatePartitionsRequest request);

  CompletableFuture<AlterConfigsResponse> alterConfigs(AlterConfigsRequest request);

  /** Registers (or re-registers after a restart) a broker; returns its new broker epoch. */
  CompletableFuture<Long> registerBroker(int brokerId, String host, int port, String incarnationId);

  CompletableFuture<HeartbeatResult> heartbeat(int brokerId, long brokerEpoch);

  /**
   * An ISR change proposed by the partition leader; accepted only with the current leader epoch
   * (else FENCED_LEADER_EPOCH) and partition epoch (else INVALID_UPDATE_VERSION).
   */
  CompletableFuture<PartitionState> alterPartition(
      String topic,
      int partition,
      int leaderId,
      int leaderEpoch,
      int partitionEpoch,
      List<Integer> newIsr);

  /**
   * A broker about to stop gracefully: the controller fences it and moves leadership of its
   * partitions to other live ISR members (leader epoch + 1) in one committed entry. Answers the
   * number of partitions it led that had no other live ISR member (now offline until it returns).
   * STALE_BROKER_EPOCH / BROKER_NOT_AVAILABLE for a wrong epoch or an unknown broker.
   */
  CompletableFuture<Integer> controlledShutdown(int brokerId, long brokerEpoch);

  /** Reserves {@code count} producer ids for a broker; returns the first. */
  CompletableFuture<Long> allocateProducerIds(int brokerId, int count);
}
