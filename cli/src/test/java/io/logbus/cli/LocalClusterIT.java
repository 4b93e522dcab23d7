package io.logbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * End to end: a real 3-node cluster as separate processes (deploy/local/cluster.sh) driven through
 * bin/logbus. The tests share the cluster and run in order: the node kill comes last.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalClusterIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private LocalCluster cluster;
  private final Map<String, List<String>> sentByKey = new LinkedHashMap<>();

  @BeforeAll
  void up() throws Exception {
    cluster = LocalCluster.up(3);
  }

  @AfterAll
  void down() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private LocalCluster.Run logbus(String stdin, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--bootstrap");
    all.add(cluster.bootstrap());
    return cluster.logbus(stdin, all.toArray(String[]::new));
  }

  private static void ok(LocalCluster.Run r) {
    assertThat(r.code()).as("exit code; stderr: %s", r.err()).isZero();
  }

  private String keyedLines(int from, int to) {
    StringBuilder in = new StringBuilder();
    for (int i = from; i < to; i++) {
      String key = "user-" + (i % 5);
      in.append(key).append(':').append("event-").append(i).append('\n');
      sentByKey.computeIfAbsent(key, k -> new ArrayList<>()).add("event-" + i);
    }
    return in.toString();
  }

  /** Consumes everything from the beginning and checks every line came back in per-key order. */
  private void assertEverythingComesBackInPerKeyOrder(int total) throws Exception {
    LocalCluster.Run c =
        logbus(
            "",
            "consume",
            "--topic",
            "events",
            "--from-beginning",
            "--print-key",
            "--key-separator",
            "=",
            "--max-messages",
            String.valueOf(total),
            "--timeout-ms",
            "30000");
    ok(c);
    Map<String, List<String>> got = new LinkedHashMap<>();
    for (String line : c.outLines()) {
      String[] kv = line.split("=", 2);
      got.computeIfAbsent(kv[0], k -> new ArrayList<>()).add(kv[1]);
    }
    assertThat(got).isEqualTo(sentByKey);
  }

  @Test
  @Order(1)
  void producedKeyedLinesComeBackFromTheBeginningInPerKeyOrder() throws Exception {
    ok(
        logbus(
            "",
            "topics",
            "create",
            "--topic",
            "events",
            "--partitions",
            "3",
            "--replication-factor",
            "3"));
    ok(logbus(keyedLines(0, 200), "produce", "--topic", "events", "--key-separator", ":"));
    assertEverythingComesBackInPerKeyOrder(200);
  }

  @Test
  @Order(2)
  void describeShowsThreeReplicasAndTheOffsets() throws Exception {
    LocalCluster.Run r = logbus("", "topics", "describe", "--topic", "events", "--output", "json");
    ok(r);
    JsonNode partitions = JSON.readTree(r.out()).get(0).get("partitions");
    assertThat(partitions).hasSize(3);
    long total = 0;
    for (JsonNode p : partitions) {
      assertThat(p.get("replicas")).hasSize(3);
      assertThat(p.get("leader").asInt()).isBetween(1, 3);
      total += p.get("logEndOffset").asLong();
    }
    assertThat(total).isEqualTo(200);
    LocalCluster.Run list = logbus("", "topics", "list", "--output", "json");
    ok(list);
    assertThat(JSON.readTree(list.out()).toString()).contains("\"events\"");
  }

  @Test
  @Order(3)
  void unknownFlagIsAUsageErrorWithExitTwo() throws Exception {
    LocalCluster.Run r = logbus("", "topics", "list", "--bogus");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.errLines().get(0)).contains("--bogus");
  }

  @Test
  @Order(4)
  void replicationFactorFiveOnThreeNodesFailsInOneLine() throws Exception {
    LocalCluster.Run r =
        logbus("", "topics", "create", "--topic", "wide", "--replication-factor", "5");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.errLines()).hasSize(1);
    assertThat(r.err()).startsWith("logbus: ").containsIgnoringCase("replication factor");
  }

  @Test
  @Order(5)
  void unknownTopicFailsInOneLine() throws Exception {
    LocalCluster.Run r = logbus("x\n", "produce", "--topic", "nosuch");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.errLines()).hasSize(1);
    assertThat(r.err()).contains("unknown topic nosuch");
  }

  @Test
  @Order(6)
  void unreachableBootstrapFailsInOneLine() throws Exception {
    LocalCluster.Run r = cluster.logbus("", "topics", "list", "--bootstrap", "127.0.0.1:1");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.errLines()).hasSize(1);
    assertThat(r.err()).contains("no broker reachable at 127.0.0.1:1");
  }

  private List<String> consumeAsGroup(String group, int n) throws Exception {
    LocalCluster.Run c =
        logbus(
            "",
            "consume",
            "--topic",
            "orders",
            "--group",
            group,
            "--from-beginning",
            "--max-messages",
            String.valueOf(n),
            "--timeout-ms",
            "60000");
    ok(c);
    return c.outLines();
  }

  @Test
  @Order(7)
  void groupConsumesCommitsIsResetToEarliestReadsAgainAndIsDeleted() throws Exception {
    ok(
        logbus(
            "",
            "topics",
            "create",
            "--topic",
            "orders",
            "--partitions",
            "3",
            "--replication-factor",
            "3"));
    List<String> sent = new ArrayList<>();
    for (int i = 0; i < 90; i++) {
      sent.add("order-" + i);
    }
    ok(logbus(String.join("\n", sent) + "\n", "produce", "--topic", "orders"));
    assertThat(consumeAsGroup("g-it", 90)).containsExactlyInAnyOrderElementsOf(sent);

    LocalCluster.Run d = logbus("", "groups", "describe", "--group", "g-it", "--output", "json");
    ok(d);
    JsonNode group = JSON.readTree(d.out());
    assertThat(group.get("partitions")).hasSize(3);
    for (JsonNode p : group.get("partitions")) {
      assertThat(p.get("lag").asLong()).as(p.toString()).isZero();
    }
    LocalCluster.Run list = logbus("", "groups", "list", "--output", "json");
    ok(list);
    assertThat(list.out()).contains("\"g-it\"");

    // the consumer has left, so the group has no members and may be reset
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () ->
                ok(
                    logbus(
                        "",
                        "groups",
                        "reset-offsets",
                        "--group",
                        "g-it",
                        "--topic",
                        "orders",
                        "--to-earliest",
                        "--execute")));
    assertThat(consumeAsGroup("g-it", 90)).containsExactlyInAnyOrderElementsOf(sent);

    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(() -> ok(logbus("", "groups", "delete", "--group", "g-it")));
    LocalCluster.Run after = logbus("", "groups", "list", "--output", "json");
    ok(after);
    assertThat(after.out()).doesNotContain("\"g-it\"");
  }

  @Test
  @Order(8)
  void afterANodeIsKilledProducingAndConsumingGoOnAndStatusShowsItFenced() throws Exception {
    LocalCluster.Run kill = cluster.script(30, "kill", "3");
    ok(kill);
    ok(logbus(keyedLines(200, 400), "produce", "--topic", "events", "--key-separator", ":"));
    assertEverythingComesBackInPerKeyOrder(400);
    Awaitility.await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () -> {
              LocalCluster.Run s = logbus("", "cluster", "status", "--output", "json");
              ok(s);
              JsonNode status = JSON.readTree(s.out());
              assertThat(status.get("leader").asInt()).isBetween(1, 3);
              assertThat(status.get("brokers").get(2).get("state").asText()).isEqualTo("FENCED");
              assertThat(status.get("brokers").get(0).get("state").asText()).isEqualTo("ALIVE");
            });
  }
}
