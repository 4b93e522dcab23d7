package io.logbus.cli;

import io.logbus.client.ConsumerRebalanceListener;
import io.logbus.client.LogbusConsumer;
import io.logbus.client.TopicPartition;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * One group member of {@code perf group}, polling on its own thread (a consumer is used by one
 * thread only). What it owns is what its rebalance listener was told, so readers on other threads
 * see it without touching the consumer.
 */
final class BenchMember implements AutoCloseable {
  private final Set<TopicPartition> owned = ConcurrentHashMap.newKeySet();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final Runnable onChange;
  private final Thread thread;
  private volatile boolean running = true;

  /**
   * Starts polling at once.
   *
   * @param onChange called (on the member's thread) after every change of what it owns
   */
  BenchMember(String name, Supplier<LogbusConsumer> consumers, String topic, Runnable onChange) {
    this.onChange = onChange;
    this.thread = new Thread(() -> run(consumers, topic), name);
    thread.setDaemon(true);
    thread.start();
  }

  private void run(Supplier<LogbusConsumer> consumers, String topic) {
    try (LogbusConsumer consumer = consumers.get()) {
      consumer.subscribe(List.of(topic), new Listener());
      while (running) {
        consumer.poll(Duration.ofMillis(50));
      }
    } catch (Throwable t) {
      failure.set(t);
    } finally {
      owned.clear();
      onChange.run();
    }
  }

  Set<TopicPartition> owned() {
    return Set.copyOf(owned);
  }

  /** What ended the member's thread early, if anything. */
  Throwable failure() {
    return failure.get();
  }

  /** Leaves the group (close() on the member's thread) and waits for it, at most the bound. */
  void close(Duration bound) throws InterruptedException {
    running = false;
    thread.join(bound.toMillis());
  }

  @Override
  public void close() throws InterruptedException {
    close(Duration.ofSeconds(30));
  }

  private final class Listener implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      owned.removeAll(partitions);
      onChange.run();
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      owned.addAll(partitions);
      onChange.run();
    }
  }
}
