package io.logbus.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.logbus.client.testing.FakeCluster;
import io.logbus.client.testing.FakeGroups;
import io.logbus.proto.ErrorCode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The group consumer against the in-process fake coordinator. */
class GroupConsumerTest {
  private FakeCluster cluster;
  private FakeGroups groups;
  private LogbusProducer producer;
  private final List<LogbusConsumer> consumers = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    cluster = FakeCluster.start(3);
    cluster.createTopic("t", 4);
    groups = cluster.groups();
    groups.heartbeatIntervalMs(50);
    producer = LogbusProducer.builder().bootstrapServers(cluster.bootstrap()).lingerMs(0).build();
  }

  @AfterEach
  void stop() {
    consumers.forEach(LogbusConsumer::close);
    producer.close(Duration.ofSeconds(5));
    cluster.close();
  }

  private LogbusConsumer.Builder builder(String clientId) {
    return LogbusConsumer.builder()
        .bootstrapServers(cluster.bootstrap())
        .clientId(clientId)
        .groupId("g")
        .fetchMaxWaitMs(50)
        .retryBackoffMs(20)
        .autoOffsetReset(OffsetResetStrategy.EARLIEST);
  }

  private LogbusConsumer consumer(LogbusConsumer.Builder b) {
    LogbusConsumer c = b.build();
    consumers.add(c);
    return c;
  }

  private void produce(int perPartition) {
    for (int p = 0; p < 4; p++) {
      for (int i = 0; i < perPartition; i++) {
        producer.send(new ProducerRecord("t", p, null, ("p" + p + "-" + i).getBytes(UTF_8)));
      }
    }
    producer.flush();
  }

  /** Awaitility on the test thread: the consumer is used by one thread only. */
  private static org.awaitility.core.ConditionFactory within() {
    return await().atMost(Duration.ofSeconds(20)).pollInSameThread();
  }

  /** Polls until n records came (bounded); returns their values. */
  private static List<String> consume(LogbusConsumer c, int n) {
    List<String> out = new ArrayList<>();
    within()
        .until(
            () -> {
              for (ConsumerRecord r : c.poll(Duration.ofMillis(100))) {
                out.add(new String(r.value(), UTF_8));
              }
              return out.size() >= n;
            });
    return out;
  }

  /** Records what the listener heard, in order. */
  private static final class Recorder implements ConsumerRebalanceListener {
    final List<String> events = new CopyOnWriteArrayList<>();

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      events.add("revoked " + partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      events.add("assigned " + partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      events.add("lost " + partitions);
    }
  }

  @Test
  void aSubscribedConsumerJoinsGetsEveryPartitionAndReadsThemAll() {
    produce(3);
    LogbusConsumer c = consumer(builder("c1"));
    Recorder listener = new Recorder();
    c.subscribe(List.of("t"), listener);
    assertThat(c.subscription()).containsExactly("t");
    assertThat(consume(c, 12)).hasSize(12).doesNotHaveDuplicates();
    assertThat(c.memberId()).isNotEmpty();
    assertThat(c.memberEpoch()).isPositive();
    assertThat(c.assignment()).hasSize(4);
    assertThat(listener.events).containsExactly("assigned [t-0, t-1, t-2, t-3]");
  }

  @Test
  void aSecondMemberTakesHalfAfterTheFirstCommittedAndRevoked() {
    produce(5);
    LogbusConsumer c1 = consumer(builder("c1"));
    Recorder l1 = new Recorder();
    c1.subscribe(List.of("t"), l1);
    assertThat(consume(c1, 20)).hasSize(20);
    LogbusConsumer c2 = consumer(builder("c2"));
    c2.subscribe(List.of("t"));
    within()
        .until(
            () -> {
              c1.poll(Duration.ofMillis(20));
              c2.poll(Duration.ofMillis(20));
              return c1.assignment().size() == 2 && c2.assignment().size() == 2;
            });
    assertThat(l1.events.get(1)).startsWith("revoked");
    // The auto commit before the release: c2 starts where c1 stopped, so it reads nothing old.
    Map<String, Long> committed = groups.committed("g");
    for (TopicPartition tp : c2.assignment()) {
      assertThat(committed).containsEntry(tp.toString(), 5L);
    }
    assertThat(c2.poll(Duration.ofMillis(200))).isEmpty();
  }

  @Test
  void commitSyncIsReadBackAndARestartedConsumerResumesAfterIt() {
    produce(4);
    LogbusConsumer c1 = consumer(builder("c1").enableAutoCommit(false));
    c1.subscribe(List.of("t"));
    consume(c1, 16);
    c1.commitSync(Map.of(new TopicPartition("t", 0), 2L));
    assertThat(c1.committed(Set.of(new TopicPartition("t", 0), new TopicPartition("t", 1))))
        .isEqualTo(Map.of(new TopicPartition("t", 0), 2L));
    c1.close();
    LogbusConsumer c2 = consumer(builder("c2"));
    c2.subscribe(List.of("t"));
    // Partition 0 resumes at 2; the others have no commit and reset to earliest.
    assertThat(consume(c2, 14)).hasSize(14).doesNotContain("p0-0", "p0-1").contains("p0-2");
  }

  @Test
  void closeCommitsThePositionsAndLeavesTheGroup() {
    produce(2);
    LogbusConsumer c = consumer(builder("c1"));
    c.subscribe(List.of("t"));
    consume(c, 8);
    assertThat(groups.members("g")).hasSize(1);
    c.close();
    assertThat(groups.members("g")).isEmpty();
    assertThat(groups.committed("g"))
        .containsOnlyKeys("t-0", "t-1", "t-2", "t-3")
        .containsValue(2L);
    assertThat(groups.committed("g").values()).containsOnly(2L);
  }

  @Test
  void unsubscribeRevokesThroughTheListenerAndLeaves() {
    LogbusConsumer c = consumer(builder("c1"));
    Recorder listener = new Recorder();
    c.subscribe(List.of("t"), listener);
    within().until(() -> !c.poll(Duration.ofMillis(20)).isEmpty() || c.assignment().size() == 4);
    c.unsubscribe();
    assertThat(listener.events).last().isEqualTo("revoked [t-0, t-1, t-2, t-3]");
    assertThat(c.assignment()).isEmpty();
    assertThat(c.subscription()).isEmpty();
    assertThat(groups.members("g")).isEmpty();
  }

  @Test
  void aFencedMemberHearsOfLostPartitionsAndRejoins() {
    LogbusConsumer c = consumer(builder("c1"));
    Recorder listener = new Recorder();
    c.subscribe(List.of("t"), listener);
    within().until(() -> poll(c) && c.assignment().size() == 4);
    String member = c.memberId();
    groups.expireMember("g", member);
    within()
        .until(
            () ->
                poll(c)
                    && listener.events.contains("lost [t-0, t-1, t-2, t-3]")
                    && c.assignment().size() == 4);
    assertThat(listener.events)
        .endsWith("lost [t-0, t-1, t-2, t-3]", "assigned [t-0, t-1, t-2, t-3]");
    assertThat(groups.members("g")).containsExactly(member);
  }

  private static boolean poll(LogbusConsumer c) {
    c.poll(Duration.ofMillis(20));
    return true;
  }

  @Test
  void heartbeatsFollowAMovedCoordinator() {
    LogbusConsumer c = consumer(builder("c1"));
    c.subscribe(List.of("t"));
    within().until(() -> poll(c) && c.assignment().size() == 4);
    int before = groups.coordinator("g");
    groups.moveCoordinator("g", before % 3 + 1);
    int beats = groups.heartbeats();
    within().until(() -> groups.heartbeats() > beats + 3);
    c.commitSync();
    assertThat(groups.members("g")).hasSize(1);
    assertThat(c.assignment()).hasSize(4);
  }

  @Test
  void heartbeatsContinueWhileTheApplicationDoesNotPoll() {
    LogbusConsumer c = consumer(builder("c1"));
    c.subscribe(List.of("t"));
    within().until(() -> poll(c) && c.assignment().size() == 4);
    int beats = groups.heartbeats();
    within().until(() -> groups.heartbeats() >= beats + 5);
  }

  @Test
  void commitAsyncCallbackRunsInsideALaterPoll() {
    produce(1);
    LogbusConsumer c = consumer(builder("c1").enableAutoCommit(false));
    c.subscribe(List.of("t"));
    consume(c, 4);
    AtomicReference<Map<TopicPartition, Long>> done = new AtomicReference<>();
    Thread app = Thread.currentThread();
    AtomicReference<Thread> ranOn = new AtomicReference<>();
    c.commitAsync(
        (offsets, error) -> {
          assertThat(error).isNull();
          ranOn.set(Thread.currentThread());
          done.set(offsets);
        });
    within().until(() -> poll(c) && done.get() != null);
    assertThat(ranOn.get()).isSameAs(app);
    assertThat(done.get()).hasSize(4).containsValue(1L);
  }

  @Test
  void aCommitWithAStaleEpochFailsWithTheTypedError() {
    LogbusConsumer c = consumer(builder("c1").enableAutoCommit(false));
    c.subscribe(List.of("t"));
    within().until(() -> poll(c) && c.assignment().size() == 4);
    groups.failNext("commit", ErrorCode.FENCED_MEMBER_EPOCH);
    assertThatThrownBy(() -> c.commitSync(Map.of(new TopicPartition("t", 0), 1L)))
        .isInstanceOf(ApiException.class)
        .extracting(e -> ((ApiException) e).code())
        .isEqualTo(ErrorCode.FENCED_MEMBER_EPOCH);
  }

  @Test
  void commitSyncRetriesWhileTheCoordinatorLoads() {
    LogbusConsumer c = consumer(builder("c1").enableAutoCommit(false));
    c.subscribe(List.of("t"));
    within().until(() -> poll(c) && c.assignment().size() == 4);
    groups.failNext("commit", ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.NOT_COORDINATOR);
    c.commitSync(Map.of(new TopicPartition("t", 0), 1L));
    assertThat(groups.committed("g")).containsEntry("t-0", 1L);
  }

  @Test
  void autoOffsetResetNoneFailsPollForAPartitionWithoutCommit() {
    LogbusConsumer c = consumer(builder("c1").autoOffsetReset(OffsetResetStrategy.NONE));
    c.subscribe(List.of("t"));
    assertThatThrownBy(() -> within().until(() -> poll(c) && false))
        .isInstanceOf(NoOffsetForPartitionException.class)
        .hasMessageContaining("t-0");
  }

  @Test
  void badGroupSettingsAreRefusedNamingTheKey() {
    assertThatThrownBy(() -> builder("c").groupId(" ").build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("group.id");
    assertThatThrownBy(() -> builder("c").autoCommitIntervalMs(-1).build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("auto.commit.interval.ms");
    assertThatThrownBy(() -> builder("c").sessionTimeoutMs(0).build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("session.timeout.ms");
    assertThatThrownBy(() -> builder("c").groupRemoteAssignor("sticky").build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("group.remote.assignor");
    assertThatThrownBy(() -> builder("c").groupId(null).enableAutoCommit(true).build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("enable.auto.commit");
  }

  @Test
  void groupCallsWithoutAGroupIdAreRefused() {
    LogbusConsumer c = consumer(builder("c").groupId(null));
    assertThatThrownBy(() -> c.subscribe(List.of("t")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("group.id");
    assertThatThrownBy(c::commitSync).isInstanceOf(ConfigException.class);
    assertThatThrownBy(() -> c.commitAsync()).isInstanceOf(ConfigException.class);
    assertThatThrownBy(() -> c.committed(Set.of(new TopicPartition("t", 0))))
        .isInstanceOf(ConfigException.class);
    assertThat(c.memberId()).isEmpty();
    assertThat(c.memberEpoch()).isEqualTo(-1);
  }

  @Test
  void badSubscriptionsAreRefused() {
    LogbusConsumer c = consumer(builder("c"));
    assertThatThrownBy(() -> c.subscribe(List.of())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> c.subscribe(List.of("t", " ")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("blank topic");
    assertThatThrownBy(() -> c.subscribe(null)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> c.commitSync(Map.of(new TopicPartition("t", 0), -1L)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(c.subscription()).isEmpty();
  }

  @Test
  void assignAndSubscribeDoNotMix() {
    LogbusConsumer assigned = consumer(builder("a"));
    assigned.assign(List.of(new TopicPartition("t", 0)));
    assertThatThrownBy(() -> assigned.subscribe(List.of("t")))
        .isInstanceOf(IllegalStateException.class);
    LogbusConsumer subscribed = consumer(builder("s"));
    subscribed.subscribe(List.of("t"));
    assertThatThrownBy(() -> subscribed.assign(List.of(new TopicPartition("t", 0))))
        .isInstanceOf(IllegalStateException.class);
  }
}
