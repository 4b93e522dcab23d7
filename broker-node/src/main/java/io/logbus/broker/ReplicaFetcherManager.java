package io.logbus.broker;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The follower side: one {@link ReplicaFetcher} (one stream) per leader broker, created when the
 * first partition follows that leader and closed when the last one leaves. Called from the metadata
 * thread; the methods are synchronized.
 */
final class ReplicaFetcherManager implements AutoCloseable {
  static final int DEFAULT_MAX_BYTES = 1 << 20;

  private final int brokerId;
  private final BrokerAddresses addresses;
  private final ScheduledExecutorService scheduler;
  private final ExecutorService callbackExecutor;
  private final BrokerMetrics metrics;
  private final Map<Integer, ReplicaFetcher> fetchers = new HashMap<>();
  private final Map<PartitionKey, Integer> leaders = new HashMap<>();

  ReplicaFetcherManager(
      int brokerId,
      BrokerAddresses addresses,
      ScheduledExecutorService scheduler,
      BrokerMetrics metrics) {
    this.brokerId = brokerId;
    this.metrics = metrics;
    this.addresses = addresses;
    this.scheduler = scheduler;
    AtomicInteger count = new AtomicInteger();
    // Follower appends write to page cache and may roll a segment: small work, but file work,
    // so not on netty's event loop. gRPC serializes each stream's callbacks on this pool.
    this.callbackExecutor =
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t =
                  new Thread(r, "replica-fetcher-" + brokerId + "-" + count.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  int maxBytes() {
    return DEFAULT_MAX_BYTES;
  }

  synchronized void addPartition(Partition partition, int leaderId, int leaderEpoch) {
    removePartition(partition.key());
    ReplicaFetcher fetcher =
        fetchers.computeIfAbsent(
            leaderId,
            id ->
                new ReplicaFetcher(
                    brokerId,
                    id,
                    addresses,
                    scheduler,
                    callbackExecutor,
                    DEFAULT_MAX_BYTES,
                    metrics));
    leaders.put(partition.key(), leaderId);
    fetcher.addPartition(partition, leaderEpoch);
  }

  synchronized void removePartition(PartitionKey key) {
    Integer leaderId = leaders.remove(key);
    if (leaderId == null) {
      return;
    }
    ReplicaFetcher fetcher = fetchers.get(leaderId);
    if (fetcher != null && fetcher.removePartition(key)) {
      fetchers.remove(leaderId);
      fetcher.close();
    }
  }

  @Override
  public synchronized void close() {
    fetchers.values().forEach(ReplicaFetcher::close);
    fetchers.clear();
    leaders.clear();
    callbackExecutor.shutdownNow();
    try {
      callbackExecutor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
