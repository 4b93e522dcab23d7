package io.logbus.record;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.apache.kafka.common.utils.internals.ByteUtils;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Our varints against Kafka's ByteUtils: same sizes, same bytes, and our reader decodes them. */
class VarintsTest {

  @ParameterizedTest
  @ValueSource(
      ints = {0, 1, -1, 63, 64, -64, -65, 8191, 8192, Integer.MAX_VALUE, Integer.MIN_VALUE})
  void varintBoundariesMatchKafka(int value) {
    assertVarintMatchesKafka(value);
  }

  @ParameterizedTest
  @ValueSource(longs = {0L, 1L, -1L, 63L, 64L, -65L, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 35})
  void varlongBoundariesMatchKafka(long value) {
    assertVarlongMatchesKafka(value);
  }

  @Property(tries = 500)
  void anyVarintMatchesKafka(@ForAll int value) {
    assertVarintMatchesKafka(value);
  }

  @Property(tries = 500)
  void anyVarlongMatchesKafka(@ForAll long value) {
    assertVarlongMatchesKafka(value);
  }

  private static void assertVarintMatchesKafka(int value) {
    ByteBuffer ours = ByteBuffer.allocate(5);
    Varints.writeVarint(value, ours);
    ByteBuffer kafka = ByteBuffer.allocate(5);
    ByteUtils.writeVarint(value, kafka);
    assertThat(Arrays.copyOf(ours.array(), ours.position()))
        .isEqualTo(Arrays.copyOf(kafka.array(), kafka.position()));
    assertThat(Varints.sizeOfVarint(value))
        .isEqualTo(ByteUtils.sizeOfVarint(value))
        .isEqualTo(ours.position());
    RecordDecoder.Cursor cursor = new RecordDecoder.Cursor(ours, 0, ours.position());
    assertThat(cursor.readVarint()).isEqualTo(value);
    assertThat(cursor.position).isEqualTo(ours.position());
  }

  private static void assertVarlongMatchesKafka(long value) {
    ByteBuffer ours = ByteBuffer.allocate(10);
    Varints.writeVarlong(value, ours);
    ByteBuffer kafka = ByteBuffer.allocate(10);
    ByteUtils.writeVarlong(value, kafka);
    assertThat(Arrays.copyOf(ours.array(), ours.position()))
        .isEqualTo(Arrays.copyOf(kafka.array(), kafka.position()));
    assertThat(Varints.sizeOfVarlong(value))
        .isEqualTo(ByteUtils.sizeOfVarlong(value))
        .isEqualTo(ours.position());
    RecordDecoder.Cursor cursor = new RecordDecoder.Cursor(ours, 0, ours.position());
    assertThat(cursor.readVarlong()).isEqualTo(value);
  }
}
