package io.logbus.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigValidationTest {

  static Stream<Arguments> badProducerSettings() {
    return Stream.of(
        bad("acks", b -> b.acks("2")),
        bad("batch.size", b -> b.batchSize(0)),
        bad("linger.ms", b -> b.lingerMs(-1)),
        bad("buffer.memory", b -> b.bufferMemory(0)),
        bad("max.block.ms", b -> b.maxBlockMs(-5)),
        bad("retries", b -> b.retries(-1)),
        bad("request.timeout.ms", b -> b.requestTimeoutMs(0)),
        bad("delivery.timeout.ms", b -> b.deliveryTimeoutMs(10).requestTimeoutMs(30_000)),
        bad("compression.type", b -> b.compression("brotli")),
        bad("acks", b -> b.acks("1").idempotence(true)),
        bad("max.in.flight", b -> b.maxInFlightPerPartition(6).idempotence(true)),
        bad("bootstrap.servers", b -> b.bootstrapServers("localhost")),
        bad("bootstrap.servers", b -> b.bootstrapServers("h:notaport")),
        bad("bootstrap.servers", b -> b.bootstrapServers("h:70000")),
        bad("bootstrap.servers", b -> b.bootstrapServers("")));
  }

  private static Arguments bad(String key, Consumer<LogbusProducer.Builder> change) {
    return Arguments.of(key, change);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badProducerSettings")
  void producerRejectsBadValueNamingTheKey(String key, Consumer<LogbusProducer.Builder> change) {
    LogbusProducer.Builder b = LogbusProducer.builder().bootstrapServers("127.0.0.1:1");
    assertThatThrownBy(
            () -> {
              change.accept(b);
              b.toConfig();
            })
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(key);
  }

  @Test
  void producerDefaultsAreKafkasWithIdempotenceOn() {
    ProducerConfig c = LogbusProducer.builder().bootstrapServers("127.0.0.1:1").toConfig();
    assertThat(c.acks()).isEqualTo(-1);
    assertThat(c.idempotence()).isTrue();
    assertThat(c.batchSize()).isEqualTo(16_384);
    assertThat(c.deliveryTimeoutMs()).isEqualTo(120_000);
  }

  @Test
  void acksOneTurnsDefaultIdempotenceOff() {
    ProducerConfig c = LogbusProducer.builder().bootstrapServers("h:1").acks("1").toConfig();
    assertThat(c.idempotence()).isFalse();
    assertThat(c.acks()).isEqualTo(1);
  }

  @Test
  void producerWithoutBootstrapIsRejected() {
    assertThatThrownBy(() -> LogbusProducer.builder().toConfig())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("bootstrap.servers");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1})
  void consumerRejectsNonPositiveMaxPollRecords(int n) {
    assertThatThrownBy(
            () -> LogbusConsumer.builder().bootstrapServers("h:1").maxPollRecords(n).build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("max.poll.records");
  }

  @Test
  void consumerRejectsFetchWaitAboveRequestTimeout() {
    assertThatThrownBy(
            () ->
                LogbusConsumer.builder()
                    .bootstrapServers("h:1")
                    .fetchMaxWaitMs(5000)
                    .requestTimeoutMs(1000)
                    .build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("fetch.max.wait.ms");
  }

  @Test
  void adminRejectsZeroTimeout() {
    assertThatThrownBy(
            () -> LogbusAdmin.builder().bootstrapServers("h:1").requestTimeoutMs(0).build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("request.timeout.ms");
  }

  @Test
  void recordWithNegativePartitionIsRefused() {
    assertThatThrownBy(() -> new ProducerRecord("t", -1, null, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("partition -1");
  }

  @Test
  void recordWithNegativeTimestampIsRefused() {
    assertThatThrownBy(() -> new ProducerRecord("t", null, -5L, null, null, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("timestamp -5");
  }

  @Test
  void recordWithoutTopicIsRefused() {
    assertThatThrownBy(() -> ProducerRecord.of(null, "k", "v"))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("topic");
  }

  @Test
  void topicPartitionWithNegativePartitionIsRefused() {
    assertThatThrownBy(() -> new TopicPartition("t", -2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-2");
  }

  @Test
  void bootstrapListParsesSeveralHostsAndIpv6() {
    assertThat(HostPort.parseList("b", "a:1, b:2,[::1]:3"))
        .containsExactly(new HostPort("a", 1), new HostPort("b", 2), new HostPort("::1", 3));
  }
}
