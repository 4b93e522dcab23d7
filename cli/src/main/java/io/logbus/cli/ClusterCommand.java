package io.logbus.cli;

import io.logbus.client.ClusterDescription;
import io.logbus.client.Futures;
import io.logbus.client.LogbusAdmin;
import io.logbus.client.LogbusException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code logbus cluster status}: Kafka's kafka-metadata-quorum describe, plus broker health. */
@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    description = "Cluster state.",
    subcommands = ClusterCommand.Status.class)
final class ClusterCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return LogbusCli.USAGE;
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "Quorum voters and leader, brokers, under-replicated and offline partitions.")
  static final class Status implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ClientOptions client;

    @Option(
        names = "--wait-for-brokers",
        paramLabel = "N",
        description =
            "First wait (bounded by --wait-timeout-ms) until the quorum has a leader and N"
                + " brokers are alive; exit 1 if that does not happen in time.")
    Integer waitForBrokers;

    @Option(names = "--wait-timeout-ms", defaultValue = "120000", paramLabel = "MS")
    long waitTimeoutMs;

    @Override
    public Integer call() throws InterruptedException {
      if (waitForBrokers != null && waitForBrokers < 1) {
        throw new ParameterException(spec.commandLine(), "--wait-for-brokers must be >= 1");
      }
      ClusterDescription d =
          waitForBrokers == null ? describe() : waitUntilReady(waitForBrokers, waitTimeoutMs);
      PrintWriter out = spec.commandLine().getOut();
      if (client.json()) {
        Output.json(out, toJson(d));
        return LogbusCli.OK;
      }
      out.println("Cluster id:     " + d.clusterId());
      out.println("Quorum leader:  " + (d.quorumLeader() < 0 ? "none" : d.quorumLeader()));
      out.println("Voters:         " + Output.joined(d.voters()));
      out.println("Under-replicated partitions: " + d.underReplicatedPartitions());
      out.println("Offline partitions:          " + d.offlinePartitions());
      out.println();
      List<List<String>> rows = new ArrayList<>();
      for (ClusterDescription.Broker b : d.brokers()) {
        rows.add(
            List.of(
                String.valueOf(b.id()),
                b.host() + ":" + b.port(),
                b.fenced() ? "FENCED" : "ALIVE"));
      }
      Output.table(out, List.of("BROKER", "ENDPOINT", "STATE"), rows);
      return LogbusCli.OK;
    }

    private ClusterDescription describe() {
      try (LogbusAdmin admin = client.admin()) {
        return Futures.get(admin.describeCluster());
      }
    }

    /** Polls until a quorum leader and n alive brokers, or the bound passes (then fails). */
    private ClusterDescription waitUntilReady(int n, long timeoutMs) throws InterruptedException {
      long deadline = System.nanoTime() + timeoutMs * 1_000_000;
      String last = "no answer yet";
      while (true) {
        try {
          ClusterDescription d = describe();
          long alive = d.brokers().stream().filter(b -> !b.fenced()).count();
          if (d.quorumLeader() >= 0 && alive >= n) {
            return d;
          }
          last = "quorum leader " + d.quorumLeader() + ", " + alive + " of " + n + " brokers alive";
        } catch (LogbusException e) {
          last = e.getMessage();
        }
        if (System.nanoTime() >= deadline) {
          throw new LogbusException("cluster not ready within " + timeoutMs + " ms: " + last);
        }
        Thread.sleep(500);
      }
    }

    static Map<String, Object> toJson(ClusterDescription d) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("clusterId", d.clusterId());
      m.put("leader", d.quorumLeader());
      m.put("voters", d.voters());
      List<Map<String, Object>> brokers = new ArrayList<>();
      for (ClusterDescription.Broker b : d.brokers()) {
        Map<String, Object> bm = new LinkedHashMap<>();
        bm.put("id", b.id());
        bm.put("host", b.host());
        bm.put("port", b.port());
        bm.put("state", b.fenced() ? "FENCED" : "ALIVE");
        brokers.add(bm);
      }
      m.put("brokers", brokers);
      m.put("underReplicatedPartitions", d.underReplicatedPartitions());
      m.put("offlinePartitions", d.offlinePartitions());
      return m;
    }
  }
}
