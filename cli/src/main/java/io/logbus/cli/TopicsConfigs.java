package io.logbus.cli;

import io.logbus.client.Futures;
import io.logbus.client.LogbusAdmin;
import io.logbus.client.TopicConfigs;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "configs",
    mixinStandardHelpOptions = true,
    description = "Show a topic's configs, or change them with --set / --delete.")
final class TopicsConfigs implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ClientOptions client;

  @Option(names = "--topic", required = true, paramLabel = "NAME")
  String topic;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Set a config (repeatable).")
  Map<String, String> set = new LinkedHashMap<>();

  @Option(names = "--delete", paramLabel = "KEY", description = "Back to the default.")
  List<String> delete = new ArrayList<>();

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    try (LogbusAdmin admin = client.admin()) {
      if (!set.isEmpty() || !delete.isEmpty()) {
        Futures.get(admin.alterConfigs(topic, set, delete));
        out.println("Updated configs of topic " + topic + ".");
        out.flush();
        return LogbusCli.OK;
      }
      TopicConfigs configs = Futures.get(admin.describeConfigs(topic));
      Map<String, String> effective = new TreeMap<>(configs.effective());
      effective.putAll(configs.explicit());
      if (client.json()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("topic", topic);
        m.put("configs", new TreeMap<>(configs.explicit()));
        m.put("effective", effective);
        Output.json(out, m);
        return LogbusCli.OK;
      }
      List<List<String>> rows = new ArrayList<>();
      effective.forEach(
          (k, v) ->
              rows.add(List.of(k, v, configs.explicit().containsKey(k) ? "topic" : "default")));
      Output.table(out, List.of("KEY", "VALUE", "SOURCE"), rows);
    }
    return LogbusCli.OK;
  }
}
