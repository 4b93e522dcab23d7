package io.logbus.client;

import java.util.Map;

/** Completion of {@link LogbusConsumer#commitAsync}; runs on the application thread in poll. */
public interface OffsetCommitCallback {
  /**
   * @param offsets the offsets the commit carried (next offset to consume per partition)
   * @param error null on success, else why it failed (an {@link ApiException} for broker errors)
   */
  void onComplete(Map<TopicPartition, Long> offsets, Exception error);
}
