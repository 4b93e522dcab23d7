package io.logbus.torture;

import io.logbus.client.ConsumerRecord;
import io.logbus.client.LogbusAdmin;
import io.logbus.client.LogbusConsumer;
import io.logbus.client.NewTopic;
import io.logbus.client.TopicDescription;
import io.logbus.client.TopicPartition;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One torture run: start a cluster, create the checked topic, run the workload while the seeded
 * fault schedule plays out, heal, then read every partition back from its leader and from every
 * replica's files and hand it all to the {@link Checker}.
 */
final class TortureRun {
  private static final Logger log = LoggerFactory.getLogger(TortureRun.class);
  static final int PARTITIONS = 6;
  static final int REPLICATION_FACTOR = 3;

  private final TortureOptions options;
  private final long seed;
  private final LocalCluster cluster;
  private final Clock clock;
  private final String topic;

  TortureRun(TortureOptions options, long seed, LocalCluster cluster, Clock clock) {
    this.options = options;
    this.seed = seed;
    this.cluster = cluster;
    this.clock = clock;
    this.topic = "torture-" + Long.toUnsignedString(seed, 36);
  }

  Verdict execute() throws Exception {
    cluster.up();
    try (LogbusAdmin admin = LogbusAdmin.builder().bootstrapServers(cluster.bootstrap()).build()) {
      admin
          .createTopic(
              new NewTopic(
                  topic, PARTITIONS, REPLICATION_FACTOR, Map.of("min.insync.replicas", "2")))
          .get(60, TimeUnit.SECONDS);
      requireHealthy(admin, Duration.ofSeconds(60));

      History history = new History();
      long start = clock.millis();
      Workload workload =
          new Workload(
              cluster.bootstrap(),
              topic,
              options.writers(),
              options.recordsPerSecond(),
              history,
              clock,
              start);
      GroupWorkload group =
          new GroupWorkload(
              cluster.bootstrap(),
              topic,
              topic + "-group",
              PARTITIONS,
              options.groupMembers(),
              seed,
              history,
              clock,
              start);
      FaultInjector injector =
          new FaultInjector(cluster, admin, history, clock, start, topic, PARTITIONS);
      workload.start();
      if (options.groupMembers() > 0) {
        group.start(admin);
      }
      long end = -1;
      try (AdminChurn churn = new AdminChurn(admin, topic + "-scratch", history)) {
        churn.start();
        List<FaultPlan> plans =
            FaultPlan.schedule(seed, options.durationMs(), cluster.nodes(), options.pauseMs());
        int injected = 0;
        for (FaultPlan plan : plans) {
          // Healing can take minutes on a loaded machine: --duration bounds the run, so the
          // planned faults that no longer fit are dropped (their order is still the seed's).
          if (clock.millis() - start >= options.durationMs()) {
            log.info(
                "duration passed: {} of {} planned faults skipped",
                plans.size() - injected,
                plans.size());
            break;
          }
          waitUntil(start + plan.atMs());
          injector.inject(plan);
          injected++;
        }
        waitUntil(start + options.durationMs());
        requireHealthy(admin, Duration.ofSeconds(120));
        end = clock.millis() - start;
      } finally {
        // Stopped even when a fault or the heal failed: no writer outlives its cluster.
        workload.close();
        group.close();
        if (end < 0) {
          // The run failed: its history still tells what happened up to then.
          HistoryFile.write(cluster.home().resolve("history.json"), start, history);
        }
      }
      log.info(
          "workload stopped: {} attempted, {} acked, {} failed",
          history.attemptedCount(),
          history.acks().size(),
          history.failures().size());
      Checker.Observed observed = readBack(admin, start, end);
      HistoryFile.write(cluster.home().resolve("history.json"), start, history);
      return Checker.check(seed, history, observed);
    }
  }

  private void waitUntil(long epochMs) throws InterruptedException {
    long wait = epochMs - clock.millis();
    if (wait > 0) {
      Await.hold(wait);
    }
  }

  /** Waits until every partition has a leader and a full ISR; a cluster that never heals fails. */
  private void requireHealthy(LogbusAdmin admin, Duration bound) throws Exception {
    boolean healthy =
        Await.until(
            bound,
            () ->
                admin.describeTopics(List.of(topic)).get(10, TimeUnit.SECONDS).stream()
                    .flatMap(t -> t.partitions().stream())
                    .allMatch(p -> p.leader() >= 0 && p.isr().size() == p.replicas().size()));
    if (!healthy) {
      throw new IllegalStateException(
          "the cluster did not heal within " + bound.toSeconds() + " s: " + describe(admin));
    }
  }

  private String describe(LogbusAdmin admin) {
    try {
      return admin.describeTopics(List.of(topic)).get(10, TimeUnit.SECONDS).toString();
    } catch (Exception e) {
      return "(describe failed: " + e + ")";
    }
  }

  private Checker.Observed readBack(
      LogbusAdmin admin, long workloadStartEpochMs, long workloadEndMs) throws Exception {
    List<TopicPartition> partitions = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      partitions.add(new TopicPartition(topic, p));
    }
    Map<Integer, List<StoredRecord>> leaderRecords = new HashMap<>();
    Map<Integer, Long> highWatermarks = new HashMap<>();
    try (LogbusConsumer consumer =
        LogbusConsumer.builder().bootstrapServers(cluster.bootstrap()).build()) {
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      consumer.endOffsets(partitions).forEach((tp, hw) -> highWatermarks.put(tp.partition(), hw));
      partitions.forEach(tp -> leaderRecords.put(tp.partition(), new ArrayList<>()));
      boolean done =
          Await.until(
              Duration.ofMinutes(3),
              () -> {
                for (ConsumerRecord record : consumer.poll(Duration.ofMillis(500))) {
                  leaderRecords
                      .get(record.partition())
                      .add(new StoredRecord(record.offset(), text(record.value())));
                }
                return partitions.stream()
                    .allMatch(tp -> consumer.position(tp) >= highWatermarks.get(tp.partition()));
              });
      if (!done) {
        throw new IllegalStateException("could not read every partition up to its high watermark");
      }
    }

    Map<Integer, Map<Integer, List<StoredRecord>>> replicaRecords = new HashMap<>();
    for (TopicDescription.PartitionInfo info :
        admin.describeTopics(List.of(topic)).get(10, TimeUnit.SECONDS).get(0).partitions()) {
      Map<Integer, List<StoredRecord>> byNode = new HashMap<>();
      long hw = highWatermarks.get(info.partition());
      List<StoredRecord> expected = leaderRecords.get(info.partition());
      for (int node : info.replicas()) {
        // A follower may still be writing what it fetched last: give it a bounded while.
        List<List<StoredRecord>> latest = new ArrayList<>(List.of(List.of()));
        Await.until(
            Duration.ofSeconds(30),
            () -> {
              latest.set(
                  0,
                  ReplicaLogReader.read(cluster.partitionDir(node, topic, info.partition()), hw));
              return latest.get(0).equals(expected);
            });
        byNode.put(node, latest.get(0));
      }
      replicaRecords.put(info.partition(), byNode);
    }
    return new Checker.Observed(
        leaderRecords,
        highWatermarks,
        replicaRecords,
        cluster.nodes(),
        workloadStartEpochMs,
        workloadEndMs);
  }

  private static String text(byte[] value) {
    return value == null ? null : new String(value, StandardCharsets.UTF_8);
  }
}
