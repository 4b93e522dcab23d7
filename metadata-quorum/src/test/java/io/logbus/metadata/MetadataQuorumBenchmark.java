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
            b ->
                b.electionTimeout(Duration.ofMillis(1000), Duration.ofMillis(2000))
                    .brokerSessionTimeout(Duration.ofHours(1)));
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

      long[] failoverMs = new long[failovers];
      for (int i = 0; i < failovers; i++) {
        MetadataQuorum current = cluster.awaitController();
        int killed = current.nodeId();
        MetadataQuorum survivor =
            cluster.live().stream().filter(q -> q != current).findFirst().orElseThrow();
        long t0 = System.nanoTime();
        cluster.stop(killed);
        while (true) {
          try {
            var r =
                survivor
                    .controller()
                    .createTopics(Requests.create("fo-" + i + "-" + names.incrementAndGet(), 1, 2))
                    .get(30, TimeUnit.SECONDS);
            if (r.getTopics(0).getError() == ErrorCode.NONE) {
              break;
            }
          } catch (Exception e) {
            // the write failed while the quorum elected; the client retries
          }
        }
        failoverMs[i] = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf(
            "failover %d: killed n%d, next committed write after %d ms%n",
            i + 1, killed, failoverMs[i]);
        cluster.start(killed);
        cluster.awaitApplied(cluster.awaitController().image().lastAppliedIndex());
      }
      Arrays.sort(failoverMs);
      if (failovers > 0) {
        System.out.printf(
            "failover: p50 %d ms, max %d ms over %d trials%n",
            failoverMs[failovers / 2], failoverMs[failovers - 1], failovers);
      }
    } finally {
      cluster.close();
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
