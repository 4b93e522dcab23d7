package io.logbus.record;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Concatenated record batches in one buffer, as they travel in a produce request, a fetch response,
 * a replication message or a segment file. Each batch is wrapped as a {@link RecordBatch} view (no
 * copy). Positions in error messages count from the buffer's position at the call. The caller's
 * position and limit are never changed.
 *
 * <p>{@link #parse} and {@link #iterator} check structure only (sizes, magic): cheap enough for a
 * fetch path. {@link #validate} also checks every CRC and codec id: what a broker runs on bytes
 * from a producer or from disk recovery. Stateless; thread-safe.
 */
public final class RecordBatches {
  private RecordBatches() {}

  /**
   * Every batch from position to limit.
   *
   * @throws CorruptRecordException on a truncated batch, a batchLength below the header size or
   *     beyond the bytes present, or a magic other than 2
   */
  public static List<RecordBatch> parse(ByteBuffer buffer) {
    List<RecordBatch> batches = new ArrayList<>();
    iterator(buffer).forEachRemaining(batches::add);
    return batches;
  }

  /**
   * {@link #parse} plus {@link RecordBatch#ensureValid()} on every batch.
   *
   * @throws CorruptRecordException as for parse, or on a CRC mismatch (naming the batch's position)
   * @throws InvalidRecordException on an unknown codec id
   */
  public static List<RecordBatch> validate(ByteBuffer buffer) {
    List<RecordBatch> batches = new ArrayList<>();
    BatchIterator it = new BatchIterator(buffer);
    while (it.hasNext()) {
      int position = it.position();
      RecordBatch batch = it.next();
      try {
        batch.ensureValid();
      } catch (CorruptRecordException e) {
        throw new CorruptRecordException("batch at position " + position + ": " + e.getMessage());
      } catch (InvalidRecordException e) {
        throw new InvalidRecordException("batch at position " + position + ": " + e.getMessage());
      }
      batches.add(batch);
    }
    return batches;
  }

  /**
   * Length of the longest prefix made of whole, valid (structure and CRC) batches. Never throws on
   * bad bytes: what log recovery keeps before truncating a torn or corrupt tail.
   */
  public static int validPrefixBytes(ByteBuffer buffer) {
    ByteBuffer view = buffer.slice();
    int position = 0;
    while (position < view.limit()) {
      try {
        int size = RecordBatch.checkHeader(view, position, view.limit() - position, position);
        if (!RecordBatch.ofChecked(view, position, size).isValid()) {
          break;
        }
        position += size;
      } catch (CorruptRecordException e) {
        break;
      }
    }
    return position;
  }

  /**
   * A lazy iterator over the batches; {@code next()} throws {@link CorruptRecordException} where
   * {@link #parse} would.
   */
  public static Iterator<RecordBatch> iterator(ByteBuffer buffer) {
    return new BatchIterator(buffer);
  }

  private static final class BatchIterator implements Iterator<RecordBatch> {
    private final ByteBuffer view;
    private int position;

    BatchIterator(ByteBuffer buffer) {
      this.view = buffer.slice();
    }

    int position() {
      return position;
    }

    @Override
    public boolean hasNext() {
      return position < view.limit();
    }

    @Override
    public RecordBatch next() {
      if (!hasNext()) {
        throw new NoSuchElementException("no batch after position " + position);
      }
      int size = RecordBatch.checkHeader(view, position, view.limit() - position, position);
      RecordBatch batch = RecordBatch.ofChecked(view, position, size);
      position += size;
      return batch;
    }
  }
}
