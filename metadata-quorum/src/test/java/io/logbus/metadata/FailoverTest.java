package io.logbus.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.logbus.proto.ErrorCode;
import io.logbus.proto.metadata.MetadataRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Killing the controller: a new one answers and no committed record is lost on any voter. */
class FailoverTest {
  @TempDir Path dir;
  QuorumCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @ParameterizedTest(name = "{0} voters")
  @ValueSource(ints = {3, 5})
  void newControllerAnswersAfterLeaderIsKilledAndEveryCommittedRecordSurvives(int voters)
      throws Exception {
    cluster = QuorumCluster.start(dir, voters);
    MetadataQuorum leader = cluster.awaitController();
    Map<Integer, List<String>> seenByNode = new ConcurrentHashMap<>();
    for (MetadataQuorum q : cluster.live()) {
      List<String> seen = new CopyOnWriteArrayList<>();
      seenByNode.put(q.nodeId(), seen);
      q.subscribe(-1, (index, record, image) -> seen.add(index + ":" + describe(record)));
    }
    Requests.registerBrokers(leader, 3);
    List<String> acknowledged = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      assertThat(Requests.createTopic(leader, "before-" + i, 3, 3).getTopics(0).getError())
          .isEqualTo(ErrorCode.NONE);
      acknowledged.add("before-" + i);
    }
    int old = leader.nodeId();
    // Requests in flight while the controller dies: each commits or fails retriably.
    MetadataQuorum client = cluster.live().stream().filter(q -> q != leader).findFirst().get();
    List<java.util.concurrent.CompletableFuture<io.logbus.proto.CreateTopicsResponse>> inFlight =
        new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      inFlight.add(client.controller().createTopics(Requests.create("during-" + i, 1, 3)));
    }
    cluster.stop(old);
    seenByNode.remove(old);
    long killed = System.nanoTime();
    MetadataQuorum any = cluster.live().get(0);
    // Any node forwards to whichever node leads now.
    assertThat(Requests.createTopic(any, "after", 3, 3).getTopics(0).getError())
        .isEqualTo(ErrorCode.NONE);
    Duration failover = Duration.ofNanos(System.nanoTime() - killed);
    acknowledged.add("after");
    for (int i = 0; i < inFlight.size(); i++) {
      String name = "during-" + i;
      try {
        ErrorCode e =
            inFlight
                .get(i)
                .get(Requests.TIMEOUT_S, java.util.concurrent.TimeUnit.SECONDS)
                .getTopics(0)
                .getError();
        // TOPIC_ALREADY_EXISTS: the forwarder's Ratis client lost the dying leader's answer and
        // sent the request again; the new controller found the topic the first attempt created.
        assertThat(e).isIn(ErrorCode.NONE, ErrorCode.TOPIC_ALREADY_EXISTS);
      } catch (java.util.concurrent.ExecutionException e) {
        assertThat(e.getCause()).isInstanceOf(NotControllerException.class);
        assertThat(((ControllerException) e.getCause()).retriable()).isTrue();
        // The retry at the new controller: created now, or it had committed before the kill.
        assertThat(Requests.createTopic(any, name, 1, 3).getTopics(0).getError())
            .isIn(ErrorCode.NONE, ErrorCode.TOPIC_ALREADY_EXISTS);
      }
      acknowledged.add(name);
    }
    MetadataQuorum newLeader = cluster.awaitController();
    assertThat(newLeader.nodeId()).isNotEqualTo(old);
    assertThat(failover).isLessThan(Duration.ofSeconds(20));
    long index = newLeader.image().lastAppliedIndex();
    cluster.awaitApplied(index);
    String digest = HexFormat.of().formatHex(newLeader.stateDigest());
    for (MetadataQuorum q : cluster.live()) {
      assertThat(q.image().topics().keySet()).containsAll(acknowledged);
      assertThat(HexFormat.of().formatHex(q.stateDigest())).isEqualTo(digest);
    }
    // Every live voter dispatched the same records in the same order.
    List<String> reference = seenByNode.get(newLeader.nodeId());
    await()
        .atMost(QuorumCluster.WAIT)
        .untilAsserted(
            () -> {
              for (List<String> seen : seenByNode.values()) {
                assertThat(seen).isEqualTo(reference);
              }
            });
    assertThat(reference.stream().filter(s -> s.contains("CreateTopic")).count())
        .isEqualTo(acknowledged.size());
  }

  private static String describe(MetadataRecord r) {
    return switch (r.getRecordCase()) {
      case CREATE_TOPIC -> "CreateTopic " + r.getCreateTopic().getName();
      default -> r.getRecordCase().name();
    };
  }
}
