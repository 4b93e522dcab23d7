package io.logbus.metadata;

import io.logbus.proto.ErrorCode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Not a test: metadata writes/s (CreateTopic of 1 partition), commit latency percentiles, and the
 * time from killing the controller to the next committed write, on a 3-voter loopback quorum with
 * the default (production) election timeouts.
 *
 * <pre>
 * mvn -B -o -pl metadata-quorum test-compile
 * java -cp metadata-quorum/target/test-classes:metadata-quorum/target/classes:$(cat cp.txt) \
 *   io.logbus.metadata.MetadataQuorumBenchmark [seconds] [concurrency] [failovers]
 * </pre>
 */
public final class MetadataQuorumBenchmark {
  private MetadataQuorumBenchmark() {}

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 32;
    int failovers = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    Path dir = Files.createTempDirectory("logbus-metadata-bench");
    QuorumCluster cluster =
        new QuorumCluster(
            dir,
            3,
            // The production election timeouts: QuorumCluster's test values are replaced by the
            // builder's defaults.
            b -> {
              QuorumConfig defaults =
                  QuorumConfig.builder().nodeId(1).quorumDir(dir).voters("1@h:1").build();
              b.electionTimeout(defaults.electionTimeoutMin(), defaults.electionTimeoutMax())
                  .brokerSessionTimeout(Duration.ofHours(1));
            });
    try {
      MetadataQuorum leader = cluster.awaitController();
      Requests.registerBrokers(leader, 3);
      AtomicLong names = new AtomicLong();
      System.out.println("warm-up ...");
      run(leader, names, 3, concurrency, false);
      System.out.printf("sequential commits on the controller (%d s):%n", seconds);
      run(leader, names, seconds, 1, true);
      MetadataQuorum follower =
          cluster.live().stream().filter(q -> q != leader).findFirst().orElseThrow();
      System.out.printf("sequential commits forwarded from a follower (%d s):%n", seconds);
      run(follower, names, seconds, 1, true);
      System.out.printf("%d concurrent creates on the controller (%d s):%n", concurrency, seconds);
      run(leader, names, seconds, concurrency, true);

      failovers(cluster, names, failovers, false);
      failovers(cluster, names, failovers, true);
    } finally {
      cluster.close();
    }
  }

  /**
   * Stops the controller ({@code graceful}: close with leadership hand-off; else as a crash) and
   * times, from just before the stop, the next create that commits through a survivor; also when a
   * survivor became the ready controller.
   */
  private static void failovers(
      QuorumCluster cluster, AtomicLong names, int failovers, boolean graceful) throws Exception {
    long[] failoverMs = new long[failovers];
    String kind = graceful ? "graceful stop" : "crash";
    for (int i = 0; i < failovers; i++) {
      MetadataQuorum current = cluster.awaitController();
      int killed = current.nodeId();
      MetadataQuorum survivor =
          cluster.live().stream().filter(q -> q != current).findFirst().orElseThrow();
      long t0 = System.nanoTime();
      AtomicLong electedMs = new AtomicLong(-1);
      Thread watcher =
          new Thread(
              () -> {
                while (electedMs.get() < 0 && System.nanoTime() - t0 < 30_000_000_000L) {
                  if (cluster.live().stream().anyMatch(q -> q != current && q.isController())) {
                    electedMs.set((System.nanoTime() - t0) / 1_000_000);
                  }
                  Thread.onSpinWait();
                }
              });
      watcher.start();
      // The stop runs beside the writes: in a real cluster the dying node is another process.
      AtomicLong stoppedMs = new AtomicLong(-1);
      Thread stopper =
          new Thread(
              () -> {
                if (graceful) {
                  cluster.stopGracefully(killed);
                } else {
                  cluster.stop(killed);
                }
                stoppedMs.set((System.nanoTime() - t0) / 1_000_000);
              });
      stopper.start();
      while (true) {
        try {
          var r =
              survivor
                  .controller()
                  .createTopics(Requests.create("fo-" + names.incrementAndGet(), 1, 2))
                  .get(30, TimeUnit.SECONDS);
          if (r.getTopics(0).getError() == ErrorCode.NONE) {
            break;
          }
        } catch (Exception e) {
          // the write failed while the quorum elected; the caller retries
        }
      }
      failoverMs[i] = (System.nanoTime() - t0) / 1_000_000;
      watcher.join();
      stopper.join();
      System.out.printf(
          "%s %d: n%d, next committed write after %d ms (stop returned at %d ms, new controller"
              + " ready at %d ms)%n",
          kind, i + 1, killed, failoverMs[i], stoppedMs.get(), electedMs.get());
      cluster.start(killed);
      cluster.awaitApplied(cluster.awaitController().image().lastAppliedIndex());
    }
    Arrays.sort(failoverMs);
    if (failovers > 0) {
      System.out.printf(
          "%s -> next committed write: p50 %d ms, max %d ms over %d trials%n",
          kind, failoverMs[failovers / 2], failoverMs[failovers - 1], failovers);
    }
  }

  private static void run(
      MetadataQuorum via, AtomicLong names, int seconds, int concurrency, boolean report)
      throws Exception {
    Semaphore permits = new Semaphore(concurrency);
    List<Long> latenciesNs = java.util.Collections.synchronizedList(new ArrayList<>());
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    long start = System.nanoTime();
    AtomicLong errors = new AtomicLong();
    while (System.nanoTime() < end) {
      permits.acquire();
      long t0 = System.nanoTime();
      CompletableFuture<?> f =
          via.controller().createTopics(Requests.create("b-" + names.incrementAndGet(), 1, 3));
      f.whenComplete(
          (r, e) -> {
            if (e != null) {
              errors.incrementAndGet();
            } else {
              latenciesNs.add(System.nanoTime() - t0);
            }
            permits.release();
          });
    }
    permits.acquire(concurrency);
    double elapsed = (System.nanoTime() - start) / 1e9;
    if (!report) {
      return;
    }
    long[] l = latenciesNs.stream().mapToLong(Long::longValue).sorted().toArray();
    System.out.printf(
        "  %d commits in %.1f s = %.0f writes/s; latency p50 %.2f ms, p99 %.2f ms, max %.2f ms;"
            + " errors %d%n",
        l.length,
        elapsed,
        l.length / elapsed,
        l[l.length / 2] / 1e6,
        l[(int) (l.length * 0.99)] / 1e6,
        l[l.length - 1] / 1e6,
        errors.get());
  }
}
