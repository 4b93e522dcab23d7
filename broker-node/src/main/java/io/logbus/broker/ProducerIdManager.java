package io.logbus.broker;

import io.logbus.proto.ErrorCode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;

/**
 * Hands out producer ids for InitProducerId from blocks the controller allocates
 * (AllocateProducerIds), so ids are unique cluster-wide and survive restarts. A new block is asked
 * for only when the current one is used up.
 *
 * <p>Epoch bumps (KIP-360): a producer re-initialising with its own id and epoch gets the same id
 * at the next epoch, without asking anyone: the fencing itself is done by the partitions, whose
 * producer state (replicated with the batches) refuses older epochs once a batch at the new one is
 * stored. This broker also remembers the epochs it handed out (the most recent {@value
 * #TRACKED_PRODUCERS} ids) and refuses a re-init from an epoch older than one of those: that caller
 * has been fenced. Thread-safe.
 */
public final class ProducerIdManager {
  static final int BLOCK_SIZE = 1000;
  static final int TRACKED_PRODUCERS = 10_000;

  /** A producer id and the epoch to write with. */
  public record IssuedProducerId(long producerId, short epoch) {}

  private final int brokerId;
  private final IntFunction<CompletableFuture<Long>> allocateBlock;
  private long next;
  private long end;
  private CompletableFuture<Void> refill;

  /** Epochs handed out by bumps, by producer id, least recently bumped first; guarded by this. */
  private final Map<Long, Short> bumpedEpochs =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Short> eldest) {
          return size() > TRACKED_PRODUCERS;
        }
      };

  /** {@code allocateBlock(count)} answers the first id of a fresh block of {@code count} ids. */
  public ProducerIdManager(int brokerId, IntFunction<CompletableFuture<Long>> allocateBlock) {
    this.brokerId = brokerId;
    this.allocateBlock = allocateBlock;
  }

  /**
   * The next epoch of {@code producerId} for a producer now at {@code epoch}; a new id at epoch 0
   * once the epoch is exhausted. INVALID_REQUEST for impossible values, INVALID_PRODUCER_EPOCH for
   * an epoch older than one this broker already handed out (a fenced producer).
   */
  public CompletableFuture<IssuedProducerId> bumpEpoch(long producerId, int epoch) {
    if (producerId < 0 || epoch < 0 || epoch > Short.MAX_VALUE) {
      return CompletableFuture.failedFuture(
          BrokerException.invalidRequest(
              "producer id must be >= 0 and epoch within 0.."
                  + Short.MAX_VALUE
                  + ", got "
                  + producerId
                  + "/"
                  + epoch));
    }
    synchronized (this) {
      Short issued = bumpedEpochs.get(producerId);
      if (issued != null && epoch < issued) {
        return CompletableFuture.failedFuture(
            new BrokerException(
                ErrorCode.INVALID_PRODUCER_EPOCH,
                "producer "
                    + producerId
                    + " at epoch "
                    + epoch
                    + " is fenced: epoch "
                    + issued
                    + " was handed out since"));
      }
      if (epoch < Short.MAX_VALUE) {
        short next = (short) (epoch + 1);
        bumpedEpochs.put(producerId, next);
        return CompletableFuture.completedFuture(new IssuedProducerId(producerId, next));
      }
    }
    return nextProducerId().thenApply(id -> new IssuedProducerId(id, (short) 0));
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
