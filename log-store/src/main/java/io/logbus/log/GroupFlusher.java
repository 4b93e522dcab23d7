package io.logbus.log;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit for all logs of a {@link LogManager}, in the manner of BookKeeper's journal:
 * appenders write their batches and enqueue a durability request ({@link PartitionLog} keeps the
 * waiting futures in offset order); a flusher thread takes a dirty log, fsyncs everything the log
 * has written so far with one {@code fdatasync} per dirty segment, then completes every future the
 * fsync covered, in offset order. Appends that arrive during an fsync wait for the next one, so the
 * number of fsyncs follows the disk's speed, not the append rate.
 *
 * <p>Thread-safe: {@link #requestFlush} may be called from any thread.
 */
final class GroupFlusher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GroupFlusher.class);

  private final LinkedBlockingQueue<PartitionLog> dirty = new LinkedBlockingQueue<>();
  private final Thread[] threads;
  private volatile boolean running = true;

  /**
   * {@code threads} flushers share the queue. A log is queued at most once at a time but may be
   * re-queued while one of its fsyncs is in flight, so with more than one thread the fsyncs of a
   * busy log overlap: the file system commits overlapping fsyncs together, which a single flusher,
   * waiting for each one in turn, cannot exploit. Each fsync completes the futures up to the log
   * end it saw when it started, so completions stay in offset order.
   */
  GroupFlusher(String name, int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("flusher threads must be at least 1, not " + threads);
    }
    this.threads = new Thread[threads];
    for (int i = 0; i < threads; i++) {
      Thread t = new Thread(this::run, name + "-" + i);
      t.setDaemon(true);
      t.start();
      this.threads[i] = t;
    }
  }

  /** Queues {@code log} for a flush unless it already is queued (the log tracks that). */
  void requestFlush(PartitionLog log) {
    if (log.markFlushQueued()) {
      dirty.add(log);
    }
  }

  private void run() {
    while (running) {
      PartitionLog log;
      try {
        log = dirty.poll(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        break;
      }
      if (log == null) {
        continue;
      }
      try {
        log.groupFlush();
      } catch (RuntimeException e) {
        // groupFlush fails the waiting futures itself; this only keeps the thread alive for the
        // other logs.
        LOG.error("[{}] group flush failed", log.name(), e);
      }
    }
  }

  @Override
  public void close() {
    // No interrupt: an interrupt during FileChannel.force would close the segment's channel.
    running = false;
    try {
      for (Thread t : threads) {
        t.join(10_000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
