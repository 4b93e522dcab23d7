package io.logbus.torture;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Availability figures derived from acknowledgement times and injected faults. */
final class Availability {
  private Availability() {}

  /** The longest time between two consecutive acknowledgements, over all partitions. */
  static long longestGapMs(List<History.Ack> acks) {
    long[] times = acks.stream().mapToLong(History.Ack::ackedAtMs).sorted().toArray();
    long longest = 0;
    for (int i = 1; i < times.length; i++) {
      longest = Math.max(longest, times[i] - times[i - 1]);
    }
    return longest;
  }

  /**
   * One sample per (fault, partition whose leader the fault removed): the time from the fault to
   * the first acknowledgement on that partition after it. A partition never acknowledged again
   * gives the time to the last acknowledgement of the run, so an outage is never hidden.
   */
  static List<Long> failoverSamplesMs(List<History.Fault> faults, List<History.Ack> acks) {
    List<History.Ack> byTime = new ArrayList<>(acks);
    byTime.sort(Comparator.comparingLong(History.Ack::ackedAtMs));
    long lastAck = byTime.isEmpty() ? 0 : byTime.get(byTime.size() - 1).ackedAtMs();
    List<Long> samples = new ArrayList<>();
    for (History.Fault fault : faults) {
      for (int partition : fault.leaderlessPartitions()) {
        long recovered = lastAck;
        for (History.Ack ack : byTime) {
          if (ack.partition() == partition && ack.ackedAtMs() > fault.atMs()) {
            recovered = ack.ackedAtMs();
            break;
          }
        }
        samples.add(Math.max(0, recovered - fault.atMs()));
      }
    }
    return samples;
  }

  /** The nearest-rank percentile of {@code samples}, 0 when there are none. */
  static long percentile(List<Long> samples, double percentile) {
    if (samples.isEmpty()) {
      return 0;
    }
    long[] sorted = samples.stream().mapToLong(Long::longValue).sorted().toArray();
    int rank = (int) Math.ceil(percentile / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }
}
