package io.logbus.cli;

import io.logbus.client.Futures;
import io.logbus.client.LogbusAdmin;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a topic.")
final class TopicsDelete implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ClientOptions client;

  @Option(names = "--topic", required = true, paramLabel = "NAME")
  String topic;

  @Override
  public Integer call() {
    try (LogbusAdmin admin = client.admin()) {
      Futures.get(admin.deleteTopics(List.of(topic)));
    }
    spec.commandLine().getOut().println("Deleted topic " + topic + ".");
    spec.commandLine().getOut().flush();
    return LogbusCli.OK;
  }
}
