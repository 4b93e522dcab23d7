package io.logbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.logbus.client.testing.FakeCluster;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The logbus command against a loopback cluster of fake brokers (real gRPC, in-memory logs). */
class CliAgainstClusterTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private FakeCluster cluster;
  private String bootstrap;

  @BeforeEach
  void start() throws Exception {
    cluster = FakeCluster.start(3);
    bootstrap = cluster.bootstrap();
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  private Cli.Result run(String... args) {
    return runWithInput("", args);
  }

  private Cli.Result runWithInput(String stdin, String... args) {
    String[] all = new String[args.length + 2];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--bootstrap";
    all[args.length + 1] = bootstrap;
    return Cli.runWithInput(stdin, all);
  }

  private void ok(Cli.Result r) {
    assertThat(r.code()).as("exit code; stderr: %s", r.err()).isZero();
  }

  private static void assertOneLineFailure(Cli.Result r, String mentions) {
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.errLines()).hasSize(1);
    assertThat(r.err()).startsWith("logbus: ").contains(mentions).doesNotContain("\tat ");
  }

  @Test
  void createdTopicIsListedAndDescribedAsJson() throws Exception {
    ok(
        run(
            "topics",
            "create",
            "--topic",
            "orders",
            "--partitions",
            "3",
            "--replication-factor",
            "3"));
    Cli.Result list = run("topics", "list", "--output", "json");
    ok(list);
    assertThat(JSON.readTree(list.out()).get(0).asText()).isEqualTo("orders");
    Cli.Result describe = run("topics", "describe", "--topic", "orders", "--output", "json");
    ok(describe);
    JsonNode t = JSON.readTree(describe.out()).get(0);
    assertThat(t.get("topic").asText()).isEqualTo("orders");
    JsonNode p0 = t.get("partitions").get(0);
    for (String field :
        List.of(
            "partition",
            "leader",
            "leaderEpoch",
            "replicas",
            "isr",
            "logStartOffset",
            "logEndOffset")) {
      assertThat(p0.has(field)).as(field).isTrue();
    }
    assertThat(p0.get("replicas")).hasSize(3);
  }

  @Test
  void describeTableShowsOneRowPerPartition() {
    ok(run("topics", "create", "--topic", "t", "--partitions", "2"));
    Cli.Result r = run("topics", "describe");
    ok(r);
    assertThat(r.outLines()).hasSize(3);
    assertThat(r.outLines().get(0)).startsWith("TOPIC").contains("LEADER", "ISR", "LOG-END");
  }

  @Test
  void keyedLinesComeBackFromTheBeginningInPerKeyOrder() {
    ok(run("topics", "create", "--topic", "t", "--partitions", "3"));
    StringBuilder in = new StringBuilder();
    Map<String, List<String>> sent = new LinkedHashMap<>();
    for (int i = 0; i < 60; i++) {
      String key = "k" + (i % 7);
      in.append(key).append(':').append("v").append(i).append('\n');
      sent.computeIfAbsent(key, k -> new ArrayList<>()).add("v" + i);
    }
    ok(runWithInput(in.toString(), "produce", "--topic", "t", "--key-separator", ":"));
    Cli.Result c =
        run("consume", "--topic", "t", "--from-beginning", "--print-key", "--max-messages", "60");
    ok(c);
    Map<String, List<String>> got = new LinkedHashMap<>();
    for (String line : c.outLines()) {
      String[] kv = line.split("\t", 2);
      got.computeIfAbsent(kv[0], k -> new ArrayList<>()).add(kv[1]);
    }
    assertThat(got).isEqualTo(sent);
  }

  @Test
  void consumeFromAPartitionAndOffset() {
    ok(run("topics", "create", "--topic", "t", "--partitions", "2"));
    ok(runWithInput("a\nb\nc\nd\n", "produce", "--topic", "t", "--partition", "1"));
    Cli.Result c =
        run("consume", "--topic", "t", "--partition", "1", "--offset", "2", "--timeout-ms", "500");
    ok(c);
    assertThat(c.outLines()).containsExactly("c", "d");
  }

  @Test
  void consumeWithoutRecordsTimesOutWithExitOne() {
    ok(run("topics", "create", "--topic", "empty"));
    Cli.Result c = run("consume", "--topic", "empty", "--from-beginning", "--timeout-ms", "300");
    assertOneLineFailure(c, "no record of empty");
  }

  @Test
  void replicationFactorAboveBrokerCountFailsInOneLine() {
    assertOneLineFailure(
        run("topics", "create", "--topic", "t", "--replication-factor", "5"), "replication factor");
  }

  @Test
  void unknownTopicFailsInOneLineForEveryCommand() {
    assertOneLineFailure(run("topics", "describe", "--topic", "ghost"), "unknown topic ghost");
    assertOneLineFailure(runWithInput("x\n", "produce", "--topic", "ghost"), "unknown topic ghost");
    assertOneLineFailure(
        run("consume", "--topic", "ghost", "--timeout-ms", "100"), "unknown topic ghost");
    assertOneLineFailure(run("topics", "delete", "--topic", "ghost"), "unknown topic ghost");
  }

  @Test
  void lineWithoutKeySeparatorFailsNamingTheLine() {
    ok(run("topics", "create", "--topic", "t"));
    assertOneLineFailure(
        runWithInput("a:1\nnokey\n", "produce", "--topic", "t", "--key-separator", ":"), "line 2");
  }

  @Test
  void unreachableBootstrapFailsInOneLineNamingTheAddress() {
    bootstrap = "127.0.0.1:1";
    assertOneLineFailure(run("topics", "list"), "no broker reachable at 127.0.0.1:1");
    assertOneLineFailure(run("cluster", "status"), "no broker reachable at 127.0.0.1:1");
    assertOneLineFailure(
        runWithInput("x\n", "produce", "--topic", "t"), "no broker reachable at 127.0.0.1:1");
  }

  @Test
  void clusterStatusJsonShowsAStoppedBrokerAsFenced() throws Exception {
    bootstrap = "127.0.0.1:" + cluster.port(1);
    cluster.stopBroker(3);
    Cli.Result r = run("cluster", "status", "--output", "json");
    ok(r);
    JsonNode s = JSON.readTree(r.out());
    assertThat(s.get("leader").asInt()).isEqualTo(1);
    assertThat(s.get("voters")).hasSize(3);
    assertThat(s.get("brokers").get(2).get("state").asText()).isEqualTo("FENCED");
    assertThat(s.get("brokers").get(0).get("host").asText()).isEqualTo("127.0.0.1");
    assertThat(s.get("underReplicatedPartitions").asInt()).isZero();
    assertThat(s.get("offlinePartitions").asInt()).isZero();
  }

  @Test
  void clusterStatusTableNamesBrokerStates() {
    cluster.stopBroker(2);
    bootstrap = "127.0.0.1:" + cluster.port(1);
    Cli.Result r = run("cluster", "status");
    ok(r);
    assertThat(r.out()).contains("Quorum leader:  1").contains("FENCED").contains("ALIVE");
  }

  @Test
  void alterGrowsPartitionsAndConfigsAreSetAndShown() throws Exception {
    ok(run("topics", "create", "--topic", "t", "--config", "retention.ms=1000"));
    ok(run("topics", "alter", "--topic", "t", "--partitions", "4"));
    ok(run("topics", "configs", "--topic", "t", "--set", "cleanup.policy=compact"));
    Cli.Result r = run("topics", "configs", "--topic", "t", "--output", "json");
    ok(r);
    JsonNode c = JSON.readTree(r.out()).get("configs");
    assertThat(c.get("retention.ms").asText()).isEqualTo("1000");
    assertThat(c.get("cleanup.policy").asText()).isEqualTo("compact");
    Cli.Result d = run("topics", "describe", "--topic", "t", "--output", "json");
    assertThat(JSON.readTree(d.out()).get(0).get("partitions")).hasSize(4);
  }

  @Test
  void deletedTopicDisappears() {
    ok(run("topics", "create", "--topic", "t"));
    ok(run("topics", "delete", "--topic", "t"));
    assertThat(run("topics", "list").out()).doesNotContain("t\n");
  }

  @Test
  void perfProducePrintsAKafkaStyleSummary() {
    ok(run("topics", "create", "--topic", "perf", "--partitions", "2"));
    Cli.Result r =
        run("perf", "produce", "--topic", "perf", "--num-records", "2000", "--record-size", "100");
    ok(r);
    assertThat(r.out())
        .containsPattern("2000 records sent, [0-9.]+ records/sec \\([0-9.]+ MB/sec\\)")
        .contains("ms 50th", "ms 95th", "ms 99th", "ms 99.9th");
  }

  @Test
  void perfConsumeAndE2eReportThroughputAndLatency() throws Exception {
    ok(run("topics", "create", "--topic", "perf"));
    ok(run("perf", "produce", "--topic", "perf", "--num-records", "500", "--record-size", "50"));
    Cli.Result c =
        run("perf", "consume", "--topic", "perf", "--messages", "500", "--output", "json");
    ok(c);
    assertThat(JSON.readTree(c.out()).get("records").asLong()).isEqualTo(500);
    Cli.Result e = run("perf", "e2e", "--topic", "perf", "--num-records", "20", "--output", "json");
    ok(e);
    assertThat(JSON.readTree(e.out()).get("p99Ms").asDouble()).isPositive();
  }
}
