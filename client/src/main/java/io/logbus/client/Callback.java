package io.logbus.client;

/**
 * Called once per sent record on the producer's I/O thread, in send order within a partition:
 * exactly one of metadata and exception is non-null. Keep it short: it delays other records.
 */
@FunctionalInterface
public interface Callback {
  void onCompletion(RecordMetadata metadata, Exception exception);
}
