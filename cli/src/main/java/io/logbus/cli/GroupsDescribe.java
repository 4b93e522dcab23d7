package io.logbus.cli;

import io.logbus.client.GroupDescription;
import io.logbus.client.GroupMember;
import io.logbus.client.GroupPartitionLag;
import io.logbus.client.LogbusAdmin;
import io.logbus.client.TopicPartition;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code logbus groups describe}: kafka-consumer-groups --describe, offsets and owners. */
@Command(
    name = "describe",
    mixinStandardHelpOptions = true,
    description = "Per partition: committed offset, log end, lag and the member that owns it.")
final class GroupsDescribe implements Callable<Integer> {
  private static final List<String> HEADER =
      List.of(
          "GROUP",
          "TOPIC",
          "PARTITION",
          "CURRENT-OFFSET",
          "LOG-END-OFFSET",
          "LAG",
          "CONSUMER-ID",
          "HOST",
          "CLIENT-ID");

  @Spec CommandSpec spec;
  @Mixin ClientOptions client;
  @Mixin GroupOption group;

  @Override
  public Integer call() {
    String id = group.id();
    GroupDescription d;
    try (LogbusAdmin admin = client.admin()) {
      d = GroupOption.get(admin.describeGroup(id), id);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (client.json()) {
      Output.json(out, toJson(d));
      return LogbusCli.OK;
    }
    if (d.members().isEmpty()) {
      out.println("Consumer group '" + d.groupId() + "' has no active members.");
      out.println();
    }
    Output.table(out, HEADER, rows(d));
    return LogbusCli.OK;
  }

  /** One row per partition, then (as Kafka) one per member that owns nothing yet. */
  private static List<List<String>> rows(GroupDescription d) {
    List<List<String>> rows = new ArrayList<>();
    Set<String> owners = new HashSet<>();
    for (GroupPartitionLag p : sorted(d.partitions())) {
      owners.add(p.memberId());
      rows.add(
          List.of(
              d.groupId(),
              p.partition().topic(),
              String.valueOf(p.partition().partition()),
              orDash(p.committedOffset()),
              orDash(p.logEndOffset()),
              orDash(p.lag()),
              orDash(p.memberId()),
              orDash(p.host()),
              orDash(p.clientId())));
    }
    for (GroupMember m : d.members()) {
      if (!owners.contains(m.memberId())) {
        rows.add(
            List.of(
                d.groupId(),
                "-",
                "-",
                "-",
                "-",
                "-",
                m.memberId(),
                orDash(m.host()),
                orDash(m.clientId())));
      }
    }
    return rows;
  }

  private static List<GroupPartitionLag> sorted(List<GroupPartitionLag> partitions) {
    List<GroupPartitionLag> all = new ArrayList<>(partitions);
    all.sort(
        Comparator.comparing((GroupPartitionLag p) -> p.partition().topic())
            .thenComparingInt(p -> p.partition().partition()));
    return all;
  }

  private static String orDash(long value) {
    return value < 0 ? "-" : String.valueOf(value);
  }

  private static String orDash(String value) {
    return value == null || value.isEmpty() ? "-" : value;
  }

  /**
   * The documented shape: group, state, members (a count), partitions[topic, partition,
   * currentOffset, logEndOffset, lag, memberId, host, clientId] (-1 = none), plus the members.
   */
  static Map<String, Object> toJson(GroupDescription d) {
    List<Map<String, Object>> partitions = new ArrayList<>();
    for (GroupPartitionLag p : sorted(d.partitions())) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("topic", p.partition().topic());
      m.put("partition", p.partition().partition());
      m.put("currentOffset", p.committedOffset());
      m.put("logEndOffset", p.logEndOffset());
      m.put("lag", p.lag());
      m.put("memberId", p.memberId());
      m.put("host", p.host());
      m.put("clientId", p.clientId());
      partitions.add(m);
    }
    List<Map<String, Object>> consumers = new ArrayList<>();
    for (GroupMember member : d.members()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("memberId", member.memberId());
      m.put("clientId", member.clientId());
      m.put("host", member.host());
      m.put("memberEpoch", member.memberEpoch());
      m.put("subscribedTopics", member.subscribedTopics());
      List<Map<String, Object>> owned = new ArrayList<>();
      for (TopicPartition tp : member.assignment()) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("topic", tp.topic());
        t.put("partition", tp.partition());
        owned.add(t);
      }
      m.put("assignment", owned);
      consumers.add(m);
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("group", d.groupId());
    m.put("state", d.state().name());
    m.put("members", d.members().size());
    m.put("groupEpoch", d.groupEpoch());
    m.put("assignor", d.assignor());
    m.put("partitions", partitions);
    m.put("consumers", consumers);
    return m;
  }
}
