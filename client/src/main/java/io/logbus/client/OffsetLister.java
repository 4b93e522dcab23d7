package io.logbus.client;

import io.grpc.StatusRuntimeException;
import io.logbus.proto.BrokerServiceGrpc;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.ListOffsetsPartition;
import io.logbus.proto.ListOffsetsRequest;
import io.logbus.proto.ListOffsetsResponse;
import io.logbus.proto.ListOffsetsResult;
import java.time.Clock;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ListOffsets for the consumer: log start (-2), end (-1) or by timestamp, asked of each partition's
 * leader, retried after leader moves until a deadline. Thread-safe (no state).
 */
final class OffsetLister {
  private static final Logger log = LoggerFactory.getLogger(OffsetLister.class);

  private final ConsumerConfig config;
  private final Clock clock;
  private final BrokerChannels channels;
  private final MetadataManager metadata;
  private final String prefix;

  OffsetLister(ConsumerConfig config, Clock clock, MetadataManager metadata, String prefix) {
    this.config = config;
    this.clock = clock;
    this.channels = metadata.channels();
    this.metadata = metadata;
    this.prefix = prefix;
  }

  /**
   * Asks leaders until every partition has an answer or the deadline passes; partial result.
   *
   * @param topicsMayLag the partitions came from the group coordinator, so their topics exist even
   *     if this client's metadata (from a broker that has not applied them yet) does not show them:
   *     wait for it instead of failing with UNKNOWN_TOPIC
   */
  Map<TopicPartition, Long> tryListOffsets(
      Collection<TopicPartition> partitions, long timestamp, long deadline, boolean topicsMayLag) {
    Map<TopicPartition, Long> out = new HashMap<>();
    while (true) {
      Cluster cluster = metadata.refreshQuietly();
      Map<Cluster.Leader, ListOffsetsRequest.Builder> byLeader = new LinkedHashMap<>();
      for (TopicPartition tp : partitions) {
        if (out.containsKey(tp)) {
          continue;
        }
        if (cluster.fetchedAtMs() > 0 && !cluster.hasTopic(tp.topic())) {
          if (!topicsMayLag) {
            throw ApiException.of(ErrorCode.UNKNOWN_TOPIC, "", tp.topic());
          }
          metadata.invalidate();
          continue;
        }
        var leader = cluster.leader(tp);
        if (leader.isEmpty()) {
          metadata.invalidate();
          continue;
        }
        byLeader
            .computeIfAbsent(leader.get(), l -> ListOffsetsRequest.newBuilder())
            .addPartitions(
                ListOffsetsPartition.newBuilder()
                    .setTopic(tp.topic())
                    .setPartition(tp.partition())
                    .setTimestamp(timestamp));
      }
      for (Map.Entry<Cluster.Leader, ListOffsetsRequest.Builder> e : byLeader.entrySet()) {
        try {
          ListOffsetsResponse r =
              BrokerServiceGrpc.newBlockingStub(channels.channel(e.getKey().address()))
                  .withDeadlineAfter(config.requestTimeoutMs(), TimeUnit.MILLISECONDS)
                  .listOffsets(e.getValue().build());
          for (ListOffsetsResult res : r.getPartitionsList()) {
            TopicPartition tp = new TopicPartition(res.getTopic(), res.getPartition());
            if (res.getError() == ErrorCode.NONE) {
              out.put(tp, res.getOffset());
            } else if (ApiException.isRetriable(res.getError())
                || ApiException.invalidatesMetadata(res.getError())) {
              metadata.invalidate();
            } else {
              throw ApiException.of(res.getError(), res.getErrorMessage(), tp.toString());
            }
          }
        } catch (StatusRuntimeException ex) {
          log.debug("{} ListOffsets at {} failed: {}", prefix, e.getKey(), ex.getStatus());
          metadata.invalidate();
        }
      }
      if (out.size() == partitions.size() || clock.millis() >= deadline) {
        return out;
      }
      Futures.sleep(Math.min(config.retryBackoffMs(), deadline - clock.millis()));
    }
  }
}
