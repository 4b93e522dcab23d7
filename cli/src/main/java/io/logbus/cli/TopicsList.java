package io.logbus.cli;

import io.logbus.client.Futures;
import io.logbus.client.LogbusAdmin;
import java.io.PrintWriter;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "list", mixinStandardHelpOptions = true, description = "List topic names.")
final class TopicsList implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ClientOptions client;

  @Option(names = "--include-internal", description = "Also list internal topics (__...).")
  boolean internal;

  @Override
  public Integer call() {
    Set<String> names;
    try (LogbusAdmin admin = client.admin()) {
      names = Futures.get(admin.listTopics(internal));
    }
    PrintWriter out = spec.commandLine().getOut();
    if (client.json()) {
      Output.json(out, names);
    } else {
      names.forEach(out::println);
      out.flush();
    }
    return LogbusCli.OK;
  }
}
