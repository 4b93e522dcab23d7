package io.logbus.record;

import static org.assertj.core.api.Assertions.assertThat;

import io.logbus.record.KafkaInterop.Input;
import java.nio.ByteBuffer;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * Random records (null and non-null keys and values, random headers, unordered timestamps) survive
 * builder -> bytes -> reader for every codec, and Kafka's parser agrees on the same bytes.
 */
class RecordRoundTripPropertyTest {

  @Property(tries = 300)
  void randomRecordsRoundTripThroughEveryCodec(
      @ForAll CompressionType codec,
      @ForAll("records") List<Input> inputs,
      @ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 2) long baseOffset,
      @ForAll @IntRange(min = -1, max = 1000) int leaderEpoch) {
    RecordBatchBuilder builder =
        new RecordBatchBuilder(codec, baseOffset, 64).partitionLeaderEpoch(leaderEpoch);
    ByteBuffer bytes = KafkaInterop.ourBatch(builder, inputs);

    RecordBatch batch = RecordBatches.validate(bytes).get(0);
    assertThat(batch.recordCount()).isEqualTo(inputs.size());
    assertThat(batch.partitionLeaderEpoch()).isEqualTo(leaderEpoch);
    assertThat(batch.maxTimestamp())
        .isEqualTo(inputs.stream().mapToLong(Input::timestamp).max().orElseThrow());
    KafkaInterop.assertWeSee(batch, baseOffset, inputs);
    KafkaInterop.assertKafkaSees(bytes, baseOffset, inputs);
  }

  @Property(tries = 100)
  void kafkaBuiltBatchesReadBackForEveryCodec(
      @ForAll CompressionType codec, @ForAll("records") List<Input> inputs) {
    ByteBuffer bytes = KafkaInterop.kafkaBatch(codec, 3L, 9L, (short) 1, 0, 2, inputs);
    RecordBatch batch = RecordBatches.validate(bytes).get(0);
    assertThat(batch.lastSequence()).isEqualTo(inputs.size() - 1);
    KafkaInterop.assertWeSee(batch, 3L, inputs);
  }

  @Provide
  Arbitrary<List<Input>> records() {
    Arbitrary<byte[]> keys = bytes(64).injectNull(0.2);
    Arbitrary<byte[]> values = bytes(300).injectNull(0.2);
    Arbitrary<Long> timestamps =
        Arbitraries.oneOf(Arbitraries.just(-1L), Arbitraries.longs().between(0L, 1L << 50));
    Arbitrary<String> headerKeys =
        Arbitraries.strings()
            .withCharRange('a', 'z')
            .withCharRange('\u00e0', '\u00ff')
            .withCharRange('\u4e00', '\u4e20')
            .ofMinLength(0)
            .ofMaxLength(12);
    Arbitrary<Header> headers =
        Combinators.combine(headerKeys, bytes(40).injectNull(0.3)).as(Header::new);
    Arbitrary<List<Header>> headerLists = headers.list().ofMaxSize(4);
    return Combinators.combine(timestamps, keys, values, headerLists)
        .as(Input::new)
        .list()
        .ofMinSize(1)
        .ofMaxSize(40);
  }

  private static Arbitrary<byte[]> bytes(int maxLength) {
    return Arbitraries.bytes().array(byte[].class).ofMaxSize(maxLength);
  }
}
