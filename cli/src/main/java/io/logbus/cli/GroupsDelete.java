package io.logbus.cli;

import io.logbus.client.LogbusAdmin;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(
    name = "delete",
    mixinStandardHelpOptions = true,
    description = "Delete a group without members, with its committed offsets.")
final class GroupsDelete implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ClientOptions client;
  @Mixin GroupOption group;

  @Override
  public Integer call() {
    String id = group.id();
    try (LogbusAdmin admin = client.admin()) {
      GroupOption.get(admin.deleteGroup(id), id);
    }
    spec.commandLine().getOut().println("Deleted consumer group " + id + ".");
    spec.commandLine().getOut().flush();
    return LogbusCli.OK;
  }
}
