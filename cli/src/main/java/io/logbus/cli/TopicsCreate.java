package io.logbus.cli;

import io.logbus.client.Futures;
import io.logbus.client.LogbusAdmin;
import io.logbus.client.NewTopic;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "create", mixinStandardHelpOptions = true, description = "Create a topic.")
final class TopicsCreate implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ClientOptions client;

  @Option(names = "--topic", required = true, paramLabel = "NAME")
  String topic;

  @Option(names = "--partitions", defaultValue = "1", paramLabel = "N")
  int partitions;

  @Option(names = "--replication-factor", defaultValue = "1", paramLabel = "R")
  int replicationFactor;

  @Option(
      names = "--config",
      paramLabel = "KEY=VALUE",
      description = "A topic config, e.g. retention.ms=86400000 (repeatable).")
  Map<String, String> configs = new LinkedHashMap<>();

  @Override
  public Integer call() {
    if (partitions < 1) {
      throw new ParameterException(
          spec.commandLine(), "--partitions must be >= 1, got " + partitions);
    }
    if (replicationFactor < 1) {
      throw new ParameterException(
          spec.commandLine(), "--replication-factor must be >= 1, got " + replicationFactor);
    }
    try (LogbusAdmin admin = client.admin()) {
      Futures.get(admin.createTopic(new NewTopic(topic, partitions, replicationFactor, configs)));
    }
    spec.commandLine().getOut().println("Created topic " + topic + ".");
    spec.commandLine().getOut().flush();
    return LogbusCli.OK;
  }
}
