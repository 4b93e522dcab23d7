package io.logbus.torture;

import io.logbus.record.Record;
import io.logbus.record.RecordBatch;
import io.logbus.record.RecordBatches;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads one replica's partition straight from its segment files ({@code <20-digit base
 * offset>.log}), bypassing the broker, so the checker can compare what each replica really stored.
 * The node may still be writing: each file is read up to its longest valid prefix (whole batches
 * with a good CRC), which is all a reader below the high watermark needs.
 */
final class ReplicaLogReader {
  private ReplicaLogReader() {}

  /** Every record in {@code partitionDir} with an offset below {@code endOffsetExclusive}. */
  static List<StoredRecord> read(Path partitionDir, long endOffsetExclusive) throws IOException {
    List<StoredRecord> records = new ArrayList<>();
    if (!Files.isDirectory(partitionDir)) {
      return records;
    }
    List<Path> segments;
    try (Stream<Path> files = Files.list(partitionDir)) {
      segments =
          files.filter(p -> p.getFileName().toString().matches("\\d{20}\\.log")).sorted().toList();
    }
    for (Path segment : segments) {
      ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(segment));
      bytes.limit(RecordBatches.validPrefixBytes(bytes.duplicate()));
      for (RecordBatch batch : RecordBatches.parse(bytes)) {
        for (Record record : batch.records()) {
          if (record.offset() >= endOffsetExclusive) {
            return records;
          }
          byte[] value = record.value();
          records.add(
              new StoredRecord(
                  record.offset(),
                  value == null ? null : new String(value, StandardCharsets.UTF_8)));
        }
      }
    }
    return records;
  }
}
