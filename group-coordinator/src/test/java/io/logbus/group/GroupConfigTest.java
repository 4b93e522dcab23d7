package io.logbus.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GroupConfigTest {

  @Test
  void propertiesOverrideTheDefaultsAndOtherKeysAreIgnored() {
    GroupConfig c =
        GroupConfig.fromProperties(
            Map.of(
                "offsets.topic.num.partitions", "50",
                "offsets.retention.minutes", "10",
                "group.consumer.assignor", "range",
                "node.id", "3"));
    assertThat(c.offsetsTopicPartitions()).isEqualTo(50);
    assertThat(c.offsetsRetentionMs()).isEqualTo(600_000);
    assertThat(c.defaultAssignor()).isEqualTo("range");
    assertThat(c.sessionTimeoutMs()).isEqualTo(GroupConfig.defaults().sessionTimeoutMs());
    assertThat(GroupConfig.fromProperties(Map.of())).isEqualTo(GroupConfig.defaults());
  }

  @ParameterizedTest
  @CsvSource({
    "offsets.topic.num.partitions, 0",
    "offsets.topic.num.partitions, -4",
    "offsets.topic.num.partitions, many",
    "offsets.topic.num.partitions, 99999999999",
    "group.consumer.session.timeout.ms, 0",
    "group.consumer.heartbeat.interval.ms, x",
    "offsets.retention.minutes, 0",
    "group.consumer.assignor, sticky",
    "group.consumer.max.size, 0"
  })
  void badValuesAreRefusedNamingTheProblem(String key, String value) {
    assertThatThrownBy(() -> GroupConfig.fromProperties(Map.of(key, value)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aBadNumberNamesItsKeyAndValue() {
    assertThatThrownBy(
            () -> GroupConfig.fromProperties(Map.of("offsets.retention.minutes", "soon")))
        .hasMessage("offsets.retention.minutes=soon is not a valid number");
  }
}
