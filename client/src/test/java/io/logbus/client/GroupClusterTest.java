package io.logbus.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.logbus.broker.testing.NodeCluster;
import io.logbus.group.GroupConfig;
import io.logbus.proto.ErrorCode;
import io.logbus.proto.FindCoordinatorRequest;
import io.logbus.proto.FindCoordinatorResponse;
import io.logbus.proto.GroupServiceGrpc;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The group consumer on one real 3-node cluster (issue 7's tests). Each test uses its own topic and
 * group; the coordinator failover test kills a node, so it runs last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GroupClusterTest {
  @TempDir static Path dir;
  private static NodeCluster cluster;
  private static LogbusAdmin admin;
  private static LogbusProducer producer;
  private final List<LogbusConsumer> consumers = new ArrayList<>();

  @BeforeAll
  static void startCluster() {
    // Heartbeats every 200 ms so rebalances take a fraction of a second; 6 s sessions.
    GroupConfig groups =
        new GroupConfig(3, 6_000, 200, 20_000, 7L * 24 * 3600 * 1000, "uniform", 1000);
    cluster = NodeCluster.start(dir, 3, groups);
    admin =
        LogbusAdmin.builder()
            .bootstrapServers(cluster.bootstrap())
            .apiTimeoutMs(60_000)
            .retryBackoffMs(50)
            .build();
    producer =
        LogbusProducer.builder()
            .bootstrapServers(cluster.bootstrap())
            .lingerMs(5)
            .retryBackoffMs(50)
            .build();
  }

  @AfterAll
  static void stopCluster() {
    if (producer != null) {
      producer.close(Duration.ofSeconds(5));
    }
    if (admin != null) {
      admin.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @AfterEach
  void closeConsumers() {
    consumers.forEach(LogbusConsumer::close);
  }

  private static ConditionFactory within(int seconds) {
    return await()
        .atMost(Duration.ofSeconds(seconds))
        .pollInSameThread()
        .pollInterval(Duration.ofMillis(10));
  }

  /** Creates the topic and waits until every partition has a leader and a full ISR. */
  private static void createTopic(String name, int partitions, int replicas) {
    Futures.get(admin.createTopic(new NewTopic(name, partitions, replicas)));
    within(60)
        .ignoreExceptions()
        .until(
            () ->
                Futures.get(admin.describeTopics(List.of(name))).get(0).partitions().stream()
                    .allMatch(p -> p.leader() > 0 && p.isr().size() == replicas));
  }

  /**
   * Sends values "p:i" to every partition p for i in [from, to) and waits until all are written.
   */
  private static void produce(String topic, int partitions, int from, int to) {
    List<java.util.concurrent.CompletableFuture<RecordMetadata>> sent = new ArrayList<>();
    for (int i = from; i < to; i++) {
      for (int p = 0; p < partitions; p++) {
        sent.add(producer.send(new ProducerRecord(topic, p, null, (p + ":" + i).getBytes(UTF_8))));
      }
    }
    producer.flush();
    sent.forEach(Futures::get);
  }

  private LogbusConsumer consumer(String group, String clientId, boolean autoCommit) {
    LogbusConsumer c =
        LogbusConsumer.builder()
            .bootstrapServers(cluster.bootstrap())
            .clientId(clientId)
            .groupId(group)
            .enableAutoCommit(autoCommit)
            .autoOffsetReset(OffsetResetStrategy.EARLIEST)
            .fetchMaxWaitMs(50)
            .retryBackoffMs(50)
            .requestTimeoutMs(5_000)
            .defaultApiTimeoutMs(30_000)
            .sessionTimeoutMs(20_000)
            .build();
    consumers.add(c);
    return c;
  }

  private static List<String> values(List<ConsumerRecord> records) {
    List<String> out = new ArrayList<>();
    records.forEach(r -> out.add(new String(r.value(), UTF_8)));
    return out;
  }

  /** Polls until {@code n} records came; returns them. */
  private static List<String> read(LogbusConsumer c, int n, int seconds) {
    List<String> out = new ArrayList<>();
    within(seconds)
        .until(
            () -> {
              out.addAll(values(c.poll(Duration.ofMillis(100))));
              return out.size() >= n;
            });
    return out;
  }

  /** Awaits the condition; on timeout fails with what {@code explain} says then. */
  private static void explained(
      int seconds,
      java.util.function.Supplier<String> explain,
      java.util.concurrent.Callable<Boolean> condition) {
    try {
      within(seconds).until(condition);
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(e.getMessage() + "; state: " + explain.get(), e);
    }
  }

  /** Members and the coordinator's view, for a failure message. */
  private static String state(String group, List<LogbusConsumer> members) {
    StringBuilder b = new StringBuilder();
    for (LogbusConsumer m : members) {
      b.append(m.memberId()).append('@').append(m.memberEpoch()).append(m.assignment()).append(' ');
    }
    try {
      b.append(Futures.get(admin.describeGroup(group)));
    } catch (LogbusException e) {
      b.append(e);
    }
    return b.toString();
  }

  /** Listener that remembers revocations (and losses). */
  private static final class Revocations implements ConsumerRebalanceListener {
    final List<Collection<TopicPartition>> revoked = new CopyOnWriteArrayList<>();

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      revoked.add(partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {}
  }

  @Test
  @Order(1)
  void threeMembersShareSixPartitionsAndALeaverIsReplacedWithoutPausingTheOthers()
      throws Exception {
    createTopic("shared", 6, 1);
    AtomicBoolean producing = new AtomicBoolean(true);
    AtomicInteger produced = new AtomicInteger();
    Thread feeder =
        new Thread(
            () -> {
              // A steady trickle to every partition, so "still receiving" can be observed.
              while (producing.get()) {
                int i = produced.getAndIncrement();
                produce("shared", 6, i, i + 1);
                Futures.sleep(20);
              }
            },
            "feeder");
    List<LogbusConsumer> members =
        List.of(
            consumer("sharing", "c1", true),
            consumer("sharing", "c2", true),
            consumer("sharing", "c3", true));
    List<Revocations> listeners = List.of(new Revocations(), new Revocations(), new Revocations());
    List<List<ConsumerRecord>> seen =
        List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    feeder.start();
    try {
      for (int i = 0; i < 3; i++) {
        members.get(i).subscribe(List.of("shared"), listeners.get(i));
      }
      explained(
          60,
          () -> state("sharing", members),
          () -> {
            for (int i = 0; i < 3; i++) {
              seen.get(i).addAll(members.get(i).poll(Duration.ofMillis(20)));
            }
            Set<TopicPartition> all = new HashSet<>();
            members.forEach(m -> all.addAll(m.assignment()));
            return all.size() == 6 && members.stream().allMatch(m -> m.assignment().size() == 2);
          });
      List<Set<TopicPartition>> before =
          List.of(Set.copyOf(members.get(0).assignment()), Set.copyOf(members.get(1).assignment()));
      int revocationsBefore0 = listeners.get(0).revoked.size();
      int revocationsBefore1 = listeners.get(1).revoked.size();

      // c3 leaves (commits its positions first); c1 and c2 keep polling throughout.
      members.get(2).close();
      int[] receivedSinceLeave = new int[2];
      explained(
          60,
          () -> state("sharing", members.subList(0, 2)),
          () -> {
            for (int i = 0; i < 2; i++) {
              List<ConsumerRecord> got = members.get(i).poll(Duration.ofMillis(20));
              seen.get(i).addAll(got);
              for (ConsumerRecord r : got) {
                if (before.get(i).contains(r.topicPartition())) {
                  receivedSinceLeave[i]++;
                }
              }
            }
            return members.get(0).assignment().size() == 3
                && members.get(1).assignment().size() == 3
                && receivedSinceLeave[0] > 0
                && receivedSinceLeave[1] > 0;
          });
      // Sticky: the survivors kept their own partitions (never revoked) and read them throughout.
      for (int i = 0; i < 2; i++) {
        assertThat(members.get(i).assignment()).containsAll(before.get(i));
      }
      assertThat(listeners.get(0).revoked).hasSize(revocationsBefore0);
      assertThat(listeners.get(1).revoked).hasSize(revocationsBefore1);
    } finally {
      producing.set(false);
      feeder.join(10_000);
    }
    // Drain: every record produced, exactly once across the group.
    int expected = produced.get() * 6;
    within(60)
        .until(
            () -> {
              for (int i = 0; i < 2; i++) {
                seen.get(i).addAll(members.get(i).poll(Duration.ofMillis(50)));
              }
              return seen.stream().mapToInt(List::size).sum() >= expected;
            });
    List<String> all = new ArrayList<>();
    seen.forEach(s -> all.addAll(values(s)));
    assertThat(all).hasSize(expected).doesNotHaveDuplicates();
  }

  @Test
  @Order(2)
  void twoGroupsOnOneTopicEachReadEverything() {
    createTopic("both", 3, 1);
    produce("both", 3, 0, 10);
    LogbusConsumer a = consumer("group-a", "a", true);
    LogbusConsumer b = consumer("group-b", "b", true);
    a.subscribe(List.of("both"));
    b.subscribe(List.of("both"));
    assertThat(read(a, 30, 60)).hasSize(30).doesNotHaveDuplicates();
    assertThat(read(b, 30, 60)).hasSize(30).doesNotHaveDuplicates();
  }

  @Test
  @Order(3)
  void aRestartedConsumerResumesAfterTheLastCommitAndAResetToEarliestRereadsEverything() {
    createTopic("resume", 2, 1);
    produce("resume", 2, 0, 10);
    LogbusConsumer first = consumer("resumers", "first", false);
    first.subscribe(List.of("resume"));
    assertThat(read(first, 20, 60)).hasSize(20);
    first.commitSync();
    first.close();

    produce("resume", 2, 10, 15);
    LogbusConsumer second = consumer("resumers", "second", false);
    second.subscribe(List.of("resume"));
    List<String> resumed = read(second, 10, 60);
    resumed.addAll(values(second.poll(Duration.ofMillis(500))));
    assertThat(resumed).hasSize(10).allMatch(v -> Integer.parseInt(v.split(":")[1]) >= 10);
    second.close();

    List<OffsetResetResult> reset =
        Futures.get(
            admin.resetOffsets(
                "resumers", "resume", null, new OffsetResetSpec.ToEarliest(), false));
    assertThat(reset).extracting(OffsetResetResult::newOffset).containsOnly(0L);
    LogbusConsumer third = consumer("resumers", "third", false);
    third.subscribe(List.of("resume"));
    assertThat(read(third, 30, 60)).hasSize(30).doesNotHaveDuplicates();
  }

  /** The node coordinating the group, asked of any live node until it names one that fits. */
  private static int coordinatorOf(String group, java.util.function.IntPredicate fits) {
    int[] found = {-1};
    int any = cluster.nodes().iterator().next().id();
    ManagedChannel channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", cluster.node(any).port())
            .usePlaintext()
            .build();
    try {
      within(60)
          .until(
              () -> {
                FindCoordinatorResponse r =
                    GroupServiceGrpc.newBlockingStub(channel)
                        .findCoordinator(
                            FindCoordinatorRequest.newBuilder().setGroupId(group).build());
                found[0] = r.getNodeId();
                return r.getError() == ErrorCode.NONE && fits.test(r.getNodeId());
              });
    } finally {
      channel.shutdownNow();
    }
    return found[0];
  }

  @Test
  @Order(4)
  void committedOffsetsSurviveTheCoordinatorsBrokerAndTheGroupResumesOnTheNewOne() {
    createTopic("failover", 6, 3);
    produce("failover", 6, 0, 50);
    LogbusConsumer c = consumer("failover-group", "c", false);
    c.subscribe(List.of("failover"));
    Set<String> seen = new TreeSet<>();
    within(60)
        .until(
            () -> {
              seen.addAll(values(c.poll(Duration.ofMillis(50))));
              c.commitSync();
              return seen.size() >= 150;
            });
    Set<TopicPartition> partitions = new HashSet<>();
    for (int p = 0; p < 6; p++) {
      partitions.add(new TopicPartition("failover", p));
    }
    Map<TopicPartition, Long> committedBefore = new HashMap<>(c.committed(partitions));
    assertThat(committedBefore.values().stream().mapToLong(Long::longValue).sum())
        .isEqualTo(seen.size());

    int coordinator = coordinatorOf("failover-group", id -> true);
    int epochBefore = c.memberEpoch();
    cluster.kill(coordinator);
    // The survivors name a new coordinator once the dead broker's leaderships moved.
    coordinatorOf("failover-group", id -> id != coordinator);
    assertThat(c.committed(partitions))
        .as("read back from the new coordinator")
        .isEqualTo(committedBefore);

    explained(
        90,
        () -> seen.size() + " seen; " + state("failover-group", List.of(c)),
        () -> {
          seen.addAll(values(c.poll(Duration.ofMillis(50))));
          c.commitSync();
          return seen.size() == 300;
        });
    Map<TopicPartition, Long> end = Futures.get(admin.listCommittedOffsets("failover-group"));
    assertThat(end).hasSize(6).allSatisfy((tp, offset) -> assertThat(offset).isEqualTo(50L));
    assertThat(c.memberEpoch()).isGreaterThanOrEqualTo(epochBefore).isPositive();
  }
}
