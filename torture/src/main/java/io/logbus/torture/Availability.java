package io.logbus.torture;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Availability figures derived from acknowledgement times, injected faults and the node timeline.
 *
 * <p>A stretch without acknowledgements is split by the schedule: while a majority of the nodes is
 * down (killed and not yet ready again, or paused) the cluster cannot have a quorum or an ISR of
 * two, so writes stop by design; what counts is the part with a majority up.
 */
final class Availability {
  private Availability() {}

  /** A stretch [fromMs, toMs) without acknowledgements; partition -1 means on every partition. */
  record Window(long fromMs, long toMs, int partition, boolean majorityUp) {
    long lengthMs() {
      return toMs - fromMs;
    }
  }

  /**
   * The figures of one run: the longest stretch without any acknowledgement, its parts while a
   * majority was down and while a majority was up, the longest majority-up stretch of a single
   * partition, and the worst majority-up windows (for the report and for chasing causes).
   */
  record Figures(
      long longestMs,
      long majorityDownMs,
      long majorityUpMs,
      long partitionMajorityUpMs,
      List<Window> worstMajorityUp) {}

  /** Intervals [from, to) during which more than half of {@code nodeCount} nodes were down. */
  static List<long[]> majorityDown(List<History.NodeEvent> events, int nodeCount, long endMs) {
    List<History.NodeEvent> sorted = new ArrayList<>(events);
    sorted.sort(Comparator.comparingLong(History.NodeEvent::atMs));
    Set<Integer> down = new HashSet<>();
    List<long[]> intervals = new ArrayList<>();
    long since = -1;
    for (History.NodeEvent e : sorted) {
      if (e.up()) {
        down.remove(e.node());
      } else {
        down.add(e.node());
      }
      boolean lost = down.size() > nodeCount / 2;
      if (lost && since < 0) {
        since = e.atMs();
      } else if (!lost && since >= 0) {
        intervals.add(new long[] {since, e.atMs()});
        since = -1;
      }
    }
    if (since >= 0) {
      intervals.add(new long[] {since, Math.max(since, endMs)});
    }
    return intervals;
  }

  /**
   * Figures over the workload [0, endMs): gaps between consecutive acknowledgements (and from the
   * start to the first, and from the last to the end), split along the majority-down intervals.
   */
  static Figures figures(
      List<History.Ack> acks, List<History.NodeEvent> events, int nodeCount, long endMs) {
    List<long[]> down = majorityDown(events, nodeCount, endMs);
    List<Window> all = gaps(times(acks), -1, endMs);
    long longest = all.stream().mapToLong(Window::lengthMs).max().orElse(0);
    List<Window> pieces = new ArrayList<>();
    for (Window gap : all) {
      pieces.addAll(split(gap, down));
    }
    long downMs = longestOf(pieces, false);
    long upMs = longestOf(pieces, true);

    Map<Integer, List<Long>> byPartition = new HashMap<>();
    for (History.Ack ack : acks) {
      byPartition.computeIfAbsent(ack.partition(), p -> new ArrayList<>()).add(ack.ackedAtMs());
    }
    List<Window> partitionPieces = new ArrayList<>();
    for (Map.Entry<Integer, List<Long>> e : byPartition.entrySet()) {
      long[] t = e.getValue().stream().mapToLong(Long::longValue).sorted().toArray();
      for (Window gap : gaps(t, e.getKey(), endMs)) {
        partitionPieces.addAll(split(gap, down));
      }
    }
    List<Window> worst = new ArrayList<>();
    pieces.stream().filter(Window::majorityUp).forEach(worst::add);
    partitionPieces.stream().filter(Window::majorityUp).forEach(worst::add);
    worst.sort(Comparator.comparingLong(Window::lengthMs).reversed());
    return new Figures(
        longest,
        downMs,
        upMs,
        longestOf(partitionPieces, true),
        List.copyOf(worst.subList(0, Math.min(5, worst.size()))));
  }

  private static long[] times(List<History.Ack> acks) {
    return acks.stream().mapToLong(History.Ack::ackedAtMs).sorted().toArray();
  }

  private static List<Window> gaps(long[] times, int partition, long endMs) {
    List<Window> gaps = new ArrayList<>();
    long previous = 0;
    for (long t : times) {
      if (t > previous) {
        gaps.add(new Window(previous, t, partition, true));
      }
      previous = Math.max(previous, t);
    }
    if (endMs > previous) {
      gaps.add(new Window(previous, endMs, partition, true));
    }
    return gaps;
  }

  /** Cuts {@code gap} into pieces inside (majorityUp false) and outside the down intervals. */
  static List<Window> split(Window gap, List<long[]> down) {
    List<Window> pieces = new ArrayList<>();
    long cursor = gap.fromMs();
    for (long[] d : down) {
      long from = Math.max(d[0], gap.fromMs());
      long to = Math.min(d[1], gap.toMs());
      if (from >= to) {
        continue;
      }
      if (from > cursor) {
        pieces.add(new Window(cursor, from, gap.partition(), true));
      }
      pieces.add(new Window(from, to, gap.partition(), false));
      cursor = to;
    }
    if (gap.toMs() > cursor) {
      pieces.add(new Window(cursor, gap.toMs(), gap.partition(), true));
    }
    return pieces;
  }

  private static long longestOf(List<Window> pieces, boolean majorityUp) {
    return pieces.stream()
        .filter(w -> w.majorityUp() == majorityUp)
        .mapToLong(Window::lengthMs)
        .max()
        .orElse(0);
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
