package io.logbus.torture;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A multi-process cluster driven through the project's launcher, {@code deploy/local/cluster.sh},
 * in its own data folder and port range so it never touches another cluster. Signals go to the PIDs
 * the launcher recorded, never to processes found by name.
 */
final class LocalCluster implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LocalCluster.class);
  private static final long COMMAND_TIMEOUT_SECONDS = 420;

  private final Path launcher;
  private final Path home;
  private final int portBase;
  private final int nodes;

  LocalCluster(Path launcher, Path home, int portBase, int nodes) {
    this.launcher = launcher;
    this.home = home;
    this.portBase = portBase;
    this.nodes = nodes;
  }

  int nodes() {
    return nodes;
  }

  Path home() {
    return home;
  }

  /** Client bootstrap list: every node's gRPC listener. */
  String bootstrap() {
    List<String> endpoints = new ArrayList<>();
    for (int i = 1; i <= nodes; i++) {
      endpoints.add("127.0.0.1:" + (portBase + i));
    }
    return String.join(",", endpoints);
  }

  void up() throws IOException, InterruptedException {
    run("up", String.valueOf(nodes));
  }

  void kill(int node) throws IOException, InterruptedException {
    run("kill", String.valueOf(node));
  }

  void start(int node) throws IOException, InterruptedException {
    run("start", String.valueOf(node));
  }

  void pause(int node) throws IOException, InterruptedException {
    signal(node, "STOP");
  }

  void resume(int node) throws IOException, InterruptedException {
    signal(node, "CONT");
  }

  /** The node's properties file as the launcher wrote it. */
  Properties config(int node) throws IOException {
    Path file = configFile(node);
    Properties properties = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      properties.load(in);
    }
    return properties;
  }

  /** Where the node keeps partition {@code topic-partition}. */
  Path partitionDir(int node, String topic, int partition) throws IOException {
    return Path.of(config(node).getProperty("data.dir"))
        .resolve("logs")
        .resolve(topic + "-" + partition);
  }

  private Path configFile(int node) throws IOException {
    try (Stream<Path> files = Files.walk(home, 3)) {
      Optional<Path> match =
          files
              .filter(p -> p.getFileName().toString().endsWith(".properties"))
              .filter(p -> declaresNode(p, node))
              .findFirst();
      return match.orElseThrow(
          () -> new IOException("no node config with node.id=" + node + " under " + home));
    }
  }

  private static boolean declaresNode(Path file, int node) {
    try {
      return Files.readAllLines(file).stream()
          .map(String::trim)
          .anyMatch(line -> line.equals("node.id=" + node));
    } catch (IOException e) {
      return false;
    }
  }

  /** The PID the launcher recorded for the node, beside its config file. */
  private long pid(int node) throws IOException {
    Path file = configFile(node).resolveSibling("node.pid");
    try {
      return Long.parseLong(Files.readString(file).trim());
    } catch (NumberFormatException e) {
      throw new IOException(file + " does not hold a PID", e);
    }
  }

  private void signal(int node, String signal) throws IOException, InterruptedException {
    long pid = pid(node);
    Process process = new ProcessBuilder("kill", "-" + signal, String.valueOf(pid)).start();
    if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new IOException("kill -" + signal + " " + pid + " (node " + node + ") failed");
    }
  }

  private void run(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(launcher.toString());
    command.addAll(List.of(args));
    // Output goes to a file, not a pipe: nodes started in the background may inherit the
    // launcher's descriptors, and a pipe they hold open would block a reader forever.
    Path output = home.resolve("cluster-sh.out");
    Files.createDirectories(home);
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.to(output.toFile()));
    Map<String, String> env = builder.environment();
    env.put("LOGBUS_HOME", home.toString());
    env.put("LOGBUS_PORT_BASE", String.valueOf(portBase));
    // A node restarted on a loaded machine may take minutes (JVM start, a full log recovery per
    // partition after a crash): the launcher's readiness bound must not be what fails a run.
    env.putIfAbsent("LOGBUS_WAIT_SECONDS", "300");
    // Timestamps in the node logs, so an outage can be lined up with the run's history.
    env.putIfAbsent("LOGBUS_NODE_OPTS", "-Xms256m -Xmx1g");
    env.put(
        "LOGBUS_NODE_OPTS",
        env.get("LOGBUS_NODE_OPTS")
            + " -Dorg.slf4j.simpleLogger.showDateTime=true"
            + " -Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS");
    Process process = builder.start();
    if (!process.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IOException("cluster.sh " + String.join(" ", args) + " timed out");
    }
    String text = Files.readString(output, StandardCharsets.UTF_8).trim();
    if (process.exitValue() != 0) {
      throw new IOException(
          "cluster.sh " + String.join(" ", args) + " exited " + process.exitValue() + ": " + text);
    }
    log.debug("cluster.sh {}: {}", String.join(" ", args), text);
  }

  @Override
  public void close() throws IOException, InterruptedException {
    run("down");
  }
}
