package io.logbus.client;

import com.google.common.util.concurrent.ListenableFuture;
import io.logbus.proto.BrokerServiceGrpc;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.FetchPartition;
import io.logbus.proto.FetchPartitionData;
import io.logbus.proto.FetchRequest;
import io.logbus.proto.FetchResponse;
import io.logbus.record.Record;
import io.logbus.record.RecordBatch;
import io.logbus.record.RecordBatches;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer's fetch rounds: one Fetch call per leader broker for every assigned partition that
 * has a position, is not paused and has nothing buffered; records land in the partitions' buffers.
 * After a leader change (an error code, or an unreachable broker) metadata is refreshed and the
 * same position is fetched from the new leader. Not thread-safe: the consumer's application thread
 * calls it.
 */
final class Fetcher {
  private static final Logger log = LoggerFactory.getLogger(Fetcher.class);

  private final ConsumerConfig config;
  private final Clock clock;
  private final BrokerChannels channels;
  private final MetadataManager metadata;
  private final String prefix;
  private final Map<TopicPartition, ConsumerPartitionState> assigned;

  Fetcher(
      ConsumerConfig config,
      Clock clock,
      MetadataManager metadata,
      String prefix,
      Map<TopicPartition, ConsumerPartitionState> assigned) {
    this.config = config;
    this.clock = clock;
    this.channels = metadata.channels();
    this.metadata = metadata;
    this.prefix = prefix;
    this.assigned = assigned;
  }

  /** One fetch round to every leader with fetchable partitions. False if none could be asked. */
  boolean fetchOnce(long maxWaitMs) {
    Cluster cluster = metadata.refreshQuietly();
    long now = clock.millis();
    Map<Cluster.Leader, FetchRequest.Builder> requests = new LinkedHashMap<>();
    for (Map.Entry<TopicPartition, ConsumerPartitionState> e : assigned.entrySet()) {
      TopicPartition tp = e.getKey();
      ConsumerPartitionState s = e.getValue();
      if (s.paused || s.position == null || !s.buffered.isEmpty() || s.retryAfterMs > now) {
        continue;
      }
      var leader = cluster.leader(tp);
      if (leader.isEmpty()) {
        metadata.invalidate();
        continue;
      }
      requests
          .computeIfAbsent(
              leader.get(),
              l ->
                  FetchRequest.newBuilder()
                      .setMaxWaitMs((int) Math.min(config.fetchMaxWaitMs(), maxWaitMs))
                      .setMinBytes(config.fetchMinBytes())
                      .setMaxBytes(config.fetchMaxBytes()))
          .addPartitions(
              FetchPartition.newBuilder()
                  .setTopic(tp.topic())
                  .setPartition(tp.partition())
                  .setFetchOffset(s.position)
                  .setPartitionMaxBytes(config.maxPartitionFetchBytes())
                  .setCurrentLeaderEpoch(leader.get().epoch()));
    }
    if (requests.isEmpty()) {
      return false;
    }
    Map<Cluster.Leader, ListenableFuture<FetchResponse>> calls = new LinkedHashMap<>();
    requests.forEach(
        (leader, req) ->
            calls.put(
                leader,
                BrokerServiceGrpc.newFutureStub(channels.channel(leader.address()))
                    .withDeadlineAfter(
                        config.requestTimeoutMs() + req.getMaxWaitMs(), TimeUnit.MILLISECONDS)
                    .fetch(req.build())));
    for (Map.Entry<Cluster.Leader, ListenableFuture<FetchResponse>> e : calls.entrySet()) {
      Cluster.Leader leader = e.getKey();
      try {
        FetchResponse response =
            e.getValue()
                .get(config.requestTimeoutMs() + config.fetchMaxWaitMs(), TimeUnit.MILLISECONDS);
        for (FetchPartitionData data : response.getPartitionsList()) {
          handleFetched(new TopicPartition(data.getTopic(), data.getPartition()), data);
        }
      } catch (ExecutionException | TimeoutException ex) {
        log.debug("{} fetch from broker {} failed: {}", prefix, leader, ex.toString());
        e.getValue().cancel(true);
        metadata.invalidate();
        backOff(requests.get(leader));
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        throw new LogbusException("interrupted while fetching", ex);
      }
    }
    return true;
  }

  private void backOff(FetchRequest.Builder req) {
    long until = clock.millis() + config.retryBackoffMs();
    for (FetchPartition p : req.getPartitionsList()) {
      ConsumerPartitionState s = assigned.get(new TopicPartition(p.getTopic(), p.getPartition()));
      if (s != null) {
        s.retryAfterMs = until;
      }
    }
  }

  private void handleFetched(TopicPartition tp, FetchPartitionData data) {
    ConsumerPartitionState s = assigned.get(tp);
    if (s == null || s.position == null) {
      return;
    }
    ErrorCode code = data.getError();
    if (code == ErrorCode.NONE) {
      s.highWatermark = data.getHighWatermark();
      long fetchOffset = s.position;
      long next = fetchOffset;
      for (RecordBatch batch : RecordBatches.parse(data.getRecords().asReadOnlyByteBuffer())) {
        if (batch.lastOffset() < fetchOffset) {
          continue;
        }
        for (Record r : batch.records()) {
          if (r.offset() < fetchOffset) {
            continue;
          }
          s.buffered.addLast(
              new ConsumerRecord(
                  tp.topic(),
                  tp.partition(),
                  r.offset(),
                  r.timestamp(),
                  r.key(),
                  r.value(),
                  r.headers()));
        }
        next = Math.max(next, batch.lastOffset() + 1);
      }
      s.positionAfterBuffer = next;
      return;
    }
    if (code == ErrorCode.OFFSET_OUT_OF_RANGE) {
      if (config.autoOffsetReset() == OffsetResetStrategy.NONE) {
        throw ApiException.of(
            code,
            data.getErrorMessage(),
            tp + " at offset " + s.position + " (log start " + data.getLogStartOffset() + ")");
      }
      log.info(
          "{} offset {} of {} out of range, resetting to {}",
          prefix,
          s.position,
          tp,
          config.autoOffsetReset());
      s.reset(config.autoOffsetReset());
      return;
    }
    if (ApiException.invalidatesMetadata(code) || ApiException.isRetriable(code)) {
      metadata.invalidate();
      s.retryAfterMs = clock.millis() + config.retryBackoffMs();
      return;
    }
    throw ApiException.of(code, data.getErrorMessage(), tp.toString());
  }
}
