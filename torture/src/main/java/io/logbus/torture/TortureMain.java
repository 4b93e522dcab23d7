package io.logbus.torture;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code logbus-torture}: runs seeded fault schedules against real local clusters and prints, as
 * its last line, a summary that ends in PASS or FAIL. Exit code 0 only on PASS.
 */
@Command(
    name = "logbus-torture",
    mixinStandardHelpOptions = true,
    description =
        "Inject crashes and pauses into a local cluster and check no acknowledged record"
            + " is lost, duplicated or reordered.")
public final class TortureMain implements Callable<Integer> {
  static final long SHORT_MODE_FIXED_SEED = 42;

  @Option(
      names = "--duration",
      description = "Seconds of faults per run (default ${DEFAULT-VALUE}).")
  long durationSeconds = 150;

  @Option(
      names = "--runs",
      description = "Runs, each with its own seed (default ${DEFAULT-VALUE}).")
  int runs = 1;

  @Option(
      names = "--seed",
      description = "Seed of the first run; run r uses seed + r (default: random).")
  Long seed;

  @Option(names = "--nodes", description = "Cluster size, 3 or 5 (default ${DEFAULT-VALUE}).")
  int nodes = 3;

  @Option(names = "--short", description = "CI mode: two runs of 60 s, seed 42 then a random seed.")
  boolean shortMode;

  @Option(names = "--writers", description = "Producer threads (default ${DEFAULT-VALUE}).")
  int writers = 3;

  @Option(
      names = "--rate",
      description = "Records/s offered by each writer (default ${DEFAULT-VALUE}).")
  int rate = 300;

  @Option(
      names = "--group-members",
      description =
          "Consumers in one group committing as they go; 0 for none (default ${DEFAULT-VALUE}).")
  int groupMembers = 3;

  @Option(
      names = "--pause-ms",
      description =
          "How long a SIGSTOP lasts; longer than the broker session timeout (default ${DEFAULT-VALUE}).")
  long pauseMs = 9_000;

  @Option(
      names = "--launcher",
      description = "The cluster launcher (default: deploy/local/cluster.sh of this checkout).")
  Path launcher;

  @Option(
      names = "--work-dir",
      description = "Where run folders and the JSON report go (default ${DEFAULT-VALUE}).")
  Path workDir = Path.of("target", "torture");

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(new CommandLine(new TortureMain()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    List<Long> seeds = seeds();
    TortureOptions options =
        new TortureOptions(
            (shortMode ? 60 : durationSeconds) * 1000,
            seeds.size(),
            seeds.get(0),
            nodes,
            writers,
            rate,
            groupMembers,
            pauseMs,
            launcher != null ? launcher : defaultLauncher(),
            workDir.toAbsolutePath());
    out.println(
        "torture: seeds="
            + seeds
            + " duration_s="
            + options.durationMs() / 1000
            + " nodes="
            + nodes
            + " (replay a run with --seed N --runs 1)");
    out.flush();

    List<Verdict> verdicts = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    for (long runSeed : seeds) {
      Path home = options.workDir().resolve("run-" + Long.toUnsignedString(runSeed));
      deleteRecursively(home);
      LocalCluster cluster = new LocalCluster(options.launcher(), home, freePortBase(), nodes);
      // If this JVM is told to stop mid-run (Ctrl-C, a build timeout), the nodes go down with it.
      Thread stopNodes = new Thread(() -> stopQuietly(cluster), "torture-stop-cluster");
      Runtime.getRuntime().addShutdownHook(stopNodes);
      try {
        Verdict verdict = new TortureRun(options, runSeed, cluster, Clock.systemUTC()).execute();
        verdicts.add(verdict);
        out.println(Summary.line(List.of(verdict), List.of()));
        verdict.examples().forEach(e -> out.println("  " + e));
      } catch (Exception e) {
        errors.add("seed " + runSeed + ": " + e);
        out.println("torture: seed " + runSeed + " could not complete: " + e);
      } finally {
        try {
          cluster.close();
        } catch (Exception e) {
          out.println("torture: stopping the cluster of seed " + runSeed + " failed: " + e);
        }
        try {
          Runtime.getRuntime().removeShutdownHook(stopNodes);
        } catch (IllegalStateException shuttingDown) {
          // The hook is running or ran: it stops (stopped) the same cluster.
        }
      }
      out.flush();
    }

    writeReport(options, verdicts, errors);
    String summary = Summary.line(verdicts, errors);
    out.println(summary);
    out.flush();
    return summary.endsWith("PASS") ? 0 : 1;
  }

  private static void stopQuietly(LocalCluster cluster) {
    try {
      cluster.close();
    } catch (Exception e) {
      System.err.println("torture: stopping the cluster in " + cluster.home() + " failed: " + e);
    }
  }

  private List<Long> seeds() {
    long random = new SecureRandom().nextLong() & Long.MAX_VALUE;
    if (shortMode) {
      return List.of(SHORT_MODE_FIXED_SEED, seed != null ? seed : random);
    }
    long first = seed != null ? seed : random;
    List<Long> seeds = new ArrayList<>();
    for (int r = 0; r < runs; r++) {
      seeds.add(first + r);
    }
    return seeds;
  }

  private static Path defaultLauncher() {
    String root = System.getProperty("logbus.root", ".");
    return Path.of(root, "deploy", "local", "cluster.sh").toAbsolutePath().normalize();
  }

  /**
   * A port base whose three ranges (client base+i, quorum base+100+i, HTTP base+200+i) are free
   * now, drawn from 20000-30999: below the kernel's ephemeral range (32768 and up, where tests
   * binding port 0 land) and below the ranges cli's cluster tests take (31000 and up). Another
   * process may still take one before the cluster binds; the launcher then fails loudly rather than
   * joining a stranger.
   */
  static int freePortBase() throws IOException {
    SecureRandom random = new SecureRandom();
    for (int attempt = 0; attempt < 50; attempt++) {
      int base = 20_000 + random.nextInt(36) * 300;
      if (rangeFree(base)) {
        return base;
      }
    }
    throw new IOException("no free port range found for a local cluster");
  }

  private static boolean rangeFree(int base) {
    for (int offset : new int[] {0, 100, 200}) {
      for (int i = 1; i <= 7; i++) {
        try (ServerSocket socket =
            new ServerSocket(base + offset + i, 1, InetAddress.getLoopbackAddress())) {
          socket.setReuseAddress(true);
        } catch (IOException e) {
          return false;
        }
      }
    }
    return true;
  }

  private static void writeReport(
      TortureOptions options, List<Verdict> verdicts, List<String> errors) throws IOException {
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("options", options.toString());
    report.put("summary", Summary.line(verdicts, errors));
    report.put("runs", verdicts);
    report.put("errors", errors);
    Files.createDirectories(options.workDir());
    new ObjectMapper()
        .enable(SerializationFeature.INDENT_OUTPUT)
        .writeValue(options.workDir().resolve("torture-report.json").toFile(), report);
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
