package io.logbus.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BrokerConfigTest {
  @TempDir Path dir;

  private static Properties minimal() {
    Properties p = new Properties();
    p.setProperty("node.id", "2");
    p.setProperty("data.dir", "/tmp/logbus-2");
    return p;
  }

  @Test
  void readsEveryKeyFromAPropertiesFile() throws Exception {
    Path file = dir.resolve("node.properties");
    Files.writeString(
        file,
        String.join(
            "\n",
            "node.id=1",
            "data.dir=" + dir.resolve("data"),
            "listeners=127.0.0.1:19091",
            "quorum.voters=1@127.0.0.1:19191,2@127.0.0.1:19192,3@127.0.0.1:19193",
            "http.port=19291",
            "replica.lag.time.max.ms=5000",
            "log.segment.bytes=1048576",
            "log.flush=never"));
    BrokerConfig config = BrokerConfig.load(file);
    assertThat(config.nodeId()).isEqualTo(1);
    assertThat(config.host()).isEqualTo("127.0.0.1");
    assertThat(config.port()).isEqualTo(19091);
    assertThat(config.quorumVoters()).hasSize(3).containsEntry(2, "127.0.0.1:19192");
    assertThat(config.httpPort()).isEqualTo(19291);
    assertThat(config.replicaLagTimeMaxMs()).isEqualTo(5000);
    assertThat(config.topicDefaults())
        .containsEntry("segment.bytes", "1048576")
        .containsEntry("flush", "never");
    assertThat(config.logsDir()).isEqualTo(dir.resolve("data").resolve("logs"));
  }

  @Test
  void defaultsApplyToUnsetKeys() {
    BrokerConfig config = BrokerConfig.fromProperties(minimal());
    assertThat(config.replicaLagTimeMaxMs()).isEqualTo(10_000);
    assertThat(config.sessionTimeoutMs()).isEqualTo(6_000);
    assertThat(config.httpPort()).isEqualTo(-1);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "node.id|-1|node.id",
        "node.id|one|node.id",
        "listeners|nohostport|listeners",
        "listeners|127.0.0.1:99999|listeners",
        "quorum.voters|1@a:1,1@b:2|twice",
        "quorum.voters|x@a:1|quorum.voters",
        "quorum.voters|1-a:1|quorum.voters",
        "http.port|-7|http.port",
        "replica.lag.time.max.ms|0|replica.lag.time.max.ms",
        "replica.fetch.max.bytes|-1|replica.fetch.max.bytes",
        "broker.session.timeout.ms|500|broker.session.timeout.ms"
      })
  void badValuesAreRefusedNamingTheKey(String key, String value, String named) {
    Properties p = minimal();
    p.setProperty(key, value);
    assertThatThrownBy(() -> BrokerConfig.fromProperties(p))
        .isInstanceOf(BrokerConfigException.class)
        .hasMessageContaining(named);
  }

  @Test
  void missingRequiredKeysAreNamed() {
    Properties noId = minimal();
    noId.remove("node.id");
    assertThatThrownBy(() -> BrokerConfig.fromProperties(noId)).hasMessageContaining("node.id");
    Properties noDir = minimal();
    noDir.remove("data.dir");
    assertThatThrownBy(() -> BrokerConfig.fromProperties(noDir)).hasMessageContaining("data.dir");
    assertThatThrownBy(() -> BrokerConfig.load(dir.resolve("absent.properties")))
        .isInstanceOf(BrokerConfigException.class)
        .hasMessageContaining("absent.properties");
  }

  @Test
  void builderSetsEveryFieldAndToBuilderKeepsThem() {
    BrokerConfig built =
        BrokerConfig.builder(4, dir, java.util.Map.of(4, "127.0.0.1:9"))
            .listener("10.0.0.4", 7000)
            .httpPort(7001)
            .replicaLagTimeMaxMs(2_000)
            .replicaFetchMaxBytes(4096)
            .timeouts(100, 900)
            .defaultReplicationFactor(3)
            .numPartitions(6)
            .topicDefaults(java.util.Map.of("segment.bytes", "1024"))
            .build();
    assertThat(built)
        .isEqualTo(
            new BrokerConfig(
                4,
                dir,
                "10.0.0.4",
                7000,
                java.util.Map.of(4, "127.0.0.1:9"),
                7001,
                2_000,
                4096,
                100,
                3,
                6,
                900,
                java.util.Map.of("segment.bytes", "1024")));
    assertThat(built.toBuilder().build()).isEqualTo(built);
    assertThat(built.toBuilder().port(0).build().port()).isZero();
    assertThat(built.withPort(0)).isEqualTo(built.toBuilder().port(0).build());
    Properties minimal = new Properties();
    minimal.setProperty("node.id", "4");
    minimal.setProperty("data.dir", dir.toString());
    assertThat(BrokerConfig.of(4, dir, java.util.Map.of()))
        .isEqualTo(BrokerConfig.fromProperties(minimal));
  }

  @Test
  void builderRefusesWrongValuesWhenBuilt() {
    BrokerConfig.Builder b = BrokerConfig.builder(1, dir, java.util.Map.of());
    assertThatThrownBy(() -> BrokerConfig.builder(-1, dir, java.util.Map.of()).build())
        .isInstanceOf(BrokerConfigException.class)
        .hasMessageContaining("node.id");
    assertThatThrownBy(() -> BrokerConfig.builder(1, null, java.util.Map.of()).build())
        .isInstanceOf(BrokerConfigException.class)
        .hasMessageContaining("data.dir");
    assertThatThrownBy(() -> b.timeouts(1_000, 1_000).build())
        .isInstanceOf(BrokerConfigException.class)
        .hasMessageContaining("broker.session.timeout.ms");
    assertThatThrownBy(() -> b.timeouts(100, 1_000).port(70_000).build())
        .isInstanceOf(BrokerConfigException.class)
        .hasMessageContaining("port");
    assertThatThrownBy(() -> b.port(0).httpPort(-2).build())
        .isInstanceOf(BrokerConfigException.class)
        .hasMessageContaining("http.port");
    assertThatThrownBy(() -> b.httpPort(-1).replicaLagTimeMaxMs(0).build())
        .isInstanceOf(BrokerConfigException.class)
        .hasMessageContaining("replica.lag.time.max.ms");
  }
}
