package io.logbus.client;

import io.logbus.record.CompressionType;
import io.logbus.record.Header;
import io.logbus.record.Record;
import io.logbus.record.RecordBatch;
import io.logbus.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The records of one partition that travel together: open while senders append (under the partition
 * deque's lock), then closed once by the I/O thread into RecordBatch v2 bytes with the producer id
 * and base sequence, then completed exactly once (each record's future and callback in append
 * order). After closing only the I/O thread touches it.
 */
final class ProducerBatch {
  private static final Logger log = LoggerFactory.getLogger(ProducerBatch.class);
  final TopicPartition tp;
  final long createdMs;
  private final CompressionType compression;
  private final List<Thunk> thunks = new ArrayList<>();
  private final CompletableFuture<Void> done = new CompletableFuture<>();
  private RecordBatchBuilder builder;
  private long reservedBytes;
  private boolean full;
  private boolean closedForAppends;
  private ByteBuffer built;
  private int baseSequence = -1;
  private long producerId = -1;
  int attempts;

  /** Went out at least once and no answer since proved the broker does not hold it. */
  boolean maybeWritten;

  long nextAttemptMs;
  RuntimeException lastError;

  ProducerBatch(
      TopicPartition tp, CompressionType compression, long createdMs, int initialCapacity) {
    this.tp = tp;
    this.compression = compression;
    this.createdMs = createdMs;
    this.builder = new RecordBatchBuilder(compression, 0L, initialCapacity);
  }

  /** One record's completion: future, optional callback, sizes for its RecordMetadata. */
  record Thunk(
      CompletableFuture<RecordMetadata> future,
      Callback callback,
      long timestamp,
      int keySize,
      int valueSize) {}

  /**
   * Appends unless the batch already holds a record and this one would cross batchSize; a first
   * record always fits, however large, so oversized records still travel (alone).
   */
  boolean tryAppend(
      long timestamp,
      byte[] key,
      byte[] value,
      List<Header> headers,
      Thunk thunk,
      long estimate,
      int batchSize) {
    if (closedForAppends || full) {
      return false;
    }
    if (builder.recordCount() > 0 && builder.estimatedSizeInBytes() + estimate > batchSize) {
      full = true;
      return false;
    }
    builder.append(timestamp, key, value, headers);
    thunks.add(thunk);
    reservedBytes += estimate;
    if (builder.estimatedSizeInBytes() >= batchSize) {
      full = true;
    }
    return true;
  }

  boolean isFull() {
    return full;
  }

  void markFull() {
    full = true;
  }

  /** Stops appends; called under the deque lock when the I/O thread takes the batch. */
  void closeForAppends() {
    closedForAppends = true;
  }

  int recordCount() {
    return thunks.size();
  }

  long reservedBytes() {
    return reservedBytes;
  }

  CompletableFuture<Void> done() {
    return done;
  }

  boolean isDone() {
    return done.isDone();
  }

  int baseSequence() {
    return baseSequence;
  }

  long producerId() {
    return producerId;
  }

  /** Encodes the batch; sequence -1 (and producerId -1) means not idempotent. */
  ByteBuffer seal(long producerId, short epoch, int baseSequence) {
    if (built != null) {
      throw new IllegalStateException(tp + ": batch already sealed");
    }
    if (producerId >= 0) {
      builder.producer(producerId, epoch, baseSequence);
    }
    built = builder.build();
    builder = null;
    this.baseSequence = producerId >= 0 ? baseSequence : -1;
    this.producerId = producerId;
    return built.duplicate();
  }

  /**
   * Re-encodes a sealed batch under a new producer id and sequence, after the producer id was reset
   * (a sequenced batch failed for good, leaving a gap the broker would never accept).
   */
  ByteBuffer reseal(long newProducerId, short epoch, int newBaseSequence) {
    RecordBatch old = new RecordBatch(built.duplicate());
    RecordBatchBuilder b = new RecordBatchBuilder(compression, 0L);
    b.producer(newProducerId, epoch, newBaseSequence);
    for (Record r : old.records()) {
      b.append(r.timestamp(), r.key(), r.value(), r.headers());
    }
    built = b.build();
    baseSequence = newBaseSequence;
    producerId = newProducerId;
    return built.duplicate();
  }

  boolean isSealed() {
    return built != null;
  }

  ByteBuffer bytes() {
    return built.duplicate();
  }

  void complete(long baseOffset, long logAppendTimeMs) {
    for (int i = 0; i < thunks.size(); i++) {
      Thunk t = thunks.get(i);
      long offset = baseOffset < 0 ? -1 : baseOffset + i;
      long ts = logAppendTimeMs >= 0 ? logAppendTimeMs : t.timestamp();
      RecordMetadata md = new RecordMetadata(tp, offset, ts, t.keySize(), t.valueSize());
      // Callback first, as Kafka does: whoever waits on the future sees the callback's effects.
      if (t.callback() != null) {
        runCallback(t.callback(), md, null);
      }
      t.future().complete(md);
    }
    done.complete(null);
  }

  void fail(RuntimeException error) {
    for (Thunk t : thunks) {
      if (t.callback() != null) {
        runCallback(t.callback(), null, error);
      }
      t.future().completeExceptionally(error);
    }
    done.complete(null);
  }

  private static void runCallback(Callback cb, RecordMetadata md, Exception e) {
    try {
      cb.onCompletion(md, e);
    } catch (RuntimeException thrown) {
      // A user callback must not kill the I/O thread; Kafka logs and carries on likewise.
      log.error("callback threw", thrown);
    }
  }
}
