package io.logbus.cli;

import io.logbus.client.Futures;
import io.logbus.client.LogbusAdmin;
import io.logbus.client.LogbusConsumer;
import io.logbus.client.LogbusException;
import io.logbus.client.TopicPartition;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code logbus perf group}: how long a consumer group takes to rebalance and to commit (issue 7).
 * A first member owns every partition of the topic; then, each round, a second member joins (timed
 * until every partition is owned again, by exactly one member, evenly) and leaves (timed until the
 * first owns everything again). Then one member of a second group times commitSync of every
 * partition. Both groups are deleted at the end.
 */
@Command(
    name = "group",
    mixinStandardHelpOptions = true,
    description = "Consumer group rebalance time (a member joins / leaves) and commit latency.")
final class PerfGroup implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ClientOptions client;

  @Option(names = "--topic", required = true, paramLabel = "NAME")
  String topic;

  @Option(
      names = "--group",
      paramLabel = "G",
      description = "Group id prefix (default: logbus-perf-group-<random>).")
  String group;

  @Option(names = "--rounds", defaultValue = "10", paramLabel = "N", description = "Joins timed.")
  int rounds;

  @Option(names = "--commits", defaultValue = "200", paramLabel = "N", description = "Commits.")
  int commits;

  @Option(
      names = "--wait-ms",
      defaultValue = "120000",
      paramLabel = "MS",
      description =
          "Bound of one rebalance; exceeding it fails the run. Default: ${DEFAULT-VALUE}.")
  long waitMs;

  private final Object changed = new Object();

  @Override
  public Integer call() throws InterruptedException {
    if (rounds < 1) {
      throw new ParameterException(spec.commandLine(), "--rounds must be >= 1");
    }
    if (commits < 1) {
      throw new ParameterException(spec.commandLine(), "--commits must be >= 1");
    }
    if (waitMs < 1) {
      throw new ParameterException(spec.commandLine(), "--wait-ms must be >= 1");
    }
    if (group != null) {
      GroupOption.check(spec.commandLine(), group);
    }
    String prefix =
        group != null ? group : "logbus-perf-group-" + Long.toHexString(System.nanoTime());
    int partitions = Topics.partitionCount(client, topic);
    Histogram joins = new Histogram(3_600_000_000L, 3);
    Histogram leaves = new Histogram(3_600_000_000L, 3);
    Histogram commitLatency = new Histogram(3_600_000_000L, 3);
    try {
      rebalances(prefix, partitions, joins, leaves);
      commits(prefix + "-commit", partitions, commitLatency);
    } finally {
      deleteGroups(prefix, prefix + "-commit");
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("topic", topic);
    m.put("partitions", partitions);
    m.put("rounds", rounds);
    put(m, "join", joins);
    put(m, "leave", leaves);
    m.put("commits", commits);
    put(m, "commit", commitLatency);
    PrintWriter out = spec.commandLine().getOut();
    if (client.json()) {
      Output.json(out, m);
      return LogbusCli.OK;
    }
    out.printf(
        "member joins (%d partitions, 1 -> 2 members), %d rounds: %s%n",
        partitions, rounds, line(m, "join"));
    out.printf("member leaves (2 -> 1 members), %d rounds: %s%n", rounds, line(m, "leave"));
    out.printf(
        "commitSync of %d partitions, %d commits: %s%n", partitions, commits, line(m, "commit"));
    out.flush();
    return LogbusCli.OK;
  }

  private void rebalances(String groupId, int partitions, Histogram joins, Histogram leaves)
      throws InterruptedException {
    try (BenchMember first = member(groupId, "first")) {
      List<BenchMember> members = new ArrayList<>(List.of(first));
      awaitBalanced(members, partitions, "the first member to own every partition");
      for (int round = 1; round <= rounds; round++) {
        long start = System.nanoTime();
        BenchMember second = member(groupId, "second-" + round);
        members.add(second);
        try {
          awaitBalanced(members, partitions, "round " + round + ": the joining member's share");
          joins.recordValue((System.nanoTime() - start) / 1000);
        } finally {
          members.remove(second);
          start = System.nanoTime();
          second.close(Duration.ofMillis(waitMs));
        }
        awaitBalanced(members, partitions, "round " + round + ": the first member to own all");
        leaves.recordValue((System.nanoTime() - start) / 1000);
      }
    }
  }

  private void commits(String groupId, int partitions, Histogram latency) {
    try (LogbusConsumer consumer = consumer(groupId, "commit")) {
      List<TopicPartition> all = new ArrayList<>();
      for (int p = 0; p < partitions; p++) {
        all.add(new TopicPartition(topic, p));
      }
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + waitMs * 1_000_000;
      while (!consumer.assignment().containsAll(all)) {
        if (System.nanoTime() > deadline) {
          throw new LogbusException(
              "the commit member did not own every partition within " + waitMs + " ms");
        }
        consumer.poll(Duration.ofMillis(50));
      }
      Map<TopicPartition, Long> offsets = consumer.endOffsets(all);
      for (int i = 0; i < commits; i++) {
        // keeps the membership alive between commits; not timed
        consumer.poll(Duration.ZERO);
        long start = System.nanoTime();
        consumer.commitSync(offsets);
        latency.recordValue((System.nanoTime() - start) / 1000);
      }
    }
  }

  private BenchMember member(String groupId, String name) {
    return new BenchMember(
        "perf-group-" + name,
        () -> consumer(groupId, name),
        topic,
        () -> {
          synchronized (changed) {
            changed.notifyAll();
          }
        });
  }

  private LogbusConsumer consumer(String groupId, String name) {
    return LogbusConsumer.builder()
        .bootstrapServers(client.bootstrap)
        .clientId("logbus-perf-group-" + name)
        .groupId(groupId)
        .enableAutoCommit(false)
        .requestTimeoutMs(Math.min(client.requestTimeoutMs, 10_000))
        .defaultApiTimeoutMs(client.requestTimeoutMs)
        .build();
  }

  /**
   * Waits until every partition is owned by exactly one member and the members' shares differ by at
   * most one: the end of a rebalance as a user sees it.
   */
  private void awaitBalanced(List<BenchMember> members, int partitions, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + waitMs * 1_000_000;
    synchronized (changed) {
      while (!balanced(members, partitions)) {
        for (BenchMember m : members) {
          if (m.failure() != null) {
            throw new LogbusException("a group member failed: " + LogbusCli.describe(m.failure()));
          }
        }
        long leftMs = (deadline - System.nanoTime()) / 1_000_000;
        if (leftMs <= 0) {
          throw new LogbusException("timed out after " + waitMs + " ms waiting for " + what);
        }
        // woken by every ownership change; the bound re-checks failures now and then
        changed.wait(Math.min(leftMs, 100));
      }
    }
  }

  private static boolean balanced(List<BenchMember> members, int partitions) {
    Set<TopicPartition> union = new HashSet<>();
    int total = 0;
    int min = Integer.MAX_VALUE;
    int max = 0;
    for (BenchMember m : members) {
      Set<TopicPartition> owned = m.owned();
      union.addAll(owned);
      total += owned.size();
      min = Math.min(min, owned.size());
      max = Math.max(max, owned.size());
    }
    return union.size() == partitions && total == partitions && max - min <= 1;
  }

  private void deleteGroups(String... groupIds) {
    try (LogbusAdmin admin = client.admin()) {
      for (String id : groupIds) {
        try {
          Futures.get(admin.deleteGroup(id));
        } catch (LogbusException e) {
          // best effort: a run that failed early may not have created the group
        }
      }
    }
  }

  private static void put(Map<String, Object> m, String name, Histogram h) {
    m.put(name + "P50Ms", ms(h.getValueAtPercentile(50)));
    m.put(name + "P99Ms", ms(h.getValueAtPercentile(99)));
    m.put(name + "MaxMs", ms(h.getMaxValue()));
    m.put(name + "MeanMs", ms((long) h.getMean()));
  }

  private static String line(Map<String, Object> m, String name) {
    return String.format(
        "p50 %s ms, p99 %s ms, max %s ms, mean %s ms",
        m.get(name + "P50Ms"),
        m.get(name + "P99Ms"),
        m.get(name + "MaxMs"),
        m.get(name + "MeanMs"));
  }

  private static double ms(long micros) {
    return Math.round(micros / 10.0) / 100.0;
  }
}
