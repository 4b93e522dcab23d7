package io.logbus.client;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Chooses a record's partition the way Kafka's default partitioner does, so keys land on the same
 * partition numbers as with Kafka: an explicit partition wins; else {@code toPositive(murmur2(key))
 * % numPartitions}; else (null key) a sticky partition that changes only when a batch is complete,
 * so null-key records still fill batches. Thread-safe.
 */
final class Partitioner {
  private final Map<String, Integer> sticky = new ConcurrentHashMap<>();

  /** Kafka's hash: {@code Utils.toPositive(Utils.murmur2(key)) % numPartitions}. */
  static int partitionForKey(byte[] key, int numPartitions) {
    return toPositive(murmur2(key)) % numPartitions;
  }

  int partition(String topic, byte[] key, int numPartitions, List<Integer> available) {
    if (key != null) {
      return partitionForKey(key, numPartitions);
    }
    Integer p = sticky.get(topic);
    if (p == null || p >= numPartitions) {
      p = pick(numPartitions, available, -1);
      sticky.put(topic, p);
    }
    return p;
  }

  /** Called when a null-key record filled the sticky partition's batch: move to another one. */
  void onNewBatch(String topic, int previous, int numPartitions, List<Integer> available) {
    sticky.computeIfPresent(
        topic, (t, p) -> p == previous ? pick(numPartitions, available, previous) : p);
  }

  private static int pick(int numPartitions, List<Integer> available, int avoid) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    if (available.size() == 1) {
      return available.get(0);
    }
    if (available.size() > 1) {
      int p;
      do {
        p = available.get(random.nextInt(available.size()));
      } while (p == avoid);
      return p;
    }
    if (numPartitions == 1) {
      return 0;
    }
    int p;
    do {
      p = random.nextInt(numPartitions);
    } while (p == avoid);
    return p;
  }

  static int toPositive(int number) {
    return number & 0x7fffffff;
  }

  /** MurmurHash2, 32 bit, seed 0x9747b28c: the exact function of Kafka's Utils.murmur2. */
  static int murmur2(byte[] data) {
    int length = data.length;
    int seed = 0x9747b28c;
    final int m = 0x5bd1e995;
    final int r = 24;
    int h = seed ^ length;
    int length4 = length / 4;
    for (int i = 0; i < length4; i++) {
      final int i4 = i * 4;
      int k =
          (data[i4] & 0xff)
              + ((data[i4 + 1] & 0xff) << 8)
              + ((data[i4 + 2] & 0xff) << 16)
              + ((data[i4 + 3] & 0xff) << 24);
      k *= m;
      k ^= k >>> r;
      k *= m;
      h *= m;
      h ^= k;
    }
    switch (length % 4) {
      case 3:
        h ^= (data[(length & ~3) + 2] & 0xff) << 16;
      // fall through
      case 2:
        h ^= (data[(length & ~3) + 1] & 0xff) << 8;
      // fall through
      case 1:
        h ^= data[length & ~3] & 0xff;
        h *= m;
      // fall through
      default:
        break;
    }
    h ^= h >>> 13;
    h *= m;
    h ^= h >>> 15;
    return h;
  }
}
