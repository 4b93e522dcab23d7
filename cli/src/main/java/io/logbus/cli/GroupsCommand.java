package io.logbus.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code logbus groups ...}: Kafka's kafka-consumer-groups. */
@Command(
    name = "groups",
    mixinStandardHelpOptions = true,
    description = "List, describe, reset the offsets of and delete consumer groups.",
    subcommands = {
      GroupsList.class,
      GroupsDescribe.class,
      GroupsResetOffsets.class,
      GroupsDelete.class
    })
final class GroupsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return LogbusCli.USAGE;
  }
}
