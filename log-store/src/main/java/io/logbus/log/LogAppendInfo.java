package io.logbus.log;

import java.util.concurrent.CompletableFuture;

/**
 * The result of an append: the offsets the batches got (or, for a duplicate, the offsets the
 * original append got), and a future for durability. With flush=group, {@link #durable()} completes
 * on the flusher thread after the fsync that covers {@link #lastOffset()}; with flush=never it is
 * already complete. Callers should not run long work on the flusher thread.
 */
public final class LogAppendInfo {
  private final long firstOffset;
  private final long lastOffset;
  private final long maxTimestamp;
  private final long logAppendTimeMs;
  private final int recordCount;
  private final int validBytes;
  private final boolean duplicate;
  private final CompletableFuture<Void> durable;

  LogAppendInfo(
      long firstOffset,
      long lastOffset,
      long maxTimestamp,
      long logAppendTimeMs,
      int recordCount,
      int validBytes,
      boolean duplicate,
      CompletableFuture<Void> durable) {
    this.firstOffset = firstOffset;
    this.lastOffset = lastOffset;
    this.maxTimestamp = maxTimestamp;
    this.logAppendTimeMs = logAppendTimeMs;
    this.recordCount = recordCount;
    this.validBytes = validBytes;
    this.duplicate = duplicate;
    this.durable = durable;
  }

  public long firstOffset() {
    return firstOffset;
  }

  public long lastOffset() {
    return lastOffset;
  }

  /** Largest batch maxTimestamp of the append (the append time with LogAppendTime). */
  public long maxTimestamp() {
    return maxTimestamp;
  }

  /** The broker time stamped into the batches with LogAppendTime; -1 with CreateTime. */
  public long logAppendTimeMs() {
    return logAppendTimeMs;
  }

  public int recordCount() {
    return recordCount;
  }

  /** Bytes written (0 for a duplicate). */
  public int validBytes() {
    return validBytes;
  }

  /** True if the batches repeat an idempotent producer's earlier batch: nothing was written. */
  public boolean duplicate() {
    return duplicate;
  }

  public CompletableFuture<Void> durable() {
    return durable;
  }

  @Override
  public String toString() {
    return "LogAppendInfo[offsets "
        + firstOffset
        + ".."
        + lastOffset
        + ", "
        + recordCount
        + " records, "
        + validBytes
        + " bytes"
        + (duplicate ? ", duplicate" : "")
        + "]";
  }
}
