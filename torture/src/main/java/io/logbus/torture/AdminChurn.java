package io.logbus.torture;

import io.logbus.client.LogbusAdmin;
import io.logbus.client.NewTopic;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Background metadata traffic during a run: create a scratch topic, add a partition to it, delete
 * it, again and again, so controller work and partition moves overlap with faults. Failures are
 * expected while the quorum is down and are counted in the history, not judged: the checker judges
 * data only.
 */
final class AdminChurn implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AdminChurn.class);

  private final LogbusAdmin admin;
  private final String prefix;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final History history;
  private final Thread thread;

  AdminChurn(LogbusAdmin admin, String prefix, History history) {
    this.admin = admin;
    this.prefix = prefix;
    this.history = history;
    this.thread = new Thread(this::run, "torture-admin-churn");
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  private void run() {
    for (int round = 0; running.get(); round++) {
      String name = prefix + "-" + round;
      try {
        admin.createTopic(new NewTopic(name, 2, 2)).get(30, TimeUnit.SECONDS);
        admin.createPartitions(name, 3).get(30, TimeUnit.SECONDS);
        admin.deleteTopics(List.of(name)).get(30, TimeUnit.SECONDS);
        history.count("admin_rounds");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception e) {
        history.count("admin_round_failures");
        log.info("admin churn round {} failed: {}", round, e.toString());
      }
      try {
        Await.hold(Duration.ofSeconds(3).toMillis()); // pacing, not synchronization
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    thread.interrupt();
    thread.join(TimeUnit.SECONDS.toMillis(60));
    log.info(
        "admin churn: {} rounds completed, {} failed",
        history.counters().getOrDefault("admin_rounds", 0L),
        history.counters().getOrDefault("admin_round_failures", 0L));
  }
}
