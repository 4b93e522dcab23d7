package io.logbus.client;

import java.util.ArrayDeque;

/**
 * What a consumer knows about one assigned partition: its position, a pending seek to the beginning
 * or end, records fetched but not yet returned. Not thread-safe; the consumer's application thread
 * owns it.
 */
final class ConsumerPartitionState {
  Long position;
  OffsetResetStrategy pendingReset;
  boolean paused;
  final ArrayDeque<ConsumerRecord> buffered = new ArrayDeque<>();

  /** The position once every buffered record is returned (past the last fetched batch). */
  long positionAfterBuffer = -1;

  long highWatermark = -1;
  long retryAfterMs;

  /** Forgets the position: the next poll looks it up per the strategy. */
  void reset(OffsetResetStrategy strategy) {
    position = null;
    pendingReset = strategy;
    buffered.clear();
  }
}
