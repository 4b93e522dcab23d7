package io.logbus.group;

import io.logbus.record.RecordBatch;
import io.logbus.record.RecordBatches;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * An in-memory {@link OffsetsLog} for state-machine tests: assigns offsets like a leader (rewrites
 * the batch's base offset), keeps the batch bytes, reads them back. With {@link #hold()} appends
 * stay pending until {@link #release()}, to check that answers wait for the write; {@link
 * #failAppends} makes them fail.
 */
final class MemoryOffsetsLog implements OffsetsLog {

  private final Map<Integer, List<ByteBuffer>> batches = new HashMap<>();
  private final Map<Integer, Long> ends = new HashMap<>();
  private final List<Runnable> held = new ArrayList<>();
  private boolean holding;
  private boolean failing;
  int appends;

  synchronized void hold() {
    holding = true;
  }

  synchronized void failAppends(boolean fail) {
    failing = fail;
  }

  void release() {
    List<Runnable> run;
    synchronized (this) {
      holding = false;
      run = new ArrayList<>(held);
      held.clear();
    }
    run.forEach(Runnable::run);
  }

  synchronized long endOffset(int partition) {
    return ends.getOrDefault(partition, 0L);
  }

  @Override
  public synchronized CompletableFuture<Long> append(int partition, ByteBuffer data) {
    if (failing) {
      return CompletableFuture.failedFuture(new IllegalStateException("not enough replicas"));
    }
    appends++;
    long base = ends.getOrDefault(partition, 0L);
    long next = base;
    ByteBuffer copy = ByteBuffer.allocate(data.remaining()).put(data.duplicate()).flip();
    for (RecordBatch b : RecordBatches.validate(copy)) {
      b.setBaseOffset(next);
      next = b.lastOffset() + 1;
    }
    batches.computeIfAbsent(partition, p -> new ArrayList<>()).add(copy);
    ends.put(partition, next);
    CompletableFuture<Long> done = new CompletableFuture<>();
    if (holding) {
      held.add(() -> done.complete(base));
    } else {
      done.complete(base);
    }
    return done;
  }

  @Override
  public synchronized CompletableFuture<ByteBuffer> read(int partition, long from, int maxBytes) {
    ByteBuffer out = ByteBuffer.allocate(0);
    for (ByteBuffer b : batches.getOrDefault(partition, List.of())) {
      RecordBatch batch = RecordBatches.parse(b.duplicate()).get(0);
      if (batch.lastOffset() >= from) {
        out = b.duplicate();
        break;
      }
    }
    return CompletableFuture.completedFuture(out);
  }
}
