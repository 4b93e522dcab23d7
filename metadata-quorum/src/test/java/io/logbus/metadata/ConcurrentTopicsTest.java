package io.logbus.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.logbus.proto.CreateTopicsResponse;
import io.logbus.proto.DeleteTopicsRequest;
import io.logbus.proto.DeleteTopicsResponse;
import io.logbus.proto.ErrorCode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Linearizability spot check: racing creates and deletes of the same names from every node. */
class ConcurrentTopicsTest {
  @TempDir Path dir;
  QuorumCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void racingCreatesAndDeletesNeverLeaveTwoTopicsWithOneName() throws Exception {
    cluster = QuorumCluster.start(dir, 3);
    MetadataQuorum leader = cluster.awaitController();
    Requests.registerBrokers(leader, 3);
    List<String> log = new CopyOnWriteArrayList<>();
    leader.subscribe(
        leader.image().lastAppliedIndex(),
        (index, record, image) -> {
          if (record.hasCreateTopic()) {
            log.add("+" + record.getCreateTopic().getName());
          } else if (record.hasDeleteTopic()) {
            log.add("-" + record.getDeleteTopic().getName());
          }
        });
    List<String> names = List.of("race-a", "race-b", "race-c");
    AtomicInteger createdOk = new AtomicInteger();
    AtomicInteger deletedOk = new AtomicInteger();
    List<CompletableFuture<Void>> clients = new ArrayList<>();
    int clientCount = 6;
    for (int c = 0; c < clientCount; c++) {
      MetadataQuorum via = cluster.live().get(c % cluster.live().size());
      Random random = new Random(c);
      clients.add(
          CompletableFuture.runAsync(
              () -> {
                for (int i = 0; i < 25; i++) {
                  String name = names.get(random.nextInt(names.size()));
                  try {
                    if (random.nextBoolean()) {
                      CreateTopicsResponse r =
                          via.controller()
                              .createTopics(Requests.create(name, 1, 2))
                              .get(Requests.TIMEOUT_S, TimeUnit.SECONDS);
                      ErrorCode e = r.getTopics(0).getError();
                      assertThat(e).isIn(ErrorCode.NONE, ErrorCode.TOPIC_ALREADY_EXISTS);
                      if (e == ErrorCode.NONE) {
                        createdOk.incrementAndGet();
                      }
                    } else {
                      DeleteTopicsResponse r =
                          via.controller()
                              .deleteTopics(DeleteTopicsRequest.newBuilder().addNames(name).build())
                              .get(Requests.TIMEOUT_S, TimeUnit.SECONDS);
                      ErrorCode e = r.getTopics(0).getError();
                      assertThat(e).isIn(ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC);
                      if (e == ErrorCode.NONE) {
                        deletedOk.incrementAndGet();
                      }
                    }
                  } catch (Exception e) {
                    throw new AssertionError(e);
                  }
                }
              }));
    }
    CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
    long index = leader.image().lastAppliedIndex();
    cluster.awaitApplied(index);
    await().atMost(QuorumCluster.WAIT).until(() -> log.size() == createdOk.get() + deletedOk.get());
    // Replay the committed records: a create only of an absent name, a delete only of a present.
    Set<String> present = new HashSet<>();
    for (String op : log) {
      String name = op.substring(1);
      if (op.startsWith("+")) {
        assertThat(present.add(name)).as("second create of %s in %s", name, log).isTrue();
      } else {
        assertThat(present.remove(name)).as("delete of absent %s in %s", name, log).isTrue();
      }
    }
    assertThat(createdOk.get()).isPositive();
    assertThat(deletedOk.get()).isPositive();
    for (MetadataQuorum q : cluster.live()) {
      assertThat(q.image().topics().keySet()).containsExactlyInAnyOrderElementsOf(present);
    }
  }

  @Test
  void oneRequestCreatingTheSameNameTwiceIsRejectedWithoutRecords() throws Exception {
    cluster = QuorumCluster.start(dir, 1);
    MetadataQuorum q = cluster.awaitController();
    Requests.registerBrokers(q, 1);
    long before = q.image().lastAppliedIndex();
    CreateTopicsResponse r =
        q.controller()
            .createTopics(
                Requests.create("twice", 1, 1).toBuilder()
                    .addTopics(Requests.create("twice", 2, 1).getTopics(0))
                    .build())
            .get(Requests.TIMEOUT_S, TimeUnit.SECONDS);
    assertThat(r.getTopicsList()).allMatch(t -> t.getError() == ErrorCode.INVALID_REQUEST);
    assertThat(q.linearizableImage().get(Requests.TIMEOUT_S, TimeUnit.SECONDS).lastAppliedIndex())
        .isEqualTo(before);
  }
}
