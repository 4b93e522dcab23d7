package io.logbus.torture;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Judges a finished run: the partitions as read from their leaders (below the high watermark) and
 * each replica's segment files, against the {@link History} of what producers attempted and what
 * the cluster acknowledged. Pure: no I/O, so every rule is unit-tested on hand-made histories.
 */
final class Checker {
  /** Examples kept per kind of violation, so one flood does not hide the others. */
  private static final int EXAMPLES_PER_KIND = 10;

  /** What was read back after the cluster healed, and the run's shape. */
  record Observed(
      Map<Integer, List<StoredRecord>> leaderRecords,
      Map<Integer, Long> highWatermarks,
      Map<Integer, Map<Integer, List<StoredRecord>>> replicaRecords,
      int nodeCount,
      long workloadStartEpochMs,
      long workloadEndMs) {}

  private Checker() {}

  /**
   * An acknowledgement names the record's place; offset -1 means the producer learned the batch was
   * stored but not where (a retry the broker recognised as already written, answered
   * DUPLICATE_SEQUENCE, as Kafka's client reports it), so only its partition can be checked.
   */
  private static boolean ackedWhereFound(History.Ack ack, List<Where> places) {
    if (ack.offset() < 0) {
      return places.stream().anyMatch(w -> w.partition() == ack.partition());
    }
    return places.contains(new Where(ack.partition(), ack.offset()));
  }

  static Verdict check(long seed, History history, Observed observed) {
    List<String> examples = new ArrayList<>();
    Map<String, List<Where>> found = index(observed.leaderRecords());

    long lost = 0;
    long misplaced = 0;
    for (History.Ack ack : history.acks()) {
      List<Where> places = found.get(ack.value());
      if (places == null) {
        lost++;
        example(
            examples, "lost " + ack.value() + " acked at " + ack.partition() + "@" + ack.offset());
      } else if (!ackedWhereFound(ack, places)) {
        misplaced++;
        example(
            examples,
            "acked "
                + ack.value()
                + " at "
                + ack.partition()
                + "@"
                + ack.offset()
                + " but found at "
                + places);
      }
    }

    long duplicated = 0;
    long phantom = 0;
    for (Map.Entry<String, List<Where>> entry : found.entrySet()) {
      if (entry.getValue().size() > 1) {
        duplicated += entry.getValue().size() - 1;
        example(examples, "duplicated " + entry.getKey() + " at " + entry.getValue());
      }
      if (!history.wasAttempted(entry.getKey())) {
        phantom += entry.getValue().size();
        example(examples, "phantom " + entry.getKey() + " at " + entry.getValue());
      }
    }

    long divergent = divergentReplicas(observed, examples);
    long disordered = misplaced + disorder(observed.leaderRecords(), examples);
    GroupChecker.Findings group =
        GroupChecker.check(history, observed.leaderRecords(), e -> example(examples, e));

    List<History.Ack> acks = history.acks();
    return new Verdict(
        seed,
        history.faults().size(),
        acks.size(),
        history.failures().size(),
        lost,
        duplicated,
        phantom,
        divergent,
        disordered + group.misdelivered(),
        group.backwards(),
        group.skipped(),
        Availability.figures(
            acks, history.nodeEvents(), observed.nodeCount(), observed.workloadEndMs()),
        Availability.failoverSamplesMs(history.faults(), acks),
        List.copyOf(examples),
        new Verdict.Timeline(
            observed.workloadStartEpochMs(), history.faults(), history.nodeEvents()),
        new Verdict.GroupSide(
            history.commits().size(), history.consumed().size(), history.counters()));
  }

  private record Where(int partition, long offset) {
    @Override
    public String toString() {
      return partition + "@" + offset;
    }
  }

  private static Map<String, List<Where>> index(Map<Integer, List<StoredRecord>> partitions) {
    Map<String, List<Where>> found = new HashMap<>();
    partitions.forEach(
        (partition, records) -> {
          for (StoredRecord record : records) {
            String key = String.valueOf(record.value());
            found
                .computeIfAbsent(key, k -> new ArrayList<>(1))
                .add(new Where(partition, record.offset()));
          }
        });
    return found;
  }

  /** Replicas whose records below the high watermark differ from the leader's. */
  private static long divergentReplicas(Observed observed, List<String> examples) {
    long divergent = 0;
    for (Map.Entry<Integer, Map<Integer, List<StoredRecord>>> partition :
        observed.replicaRecords().entrySet()) {
      List<StoredRecord> leader =
          observed.leaderRecords().getOrDefault(partition.getKey(), List.of());
      for (Map.Entry<Integer, List<StoredRecord>> replica : partition.getValue().entrySet()) {
        if (!Objects.equals(leader, replica.getValue())) {
          divergent++;
          example(
              examples,
              "partition "
                  + partition.getKey()
                  + " replica on node "
                  + replica.getKey()
                  + " holds "
                  + replica.getValue().size()
                  + " records below the high watermark, the leader "
                  + leader.size()
                  + firstDifference(leader, replica.getValue()));
        }
      }
    }
    return divergent;
  }

  private static String firstDifference(List<StoredRecord> a, List<StoredRecord> b) {
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      if (!a.get(i).equals(b.get(i))) {
        return "; first difference: leader " + a.get(i) + " vs replica " + b.get(i);
      }
    }
    return "";
  }

  /**
   * Offsets must be dense and increasing (the torture topic is not compacted), and each writer's
   * values must appear in the order it sent them within a partition (idempotent producer).
   */
  private static long disorder(Map<Integer, List<StoredRecord>> partitions, List<String> examples) {
    long disordered = 0;
    for (Map.Entry<Integer, List<StoredRecord>> entry : partitions.entrySet()) {
      List<StoredRecord> records = entry.getValue();
      Map<String, Long> lastSequenceByWriter = new HashMap<>();
      for (int i = 0; i < records.size(); i++) {
        StoredRecord record = records.get(i);
        if (i > 0 && record.offset() != records.get(i - 1).offset() + 1) {
          disordered++;
          example(
              examples,
              "partition "
                  + entry.getKey()
                  + ": offset "
                  + record.offset()
                  + " follows "
                  + records.get(i - 1).offset());
        }
        String[] writerAndSequence = parseValue(record.value());
        if (writerAndSequence != null) {
          long sequence = Long.parseLong(writerAndSequence[1]);
          Long previous = lastSequenceByWriter.put(writerAndSequence[0], sequence);
          if (previous != null && sequence <= previous) {
            disordered++;
            example(
                examples,
                "partition "
                    + entry.getKey()
                    + ": "
                    + record.value()
                    + " at offset "
                    + record.offset()
                    + " after sequence "
                    + previous);
          }
        }
      }
    }
    return disordered;
  }

  /** {@code w<writer>-<sequence>} → [writer, sequence], or null for any other value. */
  static String[] parseValue(String value) {
    if (value == null || !value.startsWith("w")) {
      return null;
    }
    int dash = value.indexOf('-');
    if (dash < 2 || dash == value.length() - 1) {
      return null;
    }
    String writer = value.substring(1, dash);
    String sequence = value.substring(dash + 1);
    if (!writer.chars().allMatch(Character::isDigit)
        || !sequence.chars().allMatch(Character::isDigit)) {
      return null;
    }
    return new String[] {writer, sequence};
  }

  /** Keeps {@code text} unless {@value #EXAMPLES_PER_KIND} of its kind (first word) are kept. */
  private static void example(List<String> examples, String text) {
    String kind = text.split(" ", 2)[0];
    long sameKind = examples.stream().filter(e -> e.split(" ", 2)[0].equals(kind)).count();
    if (sameKind < EXAMPLES_PER_KIND) {
      examples.add(text);
    }
  }
}
