package io.logbus.client;

import java.util.Collection;

/**
 * Told when the group moves partitions to or from this consumer. Runs on the application thread,
 * inside {@link LogbusConsumer#poll}, {@link LogbusConsumer#unsubscribe} or {@link
 * LogbusConsumer#close}, so it may call the consumer (commitSync, position, seek).
 */
public interface ConsumerRebalanceListener {
  /**
   * The partitions are taken away; the consumer has stopped returning their records, and their
   * positions are still known: commit them here if auto commit is off. Runs before the coordinator
   * learns they are released, so no other member reads them yet.
   */
  void onPartitionsRevoked(Collection<TopicPartition> partitions);

  /** The partitions are now this consumer's; their positions are set (committed or reset). */
  void onPartitionsAssigned(Collection<TopicPartition> partitions);

  /**
   * The partitions were lost without an orderly revocation (the member was fenced or its session
   * expired): others may already own them, so committing is pointless.
   */
  default void onPartitionsLost(Collection<TopicPartition> partitions) {
    onPartitionsRevoked(partitions);
  }
}
