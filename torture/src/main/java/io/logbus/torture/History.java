package io.logbus.torture;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Everything a torture run observed: every value a producer attempted, every acknowledgement with
 * where it landed, every failed send, and every fault injected. The checker judges the cluster
 * against this history only. Thread-safe: producers' callback threads and the fault thread append
 * concurrently.
 */
final class History {
  /** An acknowledged record: who sent it, where the broker said it is, and when it was acked. */
  record Ack(String value, int writer, long sequence, int partition, long offset, long ackedAtMs) {}

  /** A send that failed for good (after the client's retries): it may or may not be stored. */
  record Failure(String value, String error, long atMs) {}

  /** A fault as injected: when, what, which nodes, and the partitions whose leader it removed. */
  record Fault(long atMs, String kind, List<Integer> nodes, List<Integer> leaderlessPartitions) {}

  private final Set<String> attempted = ConcurrentHashMap.newKeySet();
  private final ConcurrentLinkedQueue<Ack> acks = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Failure> failures = new ConcurrentLinkedQueue<>();
  private final List<Fault> faults = Collections.synchronizedList(new ArrayList<>());

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
}
