package io.logbus.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class CompressionTypeTest {

  @ParameterizedTest
  @EnumSource(CompressionType.class)
  void idsAndNamesMatchKafka(CompressionType type) {
    org.apache.kafka.common.record.internal.CompressionType kafka =
        org.apache.kafka.common.record.internal.CompressionType.forName(type.name);
    assertThat(kafka.id).isEqualTo((byte) type.id);
    assertThat(CompressionType.forId(type.id)).isEqualTo(type);
    assertThat(CompressionType.forName(type.name.toUpperCase())).isEqualTo(type);
    assertThat(CompressionType.fromAttributes(0x18 | type.id)).isEqualTo(type);
  }

  @ParameterizedTest
  @ValueSource(ints = {5, 6, 7, -1, 8})
  void unknownIdsAreInvalidRecords(int id) {
    assertThatThrownBy(() -> CompressionType.forId(id))
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("unknown compression type id " + id);
  }

  @Test
  void unknownNamesAreCallerErrors() {
    assertThatThrownBy(() -> CompressionType.forName("brotli"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'brotli'");
    assertThatThrownBy(() -> CompressionType.forName(null))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void timestampTypeIsAttributeBitThree() {
    assertThat(TimestampType.fromAttributes(0x08)).isEqualTo(TimestampType.LOG_APPEND_TIME);
    assertThat(TimestampType.fromAttributes(0x07)).isEqualTo(TimestampType.CREATE_TIME);
    assertThat(TimestampType.LOG_APPEND_TIME.applyTo(0x03)).isEqualTo(0x0b);
    assertThat(TimestampType.CREATE_TIME.applyTo(0x0b)).isEqualTo(0x03);
  }
}
