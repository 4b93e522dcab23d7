package io.logbus.torture;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Everything a torture run observed: every value a producer attempted, every acknowledgement with
 * where it landed, every failed send, every fault injected and when each node went down and came
 * back, and on the group side every commit, every observation of the committed offsets and every
 * record a group member received. The checker judges the cluster against this history only.
 * Thread-safe: producers' callback threads, consumers and the fault thread append concurrently.
 * Times are milliseconds since the workload started.
 */
final class History {
  /** An acknowledged record: who sent it, where the broker said it is, and when it was acked. */
  record Ack(String value, int writer, long sequence, int partition, long offset, long ackedAtMs) {}

  /** A send that failed for good (after the client's retries): it may or may not be stored. */
  record Failure(String value, String error, long atMs) {}

  /** A fault as injected: when, what, which nodes, and the partitions whose leader it removed. */
  record Fault(long atMs, String kind, List<Integer> nodes, List<Integer> leaderlessPartitions) {}

  /**
   * A node left service (killed or paused: {@code up == false}) or is back ({@code up == true}:
   * restarted and reported ready by the launcher, or resumed).
   */
  record NodeEvent(long atMs, int node, boolean up) {}

  /**
   * One look at a group's committed offset of a partition, taken between {@code startMs} and {@code
   * endMs}: a commit a member saw succeed ({@code source} "commit:<member>", the offset it
   * committed) or a read of the group's offsets ({@code source} "read", -1 when none is committed).
   * The committed offset is in force at some instant inside the window.
   */
  record CommitObservation(
      String group, int partition, long offset, long startMs, long endMs, String source) {}

  /** An explicit offset reset of a group's partition: offsets may go down across it. */
  record OffsetReset(String group, int partition, long startMs, long endMs) {}

  /** A record a group member received from poll. */
  record Consumed(String group, String member, int partition, long offset, String value) {}

  private final Set<String> attempted = ConcurrentHashMap.newKeySet();
  private final ConcurrentLinkedQueue<Ack> acks = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Failure> failures = new ConcurrentLinkedQueue<>();
  private final List<Fault> faults = Collections.synchronizedList(new ArrayList<>());
  private final List<NodeEvent> nodeEvents = Collections.synchronizedList(new ArrayList<>());
  private final ConcurrentLinkedQueue<CommitObservation> commits = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<OffsetReset> resets = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Consumed> consumed = new ConcurrentLinkedQueue<>();
  private final Map<String, Long> counters = new ConcurrentHashMap<>();

  void attempted(String value) {
    attempted.add(value);
  }

  void acked(Ack ack) {
    acks.add(ack);
  }

  void failed(Failure failure) {
    failures.add(failure);
  }

  void fault(Fault fault) {
    faults.add(fault);
  }

  void node(NodeEvent event) {
    nodeEvents.add(event);
  }

  void committed(CommitObservation observation) {
    commits.add(observation);
  }

  void reset(OffsetReset reset) {
    resets.add(reset);
  }

  void consumed(Consumed record) {
    consumed.add(record);
  }

  /** Bumps a named counter (admin operations done or failed, rebalances, ...) for the report. */
  void count(String name) {
    counters.merge(name, 1L, Long::sum);
  }

  boolean wasAttempted(String value) {
    return attempted.contains(value);
  }

  int attemptedCount() {
    return attempted.size();
  }

  List<Ack> acks() {
    return List.copyOf(acks);
  }

  List<Failure> failures() {
    return List.copyOf(failures);
  }

  List<Fault> faults() {
    synchronized (faults) {
      return List.copyOf(faults);
    }
  }

  List<NodeEvent> nodeEvents() {
    synchronized (nodeEvents) {
      return List.copyOf(nodeEvents);
    }
  }

  List<CommitObservation> commits() {
    return List.copyOf(commits);
  }

  List<OffsetReset> resets() {
    return List.copyOf(resets);
  }

  List<Consumed> consumed() {
    return List.copyOf(consumed);
  }

  Map<String, Long> counters() {
    return Map.copyOf(counters);
  }
}
