package io.logbus.broker;

import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;

/**
 * Hands out producer ids for InitProducerId from blocks the controller allocates
 * (AllocateProducerIds), so ids are unique cluster-wide and survive restarts. A new block is asked
 * for only when the current one is used up. Thread-safe.
 */
public final class ProducerIdManager {
  static final int BLOCK_SIZE = 1000;

  private final int brokerId;
  private final IntFunction<CompletableFuture<Long>> allocateBlock;
  private long next;
  private long end;
  private CompletableFuture<Void> refill;

  /** {@code allocateBlock(count)} answers the first id of a fresh block of {@code count} ids. */
  public ProducerIdManager(int brokerId, IntFunction<CompletableFuture<Long>> allocateBlock) {
    this.brokerId = brokerId;
    this.allocateBlock = allocateBlock;
  }

  public CompletableFuture<Long> nextProducerId() {
    CompletableFuture<Void> waitFor;
    synchronized (this) {
      if (next < end) {
        return CompletableFuture.completedFuture(next++);
      }
      if (refill == null) {
        CompletableFuture<Void> r = new CompletableFuture<>();
        refill = r;
        waitFor = r;
        allocateBlock
            .apply(BLOCK_SIZE)
            .whenComplete(
                (first, failure) -> {
                  synchronized (this) {
                    refill = null;
                    if (failure == null) {
                      next = first;
                      end = first + BLOCK_SIZE;
                    }
                  }
                  if (failure != null) {
                    r.completeExceptionally(failure);
                  } else {
                    r.complete(null);
                  }
                });
      } else {
        waitFor = refill;
      }
    }
    return waitFor.thenCompose(v -> nextProducerId());
  }

  @Override
  public String toString() {
    return "ProducerIdManager[node-" + brokerId + "]";
  }
}
