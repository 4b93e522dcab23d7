package io.logbus.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LogConfigTest {
  @Test
  void defaultsRoundTripThroughTheMap() {
    LogConfig d = LogConfig.defaults();
    assertThat(LogConfig.fromMap(d.toMap(), LogConfig.defaults())).isEqualTo(d);
    assertThat(d.flush()).isEqualTo(LogConfig.FlushPolicy.GROUP);
    assertThat(d.cleanupPolicy()).isEqualTo(LogConfig.CleanupPolicy.DELETE);
  }

  @Test
  void overridesApplyOnTopOfTheBase() {
    LogConfig c =
        LogConfig.fromMap(
            Map.of(
                "segment.bytes", "1024",
                "cleanup.policy", "compact",
                "flush", "never",
                "message.timestamp.type", "LogAppendTime",
                "min.cleanable.dirty.ratio", "0.2",
                "unclean.leader.election.enable", "true"),
            LogConfig.defaults());
    assertThat(c.segmentBytes()).isEqualTo(1024);
    assertThat(c.cleanupPolicy()).isEqualTo(LogConfig.CleanupPolicy.COMPACT);
    assertThat(c.flush()).isEqualTo(LogConfig.FlushPolicy.NEVER);
    assertThat(c.messageTimestampType()).isEqualTo(LogConfig.MessageTimestampType.LOG_APPEND_TIME);
    assertThat(c.minCleanableDirtyRatio()).isEqualTo(0.2);
    assertThat(c.uncleanLeaderElectionEnable()).isTrue();
    assertThat(c.retentionMs()).isEqualTo(LogConfig.defaults().retentionMs());
  }

  @ParameterizedTest
  @CsvSource({
    "segment.bytes, 10",
    "segment.bytes, abc",
    "segment.bytes, 3000000000",
    "segment.ms, 0",
    "index.interval.bytes, -1",
    "segment.index.bytes, 4",
    "retention.ms, -2",
    "retention.bytes, -5",
    "cleanup.policy, shred",
    "delete.retention.ms, -1",
    "min.cleanable.dirty.ratio, 1.5",
    "min.cleanable.dirty.ratio, NaN",
    "max.message.bytes, -1",
    "flush, always",
    "message.timestamp.type, Now",
    "min.insync.replicas, 0",
    "unclean.leader.election.enable, yes",
    "compression.type, brotli",
    "producer.id.expiration.ms, 0",
    "producer.id.expiration.ms, -1",
    "producer.id.expiration.ms, 1d",
    "no.such.key, 1"
  })
  void wrongValuesAreRejectedNamingKeyAndValue(String key, String value) {
    Map<String, String> m = new HashMap<>();
    m.put(key, value);
    assertThatThrownBy(() -> LogConfig.fromMap(m, LogConfig.defaults()))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining(key);
  }

  @Test
  void producerIdExpirationDefaultsToKafkasDayAndRejectsBadValuesByName() {
    assertThat(LogConfig.defaults().producerIdExpirationMs()).isEqualTo(86_400_000L);
    assertThat(
            LogConfig.defaults()
                .with(LogConfig.PRODUCER_ID_EXPIRATION_MS, "60000")
                .producerIdExpirationMs())
        .isEqualTo(60_000L);
    assertThatThrownBy(() -> LogConfig.defaults().with(LogConfig.PRODUCER_ID_EXPIRATION_MS, "0"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("producer.id.expiration.ms=0");
    assertThatThrownBy(() -> LogConfig.defaults().with(LogConfig.PRODUCER_ID_EXPIRATION_MS, "soon"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("producer.id.expiration.ms='soon'");
  }

  @Test
  void nullValueIsRejected() {
    Map<String, String> m = new HashMap<>();
    m.put("segment.bytes", null);
    assertThatThrownBy(() -> LogConfig.fromMap(m, LogConfig.defaults()))
        .isInstanceOf(InvalidConfigException.class);
  }
}
