package io.logbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.logbus.broker.testing.NodeCluster;
import io.logbus.client.LogbusConsumer;
import io.logbus.group.GroupConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The consumer-group commands against real nodes in this JVM (one 3-node cluster for the class;
 * every test uses its own topic and group). Heartbeats every 300 ms so rebalances are quick.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliGroupsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private Path dir;
  private NodeCluster cluster;
  private final List<BenchMember> members = new ArrayList<>();

  @BeforeAll
  void start() throws IOException {
    dir = Files.createTempDirectory("cli-groups-");
    cluster =
        NodeCluster.start(
            dir, 3, new GroupConfig(3, 6_000, 300, 10_000, 86_400_000L, "uniform", 100));
  }

  @AfterEach
  void stopMembers() throws InterruptedException {
    for (BenchMember m : members) {
      m.close();
    }
    members.clear();
  }

  @AfterAll
  void stop() throws IOException {
    try {
      if (cluster != null) {
        cluster.close();
      }
    } finally {
      try (var paths = Files.walk(dir)) {
        paths
            .sorted((a, b) -> b.getNameCount() - a.getNameCount())
            .forEach(p -> p.toFile().delete());
      }
    }
  }

  private Cli.Result run(String... args) {
    return runWithInput("", args);
  }

  private Cli.Result runWithInput(String stdin, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--bootstrap");
    all.add(cluster.bootstrap());
    return Cli.runWithInput(stdin, all.toArray(String[]::new));
  }

  private static Cli.Result ok(Cli.Result r) {
    assertThat(r.code()).as("exit code; stderr: %s", r.err()).isZero();
    return r;
  }

  private static void assertOneLineFailure(Cli.Result r, String mentions) {
    assertThat(r.code()).as(r.err()).isEqualTo(1);
    assertThat(r.errLines()).hasSize(1);
    assertThat(r.err()).startsWith("logbus: ").contains(mentions).doesNotContain("\tat ");
  }

  /** A topic with the lines v0..v(n-1) spread over its partitions. */
  private void topicWith(String topic, int partitions, int n) {
    ok(
        run(
            "topics",
            "create",
            "--topic",
            topic,
            "--partitions",
            String.valueOf(partitions),
            "--replication-factor",
            "3"));
    StringBuilder in = new StringBuilder();
    for (int i = 0; i < n; i++) {
      in.append('k').append(i).append(':').append('v').append(i).append('\n');
    }
    ok(runWithInput(in.toString(), "produce", "--topic", topic, "--key-separator", ":"));
  }

  /** Makes (or moves) the group's committed offsets of every partition with an executed reset. */
  private Cli.Result reset(String group, String topic, String... spec) {
    List<String> args =
        new ArrayList<>(
            List.of("groups", "reset-offsets", "--group", group, "--topic", topic, "--execute"));
    args.addAll(List.of(spec));
    return ok(run(args.toArray(String[]::new)));
  }

  private JsonNode describe(String group) throws IOException {
    return JSON.readTree(ok(run("groups", "describe", "--group", group, "--output", "json")).out());
  }

  private List<String> consumeAsGroup(String topic, String group, int n) {
    return ok(run(
            "consume",
            "--topic",
            topic,
            "--group",
            group,
            "--from-beginning",
            "--max-messages",
            String.valueOf(n),
            "--timeout-ms",
            "60000"))
        .outLines();
  }

  private static List<String> values(int from, int to) {
    List<String> all = new ArrayList<>();
    for (int i = from; i < to; i++) {
      all.add("v" + i);
    }
    return all;
  }

  /** A live member of the group, polling on its own thread until the test ends. */
  private BenchMember activeMember(String topic, String group) {
    BenchMember m =
        new BenchMember(
            "test-member",
            () ->
                LogbusConsumer.builder()
                    .bootstrapServers(cluster.bootstrap())
                    .clientId("test-member")
                    .groupId(group)
                    .build(),
            topic,
            () -> {});
    members.add(m);
    Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> !m.owned().isEmpty());
    return m;
  }

  /** describe --output json: no members, every partition committed at its log end (lag 0). */
  private void assertEmptyGroupCommittedEverything(
      String group, String topic, int partitions, long records) throws IOException {
    JsonNode d = describe(group);
    assertThat(d.get("group").asText()).isEqualTo(group);
    assertThat(d.get("state").asText()).isEqualTo("EMPTY");
    assertThat(d.get("members").asInt()).isZero();
    assertThat(d.get("partitions")).hasSize(partitions);
    long committed = 0;
    for (JsonNode p : d.get("partitions")) {
      assertThat(p.get("topic").asText()).isEqualTo(topic);
      assertThat(p.get("lag").asLong()).isZero();
      assertThat(p.get("currentOffset").asLong()).isEqualTo(p.get("logEndOffset").asLong());
      assertThat(p.get("memberId").asText()).isEmpty();
      committed += p.get("currentOffset").asLong();
    }
    assertThat(committed).isEqualTo(records);
  }

  @Test
  void resetToLatestCommitsTheLogEndAndDescribeShowsLagZero() throws IOException {
    topicWith("latest", 3, 30);
    reset("g-latest", "latest", "--to-latest");
    assertEmptyGroupCommittedEverything("g-latest", "latest", 3, 30);
  }

  @Test
  void describeTableHasKafkasColumnsAndOneRowPerPartition() {
    topicWith("table", 2, 4);
    reset("g-table", "table", "--to-earliest");
    List<String> lines = ok(run("groups", "describe", "--group", "g-table")).outLines();
    assertThat(lines.get(0)).isEqualTo("Consumer group 'g-table' has no active members.");
    assertThat(lines.get(2).split("\\s+"))
        .containsExactly(
            "GROUP",
            "TOPIC",
            "PARTITION",
            "CURRENT-OFFSET",
            "LOG-END-OFFSET",
            "LAG",
            "CONSUMER-ID",
            "HOST",
            "CLIENT-ID");
    List<String[]> rows =
        lines.subList(3, lines.size()).stream().map(l -> l.split("\\s+")).toList();
    assertThat(rows).hasSize(2);
    long lag = 0;
    for (String[] row : rows) {
      assertThat(row).hasSize(9);
      assertThat(row[0]).isEqualTo("g-table");
      assertThat(row[3]).isEqualTo("0");
      assertThat(row[5]).isEqualTo(row[4]);
      assertThat(row[6]).isEqualTo("-");
      lag += Long.parseLong(row[5]);
    }
    assertThat(lag).isEqualTo(4);
  }

  @Test
  void listShowsGroupsWithStateAndMembersAndJsonListsTheIds() throws IOException {
    topicWith("listed", 1, 1);
    reset("g-listed", "listed", "--to-latest");
    Cli.Result table = ok(run("groups", "list"));
    assertThat(table.outLines().get(0).split("\\s+")).containsExactly("GROUP", "STATE", "MEMBERS");
    assertThat(table.outLines())
        .anySatisfy(l -> assertThat(l.split("\\s+")).containsExactly("g-listed", "EMPTY", "0"));
    JsonNode json = JSON.readTree(ok(run("groups", "list", "--output", "json")).out());
    assertThat(json.isArray()).isTrue();
    List<String> ids = new ArrayList<>();
    json.forEach(n -> ids.add(n.asText()));
    assertThat(ids).contains("g-listed");
  }

  @Test
  void unknownGroupFailsInOneLine() {
    assertOneLineFailure(run("groups", "describe", "--group", "ghost"), "unknown group ghost");
    assertOneLineFailure(run("groups", "delete", "--group", "ghost"), "unknown group ghost");
  }

  @Test
  void dryRunShowsTheNewOffsetsAndChangesNothing() throws IOException {
    topicWith("dry", 1, 5);
    reset("g-dry", "dry", "--to-latest");
    JsonNode r =
        JSON.readTree(
            ok(run(
                    "groups",
                    "reset-offsets",
                    "--group",
                    "g-dry",
                    "--topic",
                    "dry",
                    "--shift-by",
                    "-2",
                    "--dry-run",
                    "--output",
                    "json"))
                .out());
    assertThat(r).hasSize(1);
    assertThat(r.get(0).get("group").asText()).isEqualTo("g-dry");
    assertThat(r.get(0).get("previousOffset").asLong()).isEqualTo(5);
    assertThat(r.get(0).get("newOffset").asLong()).isEqualTo(3);
    assertThat(describe("g-dry").get("partitions").get(0).get("currentOffset").asLong())
        .isEqualTo(5);
  }

  @Test
  void resetOfOnePartitionToAnOffsetLeavesTheOthers() throws IOException {
    topicWith("one", 2, 20);
    reset("g-one", "one", "--to-latest");
    Cli.Result r = reset("g-one", "one:1", "--to-offset", "1");
    assertThat(r.outLines()).hasSize(2);
    assertThat(r.outLines().get(1).split("\\s+")).containsExactly("g-one", "one", "1", "1");
    for (JsonNode p : describe("g-one").get("partitions")) {
      if (p.get("partition").asInt() == 1) {
        assertThat(p.get("currentOffset").asLong()).isEqualTo(1);
      } else {
        assertThat(p.get("lag").asLong()).isZero();
      }
    }
  }

  @Test
  void resetToADatetimeBeforeEveryRecordGoesToTheStart() throws IOException {
    topicWith("when", 1, 3);
    reset("g-when", "when", "--to-latest");
    reset("g-when", "when", "--to-datetime", "2000-01-01T00:00:00Z");
    assertThat(describe("g-when").get("partitions").get(0).get("currentOffset").asLong()).isZero();
  }

  @Test
  void resetOfAnUnknownTopicOrPartitionFailsInOneLine() {
    topicWith("known", 2, 1);
    assertOneLineFailure(
        run(
            "groups",
            "reset-offsets",
            "--group",
            "g-known",
            "--topic",
            "nosuch",
            "--to-earliest",
            "--dry-run"),
        "unknown topic nosuch");
    assertOneLineFailure(
        run(
            "groups",
            "reset-offsets",
            "--group",
            "g-known",
            "--topic",
            "known:2",
            "--to-earliest",
            "--dry-run"),
        "unknown partition 2 of topic known");
  }

  @Test
  void deletedGroupIsGone() {
    topicWith("gone", 1, 1);
    reset("g-gone", "gone", "--to-latest");
    assertThat(ok(run("groups", "delete", "--group", "g-gone")).out())
        .isEqualTo("Deleted consumer group g-gone.\n");
    assertThat(ok(run("groups", "list", "--output", "json")).out()).doesNotContain("\"g-gone\"");
    assertOneLineFailure(run("groups", "describe", "--group", "g-gone"), "unknown group g-gone");
  }

  @Test
  void groupConsumerReadsEverythingAndDescribeShowsLagZero() throws IOException {
    topicWith("lag", 3, 30);
    assertThat(consumeAsGroup("lag", "g-lag", 30))
        .containsExactlyInAnyOrderElementsOf(values(0, 30));
    assertEmptyGroupCommittedEverything("g-lag", "lag", 3, 30);
  }

  @Test
  void describeShowsTheActiveMemberAsOwner() throws IOException {
    topicWith("owned", 2, 2);
    BenchMember member = activeMember("owned", "g-owned");
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              JsonNode d = describe("g-owned");
              assertThat(d.get("state").asText()).isEqualTo("STABLE");
              assertThat(d.get("members").asInt()).isEqualTo(1);
              assertThat(d.get("partitions")).hasSize(2);
              for (JsonNode p : d.get("partitions")) {
                assertThat(p.get("memberId").asText()).isNotEmpty();
                assertThat(p.get("clientId").asText()).isEqualTo("test-member");
              }
            });
    assertThat(member.owned()).hasSize(2);
  }

  @Test
  void secondGroupConsumerResumesWhereTheFirstStopped() {
    topicWith("resume", 1, 10);
    assertThat(consumeAsGroup("resume", "g-resume", 4)).containsExactlyElementsOf(values(0, 4));
    assertThat(consumeAsGroup("resume", "g-resume", 6)).containsExactlyElementsOf(values(4, 10));
  }

  @Test
  void resetToEarliestExecuteMakesTheGroupReadEverythingAgain() {
    topicWith("again", 3, 12);
    consumeAsGroup("again", "g-again", 12);
    Cli.Result r =
        ok(
            run(
                "groups",
                "reset-offsets",
                "--group",
                "g-again",
                "--topic",
                "again",
                "--to-earliest",
                "--execute"));
    assertThat(r.outLines().get(0).split("\\s+"))
        .containsExactly("GROUP", "TOPIC", "PARTITION", "NEW-OFFSET");
    assertThat(r.outLines().subList(1, r.outLines().size()))
        .hasSize(3)
        .allSatisfy(row -> assertThat(row).startsWith("g-again").endsWith(" 0"));
    assertThat(consumeAsGroup("again", "g-again", 12))
        .containsExactlyInAnyOrderElementsOf(values(0, 12));
  }

  @Test
  void resetAndDeleteAreRefusedWhileTheGroupHasMembersThenDeleteWorks() throws Exception {
    topicWith("busy", 1, 1);
    BenchMember member = activeMember("busy", "g-busy");
    assertOneLineFailure(
        run(
            "groups",
            "reset-offsets",
            "--group",
            "g-busy",
            "--topic",
            "busy",
            "--to-earliest",
            "--execute"),
        "active members");
    assertOneLineFailure(run("groups", "delete", "--group", "g-busy"), "active members");
    member.close();
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(() -> assertThat(describe("g-busy").get("members").asInt()).isZero());
    assertThat(ok(run("groups", "delete", "--group", "g-busy")).out())
        .contains("Deleted consumer group g-busy");
    assertThat(ok(run("groups", "list", "--output", "json")).out()).doesNotContain("\"g-busy\"");
  }

  @Test
  void perfGroupReportsRebalanceAndCommitPercentiles() throws IOException {
    ok(
        run(
            "topics",
            "create",
            "--topic",
            "perf6",
            "--partitions",
            "6",
            "--replication-factor",
            "3"));
    JsonNode r =
        JSON.readTree(
            ok(run(
                    "perf",
                    "group",
                    "--topic",
                    "perf6",
                    "--rounds",
                    "2",
                    "--commits",
                    "10",
                    "--output",
                    "json"))
                .out());
    assertThat(r.get("partitions").asInt()).isEqualTo(6);
    for (String field :
        List.of("joinP50Ms", "joinP99Ms", "leaveP99Ms", "commitP50Ms", "commitP99Ms")) {
      assertThat(r.get(field).asDouble()).as(field).isPositive();
    }
    assertThat(r.get("commitP99Ms").asDouble())
        .isGreaterThanOrEqualTo(r.get("commitP50Ms").asDouble());
  }
}
