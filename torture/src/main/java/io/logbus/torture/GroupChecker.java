package io.logbus.torture;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Judges the consumer-group side of a run. Pure, like {@link Checker}.
 *
 * <p>Committed offsets going backwards: every observation of a group's committed offset (a commit a
 * member saw succeed, or a read of the group's offsets) names a value in force at some instant of
 * its window. If observation A ended before observation B started, B saw the later state, so B
 * below A means the committed offset went down between them, unless an explicit reset of that
 * partition overlaps the span from A's start to B's end. Observations whose windows overlap are not
 * ordered and are not compared.
 *
 * <p>Skipped records: a member commits only what it received, so every record of the log below the
 * group's highest committed offset must have reached some member. A received record must also be
 * the one the log holds at that offset.
 */
final class GroupChecker {
  private GroupChecker() {}

  /** What the group side found: offsets that went back, records skipped or received wrongly. */
  record Findings(long backwards, long skipped, long misdelivered) {}

  static Findings check(
      History history, Map<Integer, List<StoredRecord>> leaderRecords, Consumer<String> examples) {
    return new Findings(
        offsetsBackwards(history.commits(), history.resets(), examples),
        skipped(history, leaderRecords, examples),
        misdelivered(history.consumed(), leaderRecords, examples));
  }

  /** Counts observations that saw a lower committed offset than one completed before they began. */
  static long offsetsBackwards(
      List<History.CommitObservation> observations,
      List<History.OffsetReset> resets,
      Consumer<String> examples) {
    Map<String, List<History.CommitObservation>> byPartition = new HashMap<>();
    for (History.CommitObservation o : observations) {
      byPartition.computeIfAbsent(o.group() + "/" + o.partition(), k -> new ArrayList<>()).add(o);
    }
    long backwards = 0;
    for (List<History.CommitObservation> list : byPartition.values()) {
      list.sort(Comparator.comparingLong(History.CommitObservation::startMs));
      // Observations that have begun, by end time: those ended before B starts are "before B".
      PriorityQueue<History.CommitObservation> pending =
          new PriorityQueue<>(Comparator.comparingLong(History.CommitObservation::endMs));
      List<History.CommitObservation> before = new ArrayList<>();
      History.CommitObservation first = list.get(0);
      boolean anyReset =
          resets.stream()
              .anyMatch(r -> r.group().equals(first.group()) && r.partition() == first.partition());
      History.CommitObservation runningMax = null;
      for (History.CommitObservation b : list) {
        while (!pending.isEmpty() && pending.peek().endMs() < b.startMs()) {
          History.CommitObservation a = pending.poll();
          before.add(a);
          if (runningMax == null || a.offset() > runningMax.offset()) {
            runningMax = a;
          }
        }
        // Without a reset of this partition the highest earlier value is all that matters.
        History.CommitObservation highest =
            anyReset ? highestSinceReset(before, b, resets) : runningMax;
        if (highest != null && b.offset() < highest.offset()) {
          backwards++;
          examples.accept(
              "committed offset of "
                  + b.group()
                  + " partition "
                  + b.partition()
                  + " went from "
                  + highest.offset()
                  + " ("
                  + highest.source()
                  + " ended at "
                  + highest.endMs()
                  + " ms) to "
                  + b.offset()
                  + " ("
                  + b.source()
                  + " from "
                  + b.startMs()
                  + " ms)");
        }
        pending.add(b);
      }
    }
    return backwards;
  }

  private static History.CommitObservation highestSinceReset(
      List<History.CommitObservation> before,
      History.CommitObservation b,
      List<History.OffsetReset> resets) {
    History.CommitObservation highest = null;
    for (History.CommitObservation a : before) {
      if (resetBetween(a, b, resets)) {
        continue;
      }
      if (highest == null || a.offset() > highest.offset()) {
        highest = a;
      }
    }
    return highest;
  }

  private static boolean resetBetween(
      History.CommitObservation a, History.CommitObservation b, List<History.OffsetReset> resets) {
    for (History.OffsetReset r : resets) {
      if (r.group().equals(b.group())
          && r.partition() == b.partition()
          && r.endMs() >= a.startMs()
          && r.startMs() <= b.endMs()) {
        return true;
      }
    }
    return false;
  }

  /** Records below a group's highest committed offset that no member of that group received. */
  static long skipped(
      History history, Map<Integer, List<StoredRecord>> leaderRecords, Consumer<String> examples) {
    Map<String, Long> highest = new HashMap<>();
    for (History.CommitObservation o : history.commits()) {
      highest.merge(o.group() + "/" + o.partition(), o.offset(), Math::max);
    }
    Set<String> received = new HashSet<>();
    for (History.Consumed c : history.consumed()) {
      received.add(c.group() + "/" + c.partition() + "@" + c.offset());
    }
    long skipped = 0;
    for (Map.Entry<String, Long> e : highest.entrySet()) {
      String group = e.getKey().substring(0, e.getKey().lastIndexOf('/'));
      int partition = Integer.parseInt(e.getKey().substring(e.getKey().lastIndexOf('/') + 1));
      for (StoredRecord r : leaderRecords.getOrDefault(partition, List.of())) {
        if (r.offset() < e.getValue() && !received.contains(e.getKey() + "@" + r.offset())) {
          skipped++;
          examples.accept(
              "group "
                  + group
                  + " committed "
                  + partition
                  + "@"
                  + e.getValue()
                  + " but no member received "
                  + partition
                  + "@"
                  + r.offset());
        }
      }
    }
    return skipped;
  }

  /** Received records that are not what the log holds at their partition and offset. */
  static long misdelivered(
      List<History.Consumed> consumed,
      Map<Integer, List<StoredRecord>> leaderRecords,
      Consumer<String> examples) {
    Map<Integer, Map<Long, String>> logs = new HashMap<>();
    leaderRecords.forEach(
        (p, records) -> {
          Map<Long, String> byOffset = new HashMap<>();
          records.forEach(r -> byOffset.put(r.offset(), r.value()));
          logs.put(p, byOffset);
        });
    long wrong = 0;
    for (History.Consumed c : consumed) {
      Map<Long, String> log = logs.getOrDefault(c.partition(), Map.of());
      if (!log.containsKey(c.offset()) || !Objects.equals(log.get(c.offset()), c.value())) {
        wrong++;
        examples.accept(
            c.member()
                + " received "
                + c.value()
                + " at "
                + c.partition()
                + "@"
                + c.offset()
                + " but the log holds "
                + log.get(c.offset()));
      }
    }
    return wrong;
  }
}
