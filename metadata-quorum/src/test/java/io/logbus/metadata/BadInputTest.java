package io.logbus.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.logbus.proto.AlterConfigsRequest;
import io.logbus.proto.CreatePartitionsRequest;
import io.logbus.proto.CreateTopicsRequest;
import io.logbus.proto.DeleteTopicsRequest;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.TopicSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every controller entry point with wrong values: a typed error and no record in the log (the
 * applied index, read linearizably, does not move). One single-voter quorum serves all tests.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputTest {
  Path dir;
  QuorumCluster cluster;
  MetadataQuorum q;
  long[] epochs;
  long indexBefore;

  @BeforeAll
  void start(@TempDir Path tmp) throws Exception {
    dir = tmp;
    cluster = QuorumCluster.start(dir, 1);
    q = cluster.awaitController();
    epochs = Requests.registerBrokers(q, 2);
    Requests.createTopic(q, "existing", 2, 2);
  }

  @AfterAll
  void stop() {
    cluster.close();
  }

  @BeforeEach
  void rememberIndex() throws Exception {
    indexBefore = appliedIndex();
  }

  private long appliedIndex() throws Exception {
    return q.linearizableImage().get(Requests.TIMEOUT_S, TimeUnit.SECONDS).lastAppliedIndex();
  }

  private void assertNoRecord() throws Exception {
    assertThat(appliedIndex()).as("applied index after a rejected request").isEqualTo(indexBefore);
  }

  private static <T> T get(CompletableFuture<T> f) throws Exception {
    return f.get(Requests.TIMEOUT_S, TimeUnit.SECONDS);
  }

  private void assertFails(CompletableFuture<?> f, ErrorCode code) throws Exception {
    assertThatThrownBy(() -> get(f))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(ControllerException.class)
        .satisfies(e -> assertThat(((ControllerException) e).error()).isEqualTo(code))
        .satisfies(e -> assertThat(((ControllerException) e).retriable()).isFalse());
    assertNoRecord();
  }

  private ErrorCode createError(TopicSpec spec) throws Exception {
    return get(q.controller()
            .createTopics(CreateTopicsRequest.newBuilder().addTopics(spec).build()))
        .getTopics(0)
        .getError();
  }

  private static TopicSpec spec(String name, int partitions, int rf) {
    return TopicSpec.newBuilder()
        .setName(name)
        .setPartitions(partitions)
        .setReplicationFactor(rf)
        .build();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", ".", "..", "a/b", "sp ace", "ünïcode", "tab\t"})
  void createTopicWithIllegalNameIsInvalidTopic(String name) throws Exception {
    assertThat(createError(spec(name, 1, 1))).isEqualTo(ErrorCode.INVALID_TOPIC);
    assertNoRecord();
  }

  @Test
  void createTopicWithNameOf250CharactersIsInvalidTopic() throws Exception {
    char[] c = new char[250];
    Arrays.fill(c, 'x');
    assertThat(createError(spec(new String(c), 1, 1))).isEqualTo(ErrorCode.INVALID_TOPIC);
    assertNoRecord();
  }

  @Test
  void createTopicThatExistsIsTopicAlreadyExists() throws Exception {
    assertThat(createError(spec("existing", 1, 1))).isEqualTo(ErrorCode.TOPIC_ALREADY_EXISTS);
    assertNoRecord();
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, TopicRequests.MAX_PARTITIONS + 1})
  void createTopicWithBadPartitionCountIsInvalidPartitions(int partitions) throws Exception {
    assertThat(createError(spec("p", partitions, 1))).isEqualTo(ErrorCode.INVALID_PARTITIONS);
    assertNoRecord();
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, 3})
  void createTopicWithReplicationFactorOutsideLiveBrokersIsRejected(int rf) throws Exception {
    assertThat(createError(spec("rf", 1, rf))).isEqualTo(ErrorCode.INVALID_REPLICATION_FACTOR);
    assertNoRecord();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "no.such.key=1",
        "retention.ms=abc",
        "retention.ms=-2",
        "cleanup.policy=zip",
        "min.insync.replicas=0",
        "segment.bytes=10",
        "min.cleanable.dirty.ratio=1.5",
        "unclean.leader.election.enable=yes"
      })
  void createTopicWithBadConfigIsInvalidConfig(String kv) throws Exception {
    String[] p = kv.split("=", 2);
    TopicSpec s = spec("cfg", 1, 1).toBuilder().putConfigs(p[0], p[1]).build();
    assertThat(createError(s)).isEqualTo(ErrorCode.INVALID_CONFIG);
    assertNoRecord();
  }

  @Test
  void validateOnlyCreateAnswersWithoutARecord() throws Exception {
    var r =
        get(
            q.controller()
                .createTopics(
                    CreateTopicsRequest.newBuilder()
                        .addTopics(spec("dry-run", 3, 2))
                        .setValidateOnly(true)
                        .build()));
    assertThat(r.getTopics(0).getError()).isEqualTo(ErrorCode.NONE);
    assertNoRecord();
    assertThat(q.image().topics()).doesNotContainKey("dry-run");
  }

  @Test
  void deleteOfUnknownOrTwiceNamedTopicIsRejected() throws Exception {
    var r =
        get(
            q.controller()
                .deleteTopics(
                    DeleteTopicsRequest.newBuilder()
                        .addNames("nope")
                        .addNames("existing")
                        .addNames("existing")
                        .build()));
    assertThat(r.getTopicsList())
        .extracting(t -> t.getError())
        .containsExactly(
            ErrorCode.UNKNOWN_TOPIC, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST);
    assertNoRecord();
  }

  @Test
  void createPartitionsThatDoNotGrowOrTargetNoTopicAreRejected() throws Exception {
    assertThat(
            get(q.controller()
                    .createPartitions(
                        CreatePartitionsRequest.newBuilder()
                            .setTopic("nope")
                            .setTotalCount(3)
                            .build()))
                .getResult()
                .getError())
        .isEqualTo(ErrorCode.UNKNOWN_TOPIC);
    for (int total : List.of(2, 1, 0, -5, TopicRequests.MAX_PARTITIONS + 1)) {
      assertThat(
              get(q.controller()
                      .createPartitions(
                          CreatePartitionsRequest.newBuilder()
                              .setTopic("existing")
                              .setTotalCount(total)
                              .build()))
                  .getResult()
                  .getError())
          .as("total %d", total)
          .isEqualTo(ErrorCode.INVALID_PARTITIONS);
    }
    assertNoRecord();
  }

  @Test
  void alterConfigsWithBadInputIsRejected() throws Exception {
    Map<AlterConfigsRequest, ErrorCode> cases =
        Map.of(
            AlterConfigsRequest.newBuilder().setTopic("nope").putSet("retention.ms", "1").build(),
            ErrorCode.UNKNOWN_TOPIC,
            AlterConfigsRequest.newBuilder().setTopic("existing").putSet("bogus", "1").build(),
            ErrorCode.INVALID_CONFIG,
            AlterConfigsRequest.newBuilder()
                .setTopic("existing")
                .putSet("retention.ms", "soon")
                .build(),
            ErrorCode.INVALID_CONFIG,
            AlterConfigsRequest.newBuilder().setTopic("existing").addDelete("bogus").build(),
            ErrorCode.INVALID_CONFIG,
            AlterConfigsRequest.newBuilder()
                .setTopic("existing")
                .putSet("retention.ms", "1")
                .addDelete("retention.ms")
                .build(),
            ErrorCode.INVALID_REQUEST);
    for (var e : cases.entrySet()) {
      assertThat(get(q.controller().alterConfigs(e.getKey())).getError())
          .as(e.getKey().toString())
          .isEqualTo(e.getValue());
    }
    assertNoRecord();
  }

  @Test
  void registerBrokerWithBadFieldsIsInvalidRequest() throws Exception {
    assertFails(q.controller().registerBroker(-1, "h", 1, "i"), ErrorCode.INVALID_REQUEST);
    assertFails(q.controller().registerBroker(5, "", 1, "i"), ErrorCode.INVALID_REQUEST);
    assertFails(q.controller().registerBroker(5, "h", 0, "i"), ErrorCode.INVALID_REQUEST);
    assertFails(q.controller().registerBroker(5, "h", 70000, "i"), ErrorCode.INVALID_REQUEST);
    assertFails(q.controller().registerBroker(5, "h", 1, " "), ErrorCode.INVALID_REQUEST);
    assertFails(q.controller().registerBroker(5, null, 1, "i"), ErrorCode.INVALID_REQUEST);
  }

  @Test
  void registeringTheSameIncarnationAgainReturnsTheSameEpochWithoutARecord() throws Exception {
    assertThat(get(q.controller().registerBroker(1, "127.0.0.1", 9001, "incarnation-1")))
        .isEqualTo(epochs[1]);
    assertNoRecord();
  }

  @Test
  void heartbeatFromUnknownBrokerOrStaleEpochIsRejected() throws Exception {
    assertFails(q.controller().heartbeat(42, 1), ErrorCode.BROKER_NOT_AVAILABLE);
    assertFails(q.controller().heartbeat(1, epochs[1] + 7), ErrorCode.STALE_BROKER_EPOCH);
  }

  @Test
  void alterPartitionWithBadFieldsIsRejected() throws Exception {
    PartitionState p = q.image().topic("existing").orElseThrow().partition(0);
    int leader = p.leader();
    int le = p.leaderEpoch();
    int pe = p.partitionEpoch();
    Controller c = q.controller();
    assertFails(
        c.alterPartition("nope", 0, leader, le, pe, List.of(leader)), ErrorCode.UNKNOWN_TOPIC);
    assertFails(
        c.alterPartition("existing", 9, leader, le, pe, List.of(leader)),
        ErrorCode.UNKNOWN_PARTITION);
    assertFails(
        c.alterPartition("existing", -1, leader, le, pe, List.of(leader)),
        ErrorCode.UNKNOWN_PARTITION);
    assertFails(
        c.alterPartition("existing", 0, leader, le + 1, pe, List.of(leader)),
        ErrorCode.UNKNOWN_LEADER_EPOCH);
    assertFails(
        c.alterPartition("existing", 0, leader, le, pe + 1, List.of(leader)),
        ErrorCode.INVALID_UPDATE_VERSION);
    assertFails(
        c.alterPartition("existing", 0, leader, le, pe, List.of()), ErrorCode.INVALID_REQUEST);
    int follower = p.replicas().get(1);
    assertFails(
        c.alterPartition("existing", 0, leader, le, pe, List.of(follower)),
        ErrorCode.INVALID_REQUEST);
    assertFails(
        c.alterPartition("existing", 0, leader, le, pe, List.of(leader, leader)),
        ErrorCode.INVALID_REQUEST);
    assertFails(
        c.alterPartition("existing", 0, leader, le, pe, List.of(leader, 99)),
        ErrorCode.INELIGIBLE_REPLICA);
    assertFails(
        c.alterPartition(null, 0, leader, le, pe, List.of(leader)), ErrorCode.INVALID_REQUEST);
    assertFails(
        c.alterPartition("existing", 0, leader, le, pe, Arrays.asList(leader, null)),
        ErrorCode.INVALID_REQUEST);
  }

  @Test
  void allocateProducerIdsWithBadFieldsIsRejected() throws Exception {
    assertFails(q.controller().allocateProducerIds(42, 10), ErrorCode.BROKER_NOT_AVAILABLE);
    assertFails(q.controller().allocateProducerIds(1, 0), ErrorCode.INVALID_REQUEST);
    assertFails(
        q.controller().allocateProducerIds(1, BrokerRequests.MAX_PRODUCER_ID_BLOCK + 1),
        ErrorCode.INVALID_REQUEST);
  }

  @Test
  void producerIdBlocksDoNotOverlap() throws Exception {
    long a = get(q.controller().allocateProducerIds(1, 100));
    long b = get(q.controller().allocateProducerIds(2, 50));
    assertThat(b).isEqualTo(a + 100);
    assertThat(q.image().nextProducerId()).isEqualTo(b + 50);
  }

  @Test
  void nullAdminRequestsAreInvalidRequest() throws Exception {
    assertFails(q.controller().createTopics(null), ErrorCode.INVALID_REQUEST);
    assertFails(q.controller().deleteTopics(null), ErrorCode.INVALID_REQUEST);
    assertFails(q.controller().createPartitions(null), ErrorCode.INVALID_REQUEST);
    assertFails(q.controller().alterConfigs(null), ErrorCode.INVALID_REQUEST);
  }

  @Test
  void membershipChangesThatLeaveAnEvenOrEmptyQuorumAreRefused() throws Exception {
    assertFails(q.addVoter(2, "127.0.0.1:1", false), ErrorCode.INVALID_REQUEST);
    assertFails(q.removeVoter(1, true), ErrorCode.INVALID_REQUEST);
    assertFails(q.removeVoter(7, false), ErrorCode.INVALID_REQUEST);
    assertFails(q.addVoter(1, "127.0.0.1:1", false), ErrorCode.INVALID_REQUEST);
    assertFails(q.addVoter(3, "not-an-address", false), ErrorCode.INVALID_REQUEST);
    assertThat(q.image().voters()).containsExactly(1);
  }

  @Test
  void subscribeWithoutListenerIsAnIllegalArgument() {
    assertThatThrownBy(() -> q.subscribe(0, null)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void quorumConfigRejectsInconsistentSettings() {
    QuorumConfig.Builder ok =
        QuorumConfig.builder().nodeId(1).quorumDir(dir).voters("1@127.0.0.1:1");
    ok.build();
    assertThat(QuorumConfig.builder().nodeId(2).quorumDir(dir).voters("1@h:1").build().isVoter())
        .as("a node outside the voter list is a broker only")
        .isFalse();
    assertThatThrownBy(
            () ->
                QuorumConfig.builder()
                    .nodeId(2)
                    .quorumDir(dir)
                    .voters("1@h:1")
                    .joining(true)
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("node 2");
    assertThatThrownBy(
            () -> ok.electionTimeout(Duration.ofMillis(500), Duration.ofMillis(500)).build())
        .isInstanceOf(IllegalArgumentException.class);
    for (String bad : List.of("", "1@h", "x@h:1", "1@h:0", "1@h:1,1@h:2", "h:1", "-1@h:1")) {
      assertThatThrownBy(() -> QuorumConfig.parseVoters(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
