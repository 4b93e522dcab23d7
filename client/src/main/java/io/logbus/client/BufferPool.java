package io.logbus.client;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Counts the bytes of records accepted but not yet acknowledged against buffer.memory. Senders
 * reserve before appending and block (bounded by max.block.ms) while the pool is exhausted; the I/O
 * thread releases when a batch completes. Thread-safe.
 */
final class BufferPool {
  private final long total;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition freed = lock.newCondition();
  private long available;
  private int waiters;

  BufferPool(long total) {
    this.total = total;
    this.available = total;
  }

  long total() {
    return total;
  }

  /** Reserves bytes, waiting up to maxWaitMs; false if the time ran out first. */
  boolean reserve(long bytes, long maxWaitMs) throws InterruptedException {
    if (bytes > total) {
      throw new IllegalArgumentException(bytes + " bytes exceed buffer.memory=" + total);
    }
    long remainingNs = TimeUnit.MILLISECONDS.toNanos(maxWaitMs);
    lock.lock();
    try {
      waiters++;
      try {
        while (available < bytes) {
          if (remainingNs <= 0) {
            return false;
          }
          remainingNs = freed.awaitNanos(remainingNs);
        }
      } finally {
        waiters--;
      }
      available -= bytes;
      return true;
    } finally {
      lock.unlock();
    }
  }

  void release(long bytes) {
    lock.lock();
    try {
      available += bytes;
      freed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** True while a sender waits for memory: the I/O thread then sends without lingering. */
  boolean exhausted() {
    lock.lock();
    try {
      return waiters > 0;
    } finally {
      lock.unlock();
    }
  }

  long available() {
    lock.lock();
    try {
      return available;
    } finally {
      lock.unlock();
    }
  }
}
