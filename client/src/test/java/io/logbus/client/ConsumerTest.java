package io.logbus.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.logbus.client.testing.FakeCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ConsumerTest {
  private static final TopicPartition P0 = new TopicPartition("t", 0);
  private static final TopicPartition P1 = new TopicPartition("t", 1);

  private FakeCluster cluster;
  private LogbusProducer producer;
  private LogbusConsumer consumer;

  @BeforeEach
  void start() throws Exception {
    cluster = FakeCluster.start(3);
    cluster.createTopic("t", 2);
    producer =
        LogbusProducer.builder()
            .bootstrapServers(cluster.bootstrap())
            .lingerMs(0)
            .retryBackoffMs(10)
            .build();
    consumer =
        LogbusConsumer.builder()
            .bootstrapServers(cluster.bootstrap())
            .fetchMaxWaitMs(50)
            .retryBackoffMs(10)
            .build();
  }

  @AfterEach
  void stop() {
    if (consumer != null) {
      consumer.close();
    }
    if (producer != null) {
      producer.close(Duration.ofSeconds(5));
    }
    cluster.close();
  }

  private void produce(int partition, String... values) {
    for (String v : values) {
      producer.send(new ProducerRecord("t", partition, null, v.getBytes(UTF_8)));
    }
    producer.flush();
  }

  /** Polls until n records came or 10 s passed. */
  private List<String> consume(int n) {
    List<String> out = new ArrayList<>();
    long deadline = System.currentTimeMillis() + 10_000;
    while (out.size() < n && System.currentTimeMillis() < deadline) {
      for (ConsumerRecord r : consumer.poll(Duration.ofMillis(200))) {
        out.add(new String(r.value(), UTF_8));
      }
    }
    return out;
  }

  @Test
  void readsEveryPartitionFromTheBeginningInOffsetOrder() {
    produce(0, "a0", "a1", "a2");
    produce(1, "b0", "b1");
    consumer.assign(List.of(P0, P1));
    consumer.seekToBeginning(List.of(P0, P1));
    List<String> got = consume(5);
    assertThat(got).containsExactlyInAnyOrder("a0", "a1", "a2", "b0", "b1");
    assertThat(got.stream().filter(s -> s.startsWith("a"))).containsExactly("a0", "a1", "a2");
    assertThat(consumer.position(P0)).isEqualTo(3);
    assertThat(consumer.position(P1)).isEqualTo(2);
  }

  @Test
  void seekInsideABatchSkipsTheRecordsBelowIt() {
    producer.close();
    producer =
        LogbusProducer.builder().bootstrapServers(cluster.bootstrap()).lingerMs(1000).build();
    for (int i = 0; i < 10; i++) {
      producer.send(new ProducerRecord("t", 0, null, ("v" + i).getBytes(UTF_8)));
    }
    producer.flush();
    assertThat(cluster.partition("t", 0).batches()).hasSize(1);
    consumer.assign(List.of(P0));
    consumer.seek(P0, 6);
    assertThat(consume(4)).containsExactly("v6", "v7", "v8", "v9");
  }

  @Test
  void followsALeaderChangeWithoutLosingOrRepeatingRecords() {
    produce(0, "a", "b", "c");
    consumer.assign(List.of(P0));
    consumer.seekToBeginning(List.of(P0));
    assertThat(consume(3)).containsExactly("a", "b", "c");
    cluster.moveLeader("t", 0, 3);
    produce(0, "d", "e");
    assertThat(consume(2)).containsExactly("d", "e");
    assertThat(consumer.position(P0)).isEqualTo(5);
  }

  @Test
  void followsTheLeaderWhenTheOldLeaderBrokerDies() {
    produce(0, "a", "b");
    consumer.assign(List.of(P0));
    consumer.seekToBeginning(List.of(P0));
    assertThat(consume(2)).containsExactly("a", "b");
    cluster.stopBroker(1);
    cluster.moveLeader("t", 0, 2);
    produce(0, "c");
    assertThat(consume(1)).containsExactly("c");
  }

  @Test
  void seekToEndReturnsOnlyNewRecords() {
    produce(0, "old");
    consumer.assign(List.of(P0));
    consumer.seekToEnd(List.of(P0));
    assertThat(consumer.position(P0)).isEqualTo(1);
    produce(0, "new");
    assertThat(consume(1)).containsExactly("new");
  }

  @Test
  void pausedPartitionIsNotReturnedUntilResumed() {
    produce(0, "a");
    produce(1, "b");
    consumer.assign(List.of(P0, P1));
    consumer.seekToBeginning(List.of(P0, P1));
    consumer.pause(List.of(P0));
    assertThat(consume(1)).containsExactly("b");
    assertThat(consumer.poll(Duration.ofMillis(100))).isEmpty();
    assertThat(consumer.paused()).containsExactly(P0);
    consumer.resume(List.of(P0));
    assertThat(consume(1)).containsExactly("a");
  }

  @Test
  void outOfRangePositionResetsToEarliestWhenConfigured() {
    consumer.close();
    consumer =
        LogbusConsumer.builder()
            .bootstrapServers(cluster.bootstrap())
            .fetchMaxWaitMs(50)
            .autoOffsetReset(OffsetResetStrategy.EARLIEST)
            .build();
    produce(0, "x", "y");
    consumer.assign(List.of(P0));
    consumer.seek(P0, 100);
    assertThat(consume(2)).containsExactly("x", "y");
  }

  @Test
  void outOfRangeWithResetNoneFailsNamingThePartition() {
    consumer.close();
    consumer =
        LogbusConsumer.builder()
            .bootstrapServers(cluster.bootstrap())
            .autoOffsetReset(OffsetResetStrategy.NONE)
            .build();
    consumer.assign(List.of(P0));
    consumer.seek(P0, 100);
    assertThatThrownBy(() -> consumer.poll(Duration.ofSeconds(2)))
        .isInstanceOf(ApiException.class)
        .hasMessageContaining("t-0");
  }

  @Test
  void pollWithoutAssignmentIsRefused() {
    assertThatThrownBy(() -> consumer.poll(Duration.ZERO))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void negativeSeekIsRefused() {
    consumer.assign(List.of(P0));
    assertThatThrownBy(() -> consumer.seek(P0, -1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void positionOfAnUnassignedPartitionIsRefused() {
    consumer.assign(List.of(P0));
    assertThatThrownBy(() -> consumer.position(P1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("t-1");
  }

  @Test
  void endOffsetsOfUnknownTopicFail() {
    consumer.assign(Set.of(new TopicPartition("missing", 0)));
    assertThatThrownBy(() -> consumer.endOffsets(List.of(new TopicPartition("missing", 0))))
        .isInstanceOf(ApiException.class)
        .hasMessageContaining("unknown topic missing");
  }

  @Test
  void endAndBeginningOffsetsComeFromTheLeader() {
    produce(1, "a", "b", "c");
    assertThat(consumer.endOffsets(List.of(P1))).containsEntry(P1, 3L);
    assertThat(consumer.beginningOffsets(List.of(P1))).containsEntry(P1, 0L);
  }
}
