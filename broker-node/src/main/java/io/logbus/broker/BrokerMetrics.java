package io.logbus.broker;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The broker's Micrometer meters: bytes and records in/out per topic, produce and fetch latency
 * histograms, ISR shrinks/expands, under-replicated partitions, and log end offset and high
 * watermark per hosted partition. Thread-safe; counters are cached per topic so the hot path does
 * one map lookup, not a registry lookup.
 */
public final class BrokerMetrics {
  private final MeterRegistry registry;
  private final Map<String, Counter> bytesIn = new ConcurrentHashMap<>();
  private final Map<String, Counter> recordsIn = new ConcurrentHashMap<>();
  private final Map<String, Counter> bytesOut = new ConcurrentHashMap<>();
  private final Map<String, Counter> recordsOut = new ConcurrentHashMap<>();
  private final Map<PartitionKey, List<Meter>> partitionGauges = new ConcurrentHashMap<>();
  private final Timer produceLatency;
  private final Timer fetchLatency;
  private final Counter isrShrinks;
  private final Counter recordPushes;
  private final Counter hwOnlyPushes;
  private final Counter leoMessages;
  private final Counter leoReports;
  private final Counter isrExpands;

  public BrokerMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.produceLatency =
        Timer.builder("logbus.produce.latency")
            .description("produce request time, receipt to answer")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofSeconds(30))
            .register(registry);
    this.fetchLatency =
        Timer.builder("logbus.fetch.latency")
            .description("fetch request time, including long-poll waits")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofSeconds(30))
            .register(registry);
    this.isrShrinks = Counter.builder("logbus.isr.shrinks").register(registry);
    // Replication messages, to count them per produced batch (leader: pushes; follower: LEO).
    this.recordPushes =
        Counter.builder("logbus.replication.pushes").tags("kind", "records").register(registry);
    this.hwOnlyPushes =
        Counter.builder("logbus.replication.pushes").tags("kind", "hw").register(registry);
    this.leoMessages = Counter.builder("logbus.replication.leo.messages").register(registry);
    this.leoReports = Counter.builder("logbus.replication.leo.reports").register(registry);
    this.isrExpands = Counter.builder("logbus.isr.expands").register(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  public void underReplicatedPartitions(Supplier<Number> count) {
    Gauge.builder("logbus.partitions.under.replicated", count).register(registry);
  }

  public void produced(String topic, int bytes, int records) {
    counter(bytesIn, "logbus.bytes.in", topic).increment(bytes);
    counter(recordsIn, "logbus.records.in", topic).increment(records);
  }

  public void fetched(String topic, int bytes, int records) {
    counter(bytesOut, "logbus.bytes.out", topic).increment(bytes);
    if (records > 0) {
      counter(recordsOut, "logbus.records.out", topic).increment(records);
    }
  }

  public void produceLatency(Duration elapsed) {
    produceLatency.record(elapsed);
  }

  public void fetchLatency(Duration elapsed) {
    fetchLatency.record(elapsed);
  }

  /** The leader pushed to a follower: records (with the HW) or only a HW move. */
  public void replicationPushed(boolean withRecords) {
    (withRecords ? recordPushes : hwOnlyPushes).increment();
  }

  public double replicationPushCount(boolean withRecords) {
    return (withRecords ? recordPushes : hwOnlyPushes).count();
  }

  /** The follower sent one message carrying {@code reports} partitions' durable log ends. */
  public void leoReportsSent(int reports) {
    leoMessages.increment();
    leoReports.increment(reports);
  }

  public double leoMessageCount() {
    return leoMessages.count();
  }

  public double leoReportCount() {
    return leoReports.count();
  }

  public void isrShrunk() {
    isrShrinks.increment();
  }

  public void isrExpanded() {
    isrExpands.increment();
  }

  public double isrShrinkCount() {
    return isrShrinks.count();
  }

  public double isrExpandCount() {
    return isrExpands.count();
  }

  public void partitionAdded(Partition partition) {
    PartitionKey key = partition.key();
    String topic = key.topic();
    String index = Integer.toString(key.partition());
    List<Meter> meters =
        List.of(
            Gauge.builder("logbus.partition.log.end.offset", partition, Partition::logEndOffset)
                .tags("topic", topic, "partition", index)
                .register(registry),
            Gauge.builder("logbus.partition.high.watermark", partition, Partition::highWatermark)
                .tags("topic", topic, "partition", index)
                .register(registry));
    partitionGauges.put(key, meters);
  }

  public void partitionRemoved(PartitionKey key) {
    List<Meter> meters = partitionGauges.remove(key);
    if (meters != null) {
      meters.forEach(registry::remove);
    }
  }

  private Counter counter(Map<String, Counter> cache, String name, String topic) {
    return cache.computeIfAbsent(
        topic, t -> Counter.builder(name).tags("topic", t).register(registry));
  }
}
