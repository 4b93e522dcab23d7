package io.logbus.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PartitionerTest {

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 31, 32, 33, 1000})
  void murmur2MatchesKafkaForEveryTailLength(int length) {
    Random random = new Random(length);
    for (int i = 0; i < 200; i++) {
      byte[] key = new byte[length];
      random.nextBytes(key);
      assertThat(Partitioner.murmur2(key)).isEqualTo(Utils.murmur2(key));
    }
  }

  @Test
  void keyedPartitionMatchesKafkasDefaultPartitioner() {
    Random random = new Random(42);
    for (int n : new int[] {1, 2, 3, 7, 12, 100}) {
      for (int i = 0; i < 500; i++) {
        byte[] key = ("key-" + random.nextLong()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(Partitioner.partitionForKey(key, n))
            .isEqualTo(Utils.toPositive(Utils.murmur2(key)) % n);
      }
    }
  }

  @Test
  void nullKeyStaysOnOnePartitionUntilItsBatchIsFull() {
    Partitioner p = new Partitioner();
    List<Integer> available = List.of(0, 1, 2, 3);
    int first = p.partition("t", null, 4, available);
    for (int i = 0; i < 50; i++) {
      assertThat(p.partition("t", null, 4, available)).isEqualTo(first);
    }
    p.onNewBatch("t", first, 4, available);
    assertThat(p.partition("t", null, 4, available)).isNotEqualTo(first);
  }

  @Test
  void nullKeyAvoidsPartitionsWithoutLeader() {
    Partitioner p = new Partitioner();
    for (int i = 0; i < 20; i++) {
      int chosen = p.partition("t", null, 4, List.of(2));
      assertThat(chosen).isEqualTo(2);
      p.onNewBatch("t", chosen, 4, List.of(2));
    }
  }
}
