package io.logbus.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import io.logbus.proto.metadata.BrokerRegistrationRequest;
import io.logbus.proto.metadata.Endpoint;
import io.logbus.proto.metadata.MetadataRecord;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A broker that restarts faster than its session timeout registers a new incarnation while the old
 * one is still unfenced. The old incarnation must be fenced in the same batch: otherwise the
 * restarted broker would lead again at the epoch it held before the crash, and followers would
 * truncate acknowledged records to match its shorter (torn) log.
 */
class BrokerReregistrationTest {
  private static MetadataImage imageWithTopicLedBy1() {
    ImageBuilder b = new ImageBuilder(MetadataImage.EMPTY);
    b.apply(ClusterStateTest.register(1));
    b.apply(ClusterStateTest.register(2));
    b.apply(ClusterStateTest.createTopic("orders", UUID.randomUUID(), 1));
    return b.build(3, 1);
  }

  private static BrokerRegistrationRequest registration(int id, String incarnation) {
    return BrokerRegistrationRequest.newBuilder()
        .setBrokerId(id)
        .addEndpoints(Endpoint.newBuilder().setHost("h" + id).setPort(9000 + id))
        .setIncarnationId(incarnation)
        .build();
  }

  private static MetadataImage apply(MetadataImage view, List<MetadataRecord> records) {
    ImageBuilder b = new ImageBuilder(view);
    records.forEach(b::apply);
    return b.build(view.lastAppliedIndex() + 1, 1);
  }

  @Test
  void newIncarnationOfALiveBrokerMovesLeadershipToANewEpoch() {
    MetadataImage before = imageWithTopicLedBy1();
    PartitionState old = before.topics().get("orders").partition(0);
    assertThat(old.leader()).isEqualTo(1);

    Decision decision = BrokerRequests.register(before, registration(1, "restarted"));
    MetadataImage after = apply(before, decision.records());

    PartitionState now = after.topics().get("orders").partition(0);
    assertThat(decision.records().get(0).hasFenceBroker()).isTrue();
    assertThat(now.leaderEpoch()).isGreaterThan(old.leaderEpoch());
    assertThat(now.leader()).isEqualTo(2);
    assertThat(now.isr()).doesNotContain(1);
    assertThat(after.brokers().get(1).incarnationId()).isEqualTo("restarted");
    assertThat(after.brokers().get(1).fenced()).isFalse();
  }

  @Test
  void retryOfTheSameIncarnationLogsNothing() {
    MetadataImage before = imageWithTopicLedBy1();

    Decision decision = BrokerRequests.register(before, registration(1, "inc1"));

    assertThat(decision.records()).isEmpty();
  }
}
