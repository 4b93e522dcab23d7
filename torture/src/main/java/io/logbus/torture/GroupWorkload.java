package io.logbus.torture;

import io.logbus.client.ConsumerRebalanceListener;
import io.logbus.client.ConsumerRecord;
import io.logbus.client.LogbusAdmin;
import io.logbus.client.LogbusConsumer;
import io.logbus.client.OffsetResetStrategy;
import io.logbus.client.TopicPartition;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The group side of a torture run: {@code members} threads, each a consumer in one group that
 * subscribes to the checked topic, records every record it receives, and commits what it has
 * received as it goes (a synchronous commit every few polls, asynchronous ones in between, and a
 * synchronous one for partitions being revoked). Every successful commit is an observation of the
 * group's committed offset, and so is every read of the group's offsets by an observer thread; the
 * {@link GroupChecker} judges them. Members leave and new ones join on a seeded schedule, so
 * rebalances overlap with faults. Commit failures during outages are counted, not judged.
 */
final class GroupWorkload implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GroupWorkload.class);
  private static final int SYNC_COMMIT_EVERY_POLLS = 5;
  private static final long OBSERVE_EVERY_MS = 500;

  private final String bootstrap;
  private final String topic;
  private final String group;
  private final int partitions;
  private final int members;
  private final History history;
  private final Clock clock;
  private final long startMs;
  private final Random random;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<Thread> threads = new ArrayList<>();

  GroupWorkload(
      String bootstrap,
      String topic,
      String group,
      int partitions,
      int members,
      long seed,
      History history,
      Clock clock,
      long startMs) {
    this.bootstrap = bootstrap;
    this.topic = topic;
    this.group = group;
    this.partitions = partitions;
    this.members = members;
    this.random = new Random(seed ^ 0x67726f7570L);
    this.history = history;
    this.clock = clock;
    this.startMs = startMs;
  }

  String group() {
    return group;
  }

  void start(LogbusAdmin admin) {
    for (int m = 0; m < members; m++) {
      int slot = m;
      // Each slot replaces its member now and then: a leave and a join, so a rebalance.
      long lifetimeMs = 15_000 + random.nextInt(30_000);
      Thread thread = new Thread(() -> runSlot(slot, lifetimeMs), "torture-member-" + m);
      thread.setDaemon(true);
      threads.add(thread);
    }
    Thread observer = new Thread(() -> observe(admin), "torture-offsets-observer");
    observer.setDaemon(true);
    threads.add(observer);
    threads.forEach(Thread::start);
  }

  private long now() {
    return clock.millis() - startMs;
  }

  private void runSlot(int slot, long lifetimeMs) {
    for (int generation = 0; running.get(); generation++) {
      String member = "m" + slot + "." + generation;
      try {
        runMember(member, lifetimeMs);
      } catch (RuntimeException e) {
        history.count("member_errors");
        log.info("[{}] member stopped: {}", member, e.toString());
      }
    }
  }

  /** One member's life: subscribe, poll and commit until its lifetime is over, then leave. */
  private void runMember(String member, long lifetimeMs) {
    long endAt = now() + lifetimeMs;
    Map<TopicPartition, Long> next = new HashMap<>(); // next offset to commit, per owned partition
    try (LogbusConsumer consumer =
        LogbusConsumer.builder()
            .bootstrapServers(bootstrap)
            .clientId("torture-" + member)
            .groupId(group)
            .enableAutoCommit(false)
            .autoOffsetReset(OffsetResetStrategy.EARLIEST)
            .build()) {
      consumer.subscribe(List.of(topic), new Listener(member, consumer, next));
      history.count("members_joined");
      for (int poll = 1; running.get() && now() < endAt; poll++) {
        for (ConsumerRecord r : consumer.poll(Duration.ofMillis(200))) {
          history.consumed(
              new History.Consumed(group, member, r.partition(), r.offset(), text(r.value())));
          next.put(new TopicPartition(r.topic(), r.partition()), r.offset() + 1);
        }
        if (next.isEmpty()) {
          continue;
        }
        if (poll % SYNC_COMMIT_EVERY_POLLS == 0) {
          commitSync(member, consumer, Map.copyOf(next));
        } else {
          commitAsync(member, consumer);
        }
      }
      // Leave with what was received committed; close() then leaves the group.
      if (!next.isEmpty()) {
        commitSync(member, consumer, Map.copyOf(next));
      }
    }
  }

  private void commitSync(
      String member, LogbusConsumer consumer, Map<TopicPartition, Long> offsets) {
    long sent = now();
    try {
      consumer.commitSync(offsets);
      record(member, offsets, sent);
    } catch (RuntimeException e) {
      history.count("commit_failures");
      log.debug("[{}] commitSync failed: {}", member, e.toString());
    }
  }

  /** Commits the positions of every owned partition; the callback names what was committed. */
  private void commitAsync(String member, LogbusConsumer consumer) {
    long sent = now();
    try {
      consumer.commitAsync(
          (offsets, error) -> {
            if (error == null) {
              record(member, offsets, sent);
            } else {
              history.count("commit_failures");
            }
          });
    } catch (RuntimeException e) {
      history.count("commit_failures");
    }
  }

  private void record(String member, Map<TopicPartition, Long> offsets, long sentMs) {
    long acked = now();
    history.count("commits");
    offsets.forEach(
        (tp, offset) ->
            history.committed(
                new History.CommitObservation(
                    group, tp.partition(), offset, sentMs, acked, "commit:" + member)));
  }

  /** Reads the group's committed offsets over and over: the state the brokers hold. */
  private void observe(LogbusAdmin admin) {
    while (running.get()) {
      long sent = now();
      try {
        Map<TopicPartition, Long> offsets =
            admin.listCommittedOffsets(group).get(10, TimeUnit.SECONDS);
        long done = now();
        for (int p = 0; p < partitions; p++) {
          // Absent: nothing committed (-1), which is below any commit that ended before.
          long offset = offsets.getOrDefault(new TopicPartition(topic, p), -1L);
          history.committed(new History.CommitObservation(group, p, offset, sent, done, "read"));
        }
        history.count("offset_reads");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception e) {
        history.count("offset_read_failures");
      }
      try {
        Await.hold(OBSERVE_EVERY_MS); // pacing, not synchronization
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Commits what was received of partitions being taken away, before they go. */
  private final class Listener implements ConsumerRebalanceListener {
    private final String member;
    private final LogbusConsumer consumer;
    private final Map<TopicPartition, Long> next;

    Listener(String member, LogbusConsumer consumer, Map<TopicPartition, Long> next) {
      this.member = member;
      this.consumer = consumer;
      this.next = next;
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      history.count("revocations");
      Map<TopicPartition, Long> offsets = new HashMap<>();
      for (TopicPartition tp : partitions) {
        Long offset = next.remove(tp);
        if (offset != null) {
          offsets.put(tp, offset);
        }
      }
      if (!offsets.isEmpty()) {
        commitSync(member, consumer, offsets);
      }
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      history.count("assignments");
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      // Someone else may own them already: committing now could only be fenced.
      history.count("partitions_lost");
      partitions.forEach(next::remove);
    }
  }

  private static String text(byte[] value) {
    return value == null ? null : new String(value, StandardCharsets.UTF_8);
  }

  /** Stops members (each commits and leaves) and the observer, bounded. */
  @Override
  public void close() throws InterruptedException {
    running.set(false);
    for (Thread thread : threads) {
      thread.join(TimeUnit.MINUTES.toMillis(2));
      if (thread.isAlive()) {
        log.error("{} did not finish within 2 minutes", thread.getName());
      }
    }
    log.info("group {}: {}", group, history.counters());
  }
}
