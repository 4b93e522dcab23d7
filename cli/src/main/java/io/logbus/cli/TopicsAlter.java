package io.logbus.cli;

import io.logbus.client.Futures;
import io.logbus.client.LogbusAdmin;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(
    name = "alter",
    mixinStandardHelpOptions = true,
    description = "Grow a topic to more partitions (keyed records may then move).")
final class TopicsAlter implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ClientOptions client;

  @Option(names = "--topic", required = true, paramLabel = "NAME")
  String topic;

  @Option(names = "--partitions", required = true, paramLabel = "N", description = "New total.")
  int partitions;

  @Override
  public Integer call() {
    if (partitions < 1) {
      throw new ParameterException(
          spec.commandLine(), "--partitions must be >= 1, got " + partitions);
    }
    try (LogbusAdmin admin = client.admin()) {
      Futures.get(admin.createPartitions(topic, partitions));
    }
    spec.commandLine()
        .getOut()
        .println("Topic " + topic + " now has " + partitions + " partitions.");
    spec.commandLine().getOut().flush();
    return LogbusCli.OK;
  }
}
