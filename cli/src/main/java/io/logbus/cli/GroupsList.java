package io.logbus.cli;

import io.logbus.client.Futures;
import io.logbus.client.GroupListing;
import io.logbus.client.LogbusAdmin;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    description = "Consumer groups with their state and member count.")
final class GroupsList implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ClientOptions client;

  @Override
  public Integer call() {
    List<GroupListing> groups;
    try (LogbusAdmin admin = client.admin()) {
      groups = new ArrayList<>(Futures.get(admin.listGroups()));
    }
    groups.sort(Comparator.comparing(GroupListing::groupId));
    PrintWriter out = spec.commandLine().getOut();
    if (client.json()) {
      Output.json(out, groups.stream().map(GroupListing::groupId).toList());
      return LogbusCli.OK;
    }
    List<List<String>> rows = new ArrayList<>();
    for (GroupListing g : groups) {
      rows.add(List.of(g.groupId(), g.state().name(), String.valueOf(g.members())));
    }
    Output.table(out, List.of("GROUP", "STATE", "MEMBERS"), rows);
    return LogbusCli.OK;
  }
}
