package io.logbus.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.logbus.client.testing.FakeCluster;
import io.logbus.proto.ErrorCode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AdminTest {
  private FakeCluster cluster;
  private LogbusAdmin admin;

  @BeforeEach
  void start() throws Exception {
    cluster = FakeCluster.start(3);
    admin = LogbusAdmin.builder().bootstrapServers(cluster.bootstrap()).apiTimeoutMs(5_000).build();
  }

  @AfterEach
  void stop() {
    admin.close();
    cluster.close();
  }

  @Test
  void createdTopicIsListedAndDescribed() {
    Futures.get(admin.createTopic(new NewTopic("orders", 3, 3, Map.of("retention.ms", "1000"))));
    assertThat(Futures.get(admin.listTopics(false))).containsExactly("orders");
    TopicDescription d = Futures.get(admin.describeTopics(List.of("orders"))).get(0);
    assertThat(d.partitions()).hasSize(3);
    assertThat(d.partitions().get(0).replicas()).hasSize(3);
    assertThat(d.configs()).containsEntry("retention.ms", "1000");
  }

  @Test
  void replicationFactorAboveBrokerCountFailsWithTypedError() {
    assertThatThrownBy(() -> Futures.get(admin.createTopic(new NewTopic("x", 1, 5))))
        .isInstanceOf(ApiException.class)
        .hasMessageContaining("invalid replication factor for x")
        .extracting(e -> ((ApiException) e).code())
        .isEqualTo(ErrorCode.INVALID_REPLICATION_FACTOR);
  }

  @Test
  void describingAnUnknownTopicNamesIt() {
    assertThatThrownBy(() -> Futures.get(admin.describeTopics(List.of("ghost"))))
        .isInstanceOf(ApiException.class)
        .hasMessage("unknown topic ghost");
  }

  @Test
  void deletedTopicIsGone() {
    Futures.get(admin.createTopic(new NewTopic("gone", 1, 1)));
    Futures.get(admin.deleteTopics(List.of("gone")));
    assertThat(Futures.get(admin.listTopics(false))).doesNotContain("gone");
  }

  @Test
  void partitionsGrowAndMayNotShrink() {
    Futures.get(admin.createTopic(new NewTopic("g", 2, 1)));
    Futures.get(admin.createPartitions("g", 4));
    assertThat(Futures.get(admin.describeTopics(List.of("g"))).get(0).partitions()).hasSize(4);
    assertThatThrownBy(() -> Futures.get(admin.createPartitions("g", 1)))
        .isInstanceOf(ApiException.class)
        .hasMessageContaining("invalid partition count");
  }

  @Test
  void configsAreAlteredAndDescribed() {
    Futures.get(admin.createTopic(new NewTopic("c", 1, 1)));
    Futures.get(admin.alterConfigs("c", Map.of("retention.ms", "5"), List.of()));
    assertThat(Futures.get(admin.describeConfigs("c")).explicit())
        .containsEntry("retention.ms", "5");
  }

  @Test
  void clusterDescriptionShowsAStoppedBrokerAsFenced() {
    cluster.stopBroker(2);
    ClusterDescription d = Futures.get(admin.describeCluster());
    assertThat(d.brokers())
        .extracting(ClusterDescription.Broker::fenced)
        .containsExactly(false, true, false);
    assertThat(d.voters()).containsExactly(1, 2, 3);
  }

  @Test
  void unreachableBootstrapFailsFastNamingTheAddress() {
    try (LogbusAdmin dead =
        LogbusAdmin.builder().bootstrapServers("127.0.0.1:1").apiTimeoutMs(60_000).build()) {
      long start = System.nanoTime();
      assertThatThrownBy(() -> Futures.get(dead.listTopics(false)))
          .isInstanceOf(BrokerUnavailableException.class)
          .hasMessageContaining("no broker reachable at 127.0.0.1:1");
      assertThat(System.nanoTime() - start).isLessThan(10_000_000_000L);
    }
  }

  @Test
  void anyLiveBrokerAnswersWhenTheFirstBootstrapIsDown() {
    String bootstrap = cluster.bootstrap();
    cluster.stopBroker(1);
    try (LogbusAdmin a = LogbusAdmin.builder().bootstrapServers(bootstrap).build()) {
      assertThat(Futures.get(a.describeCluster()).quorumLeader()).isEqualTo(1);
    }
  }
}
