package io.logbus.cli;

import io.logbus.client.ClusterDescription;
import io.logbus.client.Futures;
import io.logbus.client.LogbusAdmin;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
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

    @Override
    public Integer call() {
      ClusterDescription d;
      try (LogbusAdmin admin = client.admin()) {
        d = Futures.get(admin.describeCluster());
      }
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
