package io.logbus.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A real local cluster for end-to-end tests: separate node processes started by
 * deploy/local/cluster.sh in a temporary LOGBUS_HOME on a free port base, driven through
 * bin/logbus. Every process runs with a bound; {@link #close()} always runs {@code cluster.sh
 * down}.
 */
final class LocalCluster implements AutoCloseable {
  private final Path repo;
  private final Path home;
  private final int portBase;
  private final int nodes;

  /** What a command printed and how it exited. */
  record Run(int code, String out, String err) {
    List<String> outLines() {
      return out.isEmpty() ? List.of() : List.of(out.split("\n"));
    }

    List<String> errLines() {
      return err.isEmpty() ? List.of() : List.of(err.split("\n"));
    }
  }

  private LocalCluster(Path repo, Path home, int portBase, int nodes) {
    this.repo = repo;
    this.home = home;
    this.portBase = portBase;
    this.nodes = nodes;
  }

  static LocalCluster up(int nodes) throws IOException, InterruptedException {
    Path repo = Path.of(System.getProperty("logbus.home", "..")).toAbsolutePath().normalize();
    Path home = Files.createTempDirectory("logbus-it-");
    LocalCluster c = new LocalCluster(repo, home, freePortBase(nodes), nodes);
    Run up = c.script(300, "up", String.valueOf(nodes));
    if (up.code() != 0) {
      String logs = c.script(30, "logs", "1").out();
      c.close();
      throw new IllegalStateException(
          "cluster.sh up failed ("
              + up.code()
              + "): "
              + up.err()
              + "\nnode 1 log tail:\n"
              + tail(logs, 40));
    }
    return c;
  }

  private static String tail(String text, int lines) {
    String[] all = text.split("\n");
    return String.join("\n", Arrays.copyOfRange(all, Math.max(0, all.length - lines), all.length));
  }

  /** A base with client, quorum and HTTP ports of every node free right now. */
  private static int freePortBase(int nodes) throws IOException {
    for (int base = 31000; base < 60000; base += 300) {
      if (allFree(base, nodes)) {
        return base;
      }
    }
    throw new IOException("no free port range found for " + nodes + " nodes");
  }

  private static boolean allFree(int base, int nodes) {
    for (int i = 1; i <= nodes; i++) {
      for (int port : new int[] {base + i, base + 100 + i, base + 200 + i}) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
          s.setReuseAddress(true);
        } catch (IOException e) {
          return false;
        }
      }
    }
    return true;
  }

  String bootstrap() {
    List<String> all = new ArrayList<>();
    for (int i = 1; i <= nodes; i++) {
      all.add("127.0.0.1:" + (portBase + i));
    }
    return String.join(",", all);
  }

  int clientPort(int node) {
    return portBase + node;
  }

  /** Runs deploy/local/cluster.sh with this cluster's folder and ports. */
  Run script(long timeoutSeconds, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(repo.resolve("deploy/local/cluster.sh").toString());
    cmd.addAll(List.of(args));
    return exec(cmd, "", timeoutSeconds);
  }

  /** Runs bin/logbus with the given stdin. */
  Run logbus(String stdin, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(repo.resolve("bin/logbus").toString());
    cmd.addAll(List.of(args));
    return exec(cmd, stdin, 180);
  }

  private Run exec(List<String> cmd, String stdin, long timeoutSeconds)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(home.toFile());
    Map<String, String> env = pb.environment();
    env.put("LOGBUS_HOME", home.toString());
    env.put("LOGBUS_PORT_BASE", String.valueOf(portBase));
    env.put("LOGBUS_WAIT_SECONDS", "240");
    env.put("LOGBUS_NODE_OPTS", "-Xms128m -Xmx512m");
    env.put("LOGBUS_OPTS", "-Xmx256m -XX:TieredStopAtLevel=1");
    env.remove("LOGBUS_BOOTSTRAP");
    Process p = pb.start();
    CompletableFuture<String> out = drain(p.getInputStream());
    CompletableFuture<String> err = drain(p.getErrorStream());
    try (OutputStream in = p.getOutputStream()) {
      in.write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new IllegalStateException(cmd + " did not finish within " + timeoutSeconds + " s");
    }
    return new Run(p.exitValue(), out.join(), err.join());
  }

  private static CompletableFuture<String> drain(InputStream s) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (s) {
            return new String(s.readAllBytes(), StandardCharsets.UTF_8);
          } catch (IOException e) {
            return "";
          }
        });
  }

  @Override
  public void close() throws IOException, InterruptedException {
    try {
      script(120, "down");
    } finally {
      deleteTree(home);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
    }
  }
}
