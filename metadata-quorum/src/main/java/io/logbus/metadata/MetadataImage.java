package io.logbus.metadata;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An immutable view of the cluster metadata after applying the log up to {@link
 * #lastAppliedIndex()}: brokers by id, topics by name, the next free producer id, and (filled in by
 * the reader at read time, not part of the replicated state) the quorum leader and voters.
 *
 * <p>Safe to share between threads; every "change" returns a new image.
 */
public final class MetadataImage {
  public static final MetadataImage EMPTY =
      new MetadataImage(Map.of(), Map.of(), 0L, -1L, 0L, -1, List.of());

  private final SortedMap<Integer, BrokerRegistration> brokers;
  // Unmodifiable view of a sorted map no one else writes to any more (see ImageBuilder).
  private final SortedMap<String, TopicImage> topics;
  private final long nextProducerId;
  private final long lastAppliedIndex;
  private final long lastAppliedTerm;
  private final int quorumLeaderId;
  private final List<Integer> voters;

  MetadataImage(
      Map<Integer, BrokerRegistration> brokers,
      Map<String, TopicImage> topics,
      long nextProducerId,
      long lastAppliedIndex,
      long lastAppliedTerm,
      int quorumLeaderId,
      List<Integer> voters) {
    this.brokers = Collections.unmodifiableSortedMap(new TreeMap<>(brokers));
    // Not copied when already sorted: callers hand over a map they never write again. Sorting
    // every topic for every applied entry would make each metadata write cost O(n log n).
    this.topics =
        Collections.unmodifiableSortedMap(
            topics instanceof SortedMap<String, TopicImage> sorted
                ? sorted
                : new TreeMap<>(topics));
    this.nextProducerId = nextProducerId;
    this.lastAppliedIndex = lastAppliedIndex;
    this.lastAppliedTerm = lastAppliedTerm;
    this.quorumLeaderId = quorumLeaderId;
    this.voters = List.copyOf(voters);
  }

  public SortedMap<Integer, BrokerRegistration> brokers() {
    return brokers;
  }

  public Optional<BrokerRegistration> broker(int id) {
    return Optional.ofNullable(brokers.get(id));
  }

  /** Topics by name, in name order. */
  public SortedMap<String, TopicImage> topics() {
    return topics;
  }

  public Optional<TopicImage> topic(String name) {
    return Optional.ofNullable(topics.get(name));
  }

  public long nextProducerId() {
    return nextProducerId;
  }

  /** The Raft index of the last log entry reflected here; -1 before anything was applied. */
  public long lastAppliedIndex() {
    return lastAppliedIndex;
  }

  public long lastAppliedTerm() {
    return lastAppliedTerm;
  }

  /** Node id of the quorum leader (the controller) when this view was read; -1 if unknown. */
  public int quorumLeaderId() {
    return quorumLeaderId;
  }

  public List<Integer> voters() {
    return voters;
  }

  /** Brokers that are registered and not fenced, by id. */
  public List<Integer> liveBrokerIds() {
    return brokers.values().stream().filter(b -> !b.fenced()).map(BrokerRegistration::id).toList();
  }

  MetadataImage withQuorum(int leaderId, List<Integer> voterIds) {
    return new MetadataImage(
        brokers, topics, nextProducerId, lastAppliedIndex, lastAppliedTerm, leaderId, voterIds);
  }

  MetadataImage withApplied(long index, long term) {
    return new MetadataImage(brokers, topics, nextProducerId, index, term, quorumLeaderId, voters);
  }

  @Override
  public String toString() {
    return "MetadataImage{index="
        + lastAppliedIndex
        + ", brokers="
        + brokers.keySet()
        + ", topics="
        + topics.size()
        + ", leader="
        + quorumLeaderId
        + "}";
  }
}
