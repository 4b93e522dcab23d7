package io.logbus.cli;

import io.logbus.client.LogbusAdmin;
import io.logbus.client.OffsetResetResult;
import io.logbus.client.OffsetResetSpec;
import java.io.PrintWriter;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code logbus groups reset-offsets}: kafka-consumer-groups --reset-offsets for one topic or one
 * partition. The broker refuses while the group has members; --dry-run only shows the result.
 */
@Command(
    name = "reset-offsets",
    mixinStandardHelpOptions = true,
    description =
        "Move a group's committed offsets (only while it has no members): exactly one of"
            + " --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by, and one of"
            + " --dry-run, --execute.")
final class GroupsResetOffsets implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ClientOptions client;
  @Mixin GroupOption group;

  @Option(
      names = "--topic",
      required = true,
      paramLabel = "TOPIC[:PARTITION]",
      description = "Every partition of TOPIC, or only PARTITION.")
  String topic;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Target target;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Mode mode;

  /** Where the offsets go; picocli enforces exactly one. */
  static final class Target {
    @Option(names = "--to-earliest", required = true, description = "The log start offset.")
    boolean toEarliest;

    @Option(names = "--to-latest", required = true, description = "The log end offset.")
    boolean toLatest;

    @Option(names = "--to-offset", required = true, paramLabel = "N", description = "Offset N.")
    Long toOffset;

    @Option(
        names = "--to-datetime",
        required = true,
        paramLabel = "ISO",
        description =
            "First offset with a timestamp at or after ISO, e.g. 2026-11-25T10:00:00Z,"
                + " 2026-11-25T11:00:00+01:00 or 2026-11-25T10:00:00.000 (UTC).")
    String toDatetime;

    @Option(
        names = "--shift-by",
        required = true,
        paramLabel = "N",
        description = "The committed offset plus N (may be negative), within the log.")
    Long shiftBy;
  }

  /** Whether anything changes; picocli enforces exactly one. */
  static final class Mode {
    @Option(names = "--dry-run", required = true, description = "Only show the new offsets.")
    boolean dryRun;

    @Option(names = "--execute", required = true, description = "Commit the new offsets.")
    boolean execute;
  }

  @Override
  public Integer call() {
    String id = group.id();
    int colon = topic.indexOf(':');
    String topicName = colon < 0 ? topic : topic.substring(0, colon);
    Integer partition = colon < 0 ? null : partition(topic.substring(colon + 1));
    if (topicName.isBlank()) {
      throw new ParameterException(
          spec.commandLine(), "--topic needs a topic name, got '" + topic + "'");
    }
    OffsetResetSpec resetSpec = resetSpec();
    Topics.checkPartition(client, topicName, partition);
    List<OffsetResetResult> results;
    try (LogbusAdmin admin = client.admin()) {
      results =
          GroupOption.get(admin.resetOffsets(id, topicName, partition, resetSpec, mode.dryRun), id);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (client.json()) {
      Output.json(out, toJson(id, results));
      return LogbusCli.OK;
    }
    List<List<String>> rows = new ArrayList<>();
    for (OffsetResetResult r : results) {
      rows.add(
          List.of(
              id,
              r.partition().topic(),
              String.valueOf(r.partition().partition()),
              String.valueOf(r.newOffset())));
    }
    Output.table(out, List.of("GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"), rows);
    return LogbusCli.OK;
  }

  private int partition(String text) {
    try {
      int p = Integer.parseInt(text);
      if (p >= 0) {
        return p;
      }
    } catch (NumberFormatException e) {
      // reported below, with the whole argument
    }
    throw new ParameterException(
        spec.commandLine(),
        "--topic: the partition after ':' must be a number >= 0, got '" + topic + "'");
  }

  private OffsetResetSpec resetSpec() {
    if (target.toEarliest) {
      return new OffsetResetSpec.ToEarliest();
    }
    if (target.toLatest) {
      return new OffsetResetSpec.ToLatest();
    }
    if (target.toOffset != null) {
      if (target.toOffset < 0) {
        throw new ParameterException(
            spec.commandLine(), "--to-offset must be >= 0, got " + target.toOffset);
      }
      return new OffsetResetSpec.ToOffset(target.toOffset);
    }
    if (target.toDatetime != null) {
      return new OffsetResetSpec.ToDatetime(epochMillis(target.toDatetime));
    }
    return new OffsetResetSpec.ShiftBy(target.shiftBy);
  }

  /** An ISO-8601 instant; without a zone it is UTC, a bare date is its midnight UTC. */
  private long epochMillis(String text) {
    try {
      return OffsetDateTime.parse(text).toInstant().toEpochMilli();
    } catch (DateTimeParseException notWithOffset) {
      try {
        return LocalDateTime.parse(text).toInstant(ZoneOffset.UTC).toEpochMilli();
      } catch (DateTimeParseException notLocal) {
        try {
          return LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        } catch (DateTimeParseException notDate) {
          throw new ParameterException(
              spec.commandLine(),
              "--to-datetime must be ISO-8601 like 2026-11-25T10:00:00Z, got '" + text + "'");
        }
      }
    }
  }

  static List<Map<String, Object>> toJson(String group, List<OffsetResetResult> results) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (OffsetResetResult r : results) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("group", group);
      m.put("topic", r.partition().topic());
      m.put("partition", r.partition().partition());
      m.put("previousOffset", r.previousOffset());
      m.put("newOffset", r.newOffset());
      out.add(m);
    }
    return out;
  }
}
