package io.logbus.cli;

import io.logbus.client.Futures;
import io.logbus.client.LogbusAdmin;
import io.logbus.client.TopicDescription;
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
import picocli.CommandLine.Spec;

@Command(
    name = "describe",
    mixinStandardHelpOptions = true,
    description = "Partitions of a topic (or of all): leader, replicas, ISR, log offsets.")
final class TopicsDescribe implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ClientOptions client;

  @Option(names = "--topic", paramLabel = "NAME", description = "Only this topic.")
  String topic;

  @Override
  public Integer call() {
    List<TopicDescription> topics;
    try (LogbusAdmin admin = client.admin()) {
      topics = Futures.get(admin.describeTopics(topic == null ? List.of() : List.of(topic)));
    }
    PrintWriter out = spec.commandLine().getOut();
    if (client.json()) {
      Output.json(out, toJson(topics));
      return LogbusCli.OK;
    }
    List<List<String>> rows = new ArrayList<>();
    for (TopicDescription t : topics) {
      for (TopicDescription.PartitionInfo p : t.partitions()) {
        rows.add(
            List.of(
                t.name(),
                String.valueOf(p.partition()),
                p.leader() < 0 ? "none" : String.valueOf(p.leader()),
                String.valueOf(p.leaderEpoch()),
                Output.joined(p.replicas()),
                Output.joined(p.isr()),
                String.valueOf(p.logStartOffset()),
                String.valueOf(p.logEndOffset())));
      }
    }
    Output.table(
        out,
        List.of("TOPIC", "PARTITION", "LEADER", "EPOCH", "REPLICAS", "ISR", "LOG-START", "LOG-END"),
        rows);
    return LogbusCli.OK;
  }

  /** The documented shape scripts rely on: topic, partitions[partition, leader, ...]. */
  static List<Map<String, Object>> toJson(List<TopicDescription> topics) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (TopicDescription t : topics) {
      List<Map<String, Object>> parts = new ArrayList<>();
      for (TopicDescription.PartitionInfo p : t.partitions()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("partition", p.partition());
        m.put("leader", p.leader());
        m.put("leaderEpoch", p.leaderEpoch());
        m.put("replicas", p.replicas());
        m.put("isr", p.isr());
        m.put("logStartOffset", p.logStartOffset());
        m.put("logEndOffset", p.logEndOffset());
        parts.add(m);
      }
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("topic", t.name());
      m.put("topicId", t.topicId());
      m.put("configs", t.configs());
      m.put("partitions", parts);
      out.add(m);
    }
    return out;
  }
}
