package io.logbus.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code logbus topics ...}: Kafka's kafka-topics. */
@Command(
    name = "topics",
    mixinStandardHelpOptions = true,
    description = "Create, list, describe, delete and alter topics.",
    subcommands = {
      TopicsCreate.class,
      TopicsList.class,
      TopicsDescribe.class,
      TopicsDelete.class,
      TopicsAlter.class,
      TopicsConfigs.class
    })
final class TopicsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return LogbusCli.USAGE;
  }
}
