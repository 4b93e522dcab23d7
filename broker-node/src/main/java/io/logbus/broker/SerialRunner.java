package io.logbus.broker;

import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs a task on an executor, never twice at once, and again if it was asked for while running:
 * "wake-ups" from many threads (appends, HW moves, onReady) collapse into one pass. This is how a
 * stream's sender serializes its {@code onNext} calls without holding a lock across them.
 */
final class SerialRunner {
  private final Executor executor;
  private final Runnable task;
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private volatile boolean dirty;

  SerialRunner(Executor executor, Runnable task) {
    this.executor = executor;
    this.task = task;
  }

  void wake() {
    dirty = true;
    if (scheduled.compareAndSet(false, true)) {
      executor.execute(this::run);
    }
  }

  private void run() {
    while (true) {
      dirty = false;
      try {
        task.run();
      } finally {
        scheduled.set(false);
      }
      // A wake-up that came while the task ran found `scheduled` set and left it to us.
      if (!dirty || !scheduled.compareAndSet(false, true)) {
        return;
      }
    }
  }
}
