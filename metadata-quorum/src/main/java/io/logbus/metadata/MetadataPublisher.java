package io.logbus.metadata;

import io.logbus.proto.metadata.MetadataRecord;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands committed entries to {@link MetadataListener}s on one dispatch thread, in log order,
 * exactly once per listener.
 *
 * <p>The apply thread enqueues each entry after it is applied; the dispatch thread tracks the image
 * of the last entry it dispatched and, per listener, the index it has reached. A new subscription
 * is itself a task on that thread, so it is ordered against entries: it either starts exactly after
 * its {@code afterIndex} or, if that lies behind the dispatched state, starts with {@code
 * onSnapshot}. A listener that throws is logged and kept.
 */
final class MetadataPublisher implements AutoCloseable {
  /**
   * A listener that takes whole entries (the watch stream sends one message per entry) and hears
   * about entries without records too, so a remote reader's applied index keeps up with Raft no-op
   * and configuration entries.
   */
  interface EntryListener extends MetadataListener {
    void onEntry(long index, List<MetadataRecord> records, MetadataImage imageAfter);

    /** Entries without metadata were applied up to {@code image.lastAppliedIndex()}. */
    void onProgress(MetadataImage image);

    @Override
    default void onRecord(long index, MetadataRecord record, MetadataImage imageAfter) {
      onEntry(index, List.of(record), imageAfter);
    }
  }

  private static final Logger LOG = LoggerFactory.getLogger(MetadataPublisher.class);

  private static final class Subscription {
    final MetadataListener listener;
    long position;

    Subscription(MetadataListener listener, long position) {
      this.listener = listener;
      this.position = position;
    }
  }

  /** Bounds of the replay history: entries, and topics summed over the images they hold. */
  static final int HISTORY_MAX_ENTRIES = 4096;

  static final long HISTORY_MAX_TOPIC_REFS = 2_000_000;

  private record Delivered(long index, List<MetadataRecord> records, MetadataImage image) {}

  private final String name;
  private final ExecutorService executor;
  // Recent entries with records, so a subscriber slightly behind gets records, not a snapshot.
  // Every record-bearing entry after historyFloor is in it. Confined to the dispatch thread.
  private final ArrayDeque<Delivered> history = new ArrayDeque<>();
  private long historyFloor;
  private long historyTopicRefs;
  // Confined to the dispatch thread.
  private final List<Subscription> subscriptions = new ArrayList<>();
  private MetadataImage dispatched;
  // The highest index that may have carried records a subscriber could have missed; entries
  // after it were Raft no-ops, so a subscriber at or past it needs no snapshot.
  private long lastRecordIndex;

  MetadataPublisher(String name, MetadataImage initial) {
    this.name = name;
    this.dispatched = initial;
    this.lastRecordIndex = initial.lastAppliedIndex();
    this.historyFloor = initial.lastAppliedIndex();
    this.executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "metadata-dispatch-" + name);
              t.setDaemon(true);
              return t;
            });
  }

  void publish(long index, List<MetadataRecord> records, MetadataImage imageAfter) {
    submit(() -> deliver(index, records, imageAfter));
  }

  /** The state was replaced (snapshot installed): everybody behind it restarts from it. */
  void reset(MetadataImage image) {
    submit(
        () -> {
          dispatched = image;
          lastRecordIndex = image.lastAppliedIndex();
          history.clear();
          historyTopicRefs = 0;
          historyFloor = image.lastAppliedIndex();
          for (Subscription s : subscriptions) {
            if (s.position < image.lastAppliedIndex()) {
              safely(s, () -> s.listener.onSnapshot(image));
              s.position = image.lastAppliedIndex();
            }
          }
        });
  }

  /** Also refreshes the dispatched image after a non-metadata entry (Raft configuration). */
  void advance(MetadataImage image) {
    submit(
        () -> {
          dispatched = image;
          for (Subscription s : subscriptions) {
            if (s.listener instanceof EntryListener e && s.position < image.lastAppliedIndex()) {
              safely(s, () -> e.onProgress(image));
              s.position = image.lastAppliedIndex();
            }
          }
        });
  }

  void subscribe(long afterIndex, MetadataListener listener) {
    submit(
        () -> {
          Subscription s = new Subscription(listener, afterIndex);
          if (afterIndex < lastRecordIndex && afterIndex >= historyFloor) {
            for (Delivered d : history) {
              if (d.index() > afterIndex) {
                dispatch(s, d.index(), d.records(), d.image());
              }
            }
          } else if (afterIndex < lastRecordIndex) {
            MetadataImage image = dispatched;
            safely(s, () -> listener.onSnapshot(image));
            s.position = image.lastAppliedIndex();
          }
          subscriptions.add(s);
        });
  }

  private void deliver(long index, List<MetadataRecord> records, MetadataImage imageAfter) {
    dispatched = imageAfter;
    lastRecordIndex = index;
    remember(new Delivered(index, records, imageAfter));
    for (Subscription s : subscriptions) {
      if (index > s.position) {
        dispatch(s, index, records, imageAfter);
      }
    }
  }

  private void dispatch(
      Subscription s, long index, List<MetadataRecord> records, MetadataImage imageAfter) {
    if (s.listener instanceof EntryListener e) {
      safely(s, () -> e.onEntry(index, records, imageAfter));
    } else {
      for (MetadataRecord r : records) {
        safely(s, () -> s.listener.onRecord(index, r, imageAfter));
      }
    }
    s.position = index;
  }

  /** Stops delivering to {@code listener}; entries already queued for it may still arrive. */
  void unsubscribe(MetadataListener listener) {
    submit(() -> subscriptions.removeIf(s -> s.listener == listener));
  }

  private void remember(Delivered d) {
    history.addLast(d);
    historyTopicRefs += d.image().topics().size() + 1;
    while (history.size() > HISTORY_MAX_ENTRIES || historyTopicRefs > HISTORY_MAX_TOPIC_REFS) {
      Delivered old = history.removeFirst();
      historyTopicRefs -= old.image().topics().size() + 1;
      historyFloor = old.index();
    }
  }

  private void safely(Subscription s, Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      LOG.error("[{}] metadata listener {} failed; it stays subscribed", name, s.listener, e);
    }
  }

  private void submit(Runnable task) {
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      LOG.debug("[{}] publisher closed, dropping a dispatch task", name);
    }
  }

  @Override
  public void close() {
    executor.shutdown();
    try {
      if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
