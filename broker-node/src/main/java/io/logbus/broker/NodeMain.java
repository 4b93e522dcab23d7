package io.logbus.broker;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * {@code NodeMain --config FILE}: runs one node in the foreground until SIGTERM/SIGINT, which
 * closes it cleanly (graceful gRPC stop, clean-shutdown log checkpoints, quorum stop).
 */
public final class NodeMain {
  private NodeMain() {}

  public static void main(String[] args) throws InterruptedException {
    Path file = null;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        file = Path.of(args[++i]);
      } else if (args[i].startsWith("--config=")) {
        file = Path.of(args[i].substring("--config=".length()));
      }
    }
    if (file == null) {
      System.err.println("usage: NodeMain --config FILE");
      System.exit(2);
      return;
    }
    BrokerConfig config;
    try {
      config = BrokerConfig.load(file);
    } catch (BrokerConfigException e) {
      System.err.println("logbus: " + e.getMessage());
      System.exit(2);
      return;
    }
    io.logbus.group.GroupConfig groups;
    try (java.io.Reader reader = java.nio.file.Files.newBufferedReader(file)) {
      java.util.Properties props = new java.util.Properties();
      props.load(reader);
      java.util.Map<String, String> map = new java.util.HashMap<>();
      props.stringPropertyNames().forEach(k -> map.put(k, props.getProperty(k)));
      groups = io.logbus.group.GroupConfig.fromProperties(map);
    } catch (java.io.IOException | IllegalArgumentException e) {
      System.err.println("logbus: " + e.getMessage());
      System.exit(2);
      return;
    }
    LogbusNode node = LogbusNode.start(config, groups);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  node.close();
                  stopped.countDown();
                },
                "logbus-shutdown"));
    System.out.println(
        "logbus node " + config.nodeId() + " serving on " + config.host() + ":" + node.port());
    stopped.await();
  }
}
