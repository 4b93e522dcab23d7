package io.logbus.torture;

import io.logbus.client.LogbusProducer;
import io.logbus.client.ProducerRecord;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write side of a torture run: {@code writers} threads, each with its own idempotent acks=all
 * producer, sending unique values {@code w<writer>-<sequence>} keyed so that every partition gets
 * traffic. Every attempt, acknowledgement and final failure goes into the {@link History}. Each
 * writer keeps at most {@code maxInFlight} sends outstanding and paces itself to {@code
 * recordsPerSecond}, so a stalled cluster shows up as a gap in acknowledgements, not as an
 * unbounded queue.
 */
final class Workload implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Workload.class);

  private final String bootstrap;
  private final String topic;
  private final int writers;
  private final int recordsPerSecond;
  private final int maxInFlight;
  private final History history;
  private final Clock clock;
  private final long startMs;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<Thread> threads = new ArrayList<>();

  Workload(
      String bootstrap,
      String topic,
      int writers,
      int recordsPerSecond,
      History history,
      Clock clock,
      long startMs) {
    this.bootstrap = bootstrap;
    this.topic = topic;
    this.writers = writers;
    this.recordsPerSecond = recordsPerSecond;
    this.maxInFlight = 200;
    this.history = history;
    this.clock = clock;
    this.startMs = startMs;
  }

  void start() {
    for (int w = 0; w < writers; w++) {
      int writer = w;
      Thread thread = new Thread(() -> runWriter(writer), "torture-writer-" + w);
      thread.setDaemon(true);
      threads.add(thread);
      thread.start();
    }
  }

  private void runWriter(int writer) {
    Semaphore inFlight = new Semaphore(maxInFlight);
    long intervalNanos = TimeUnit.SECONDS.toNanos(1) / Math.max(1, recordsPerSecond);
    try (LogbusProducer producer =
        LogbusProducer.builder()
            .bootstrapServers(bootstrap)
            .clientId("torture-writer-" + writer)
            .acks("all")
            .idempotence(true)
            .lingerMs(2)
            .deliveryTimeoutMs(120_000)
            .build()) {
      long next = System.nanoTime();
      for (long seq = 0; running.get(); seq++) {
        String value = "w" + writer + "-" + seq;
        byte[] key = ("k" + writer + "-" + (seq % 64)).getBytes(StandardCharsets.UTF_8);
        if (!inFlight.tryAcquire(1, TimeUnit.SECONDS)) {
          seq--;
          continue;
        }
        history.attempted(value);
        long sequence = seq;
        producer
            .send(new ProducerRecord(topic, key, value.getBytes(StandardCharsets.UTF_8)))
            .whenComplete(
                (meta, error) -> {
                  inFlight.release();
                  long now = clock.millis() - startMs;
                  if (error == null) {
                    history.acked(
                        new History.Ack(
                            value, writer, sequence, meta.partition(), meta.offset(), now));
                  } else {
                    history.failed(new History.Failure(value, String.valueOf(error), now));
                  }
                });
        next += intervalNanos;
        long wait = next - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait); // pacing the offered load, not synchronization
        } else if (wait < -TimeUnit.SECONDS.toNanos(1)) {
          next = System.nanoTime(); // fell behind during an outage: don't burst to catch up
        }
      }
      producer.flush();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.error("[writer-{}] stopped: {}", writer, e.toString());
    }
  }

  /** Stops sending, waits (bounded) for outstanding sends to be acknowledged or to fail. */
  @Override
  public void close() throws InterruptedException {
    running.set(false);
    for (Thread thread : threads) {
      thread.join(Duration.ofMinutes(3).toMillis());
      if (thread.isAlive()) {
        log.error("{} did not finish within 3 minutes", thread.getName());
      }
    }
  }
}
