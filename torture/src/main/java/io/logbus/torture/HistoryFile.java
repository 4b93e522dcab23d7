package io.logbus.torture;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes a run's whole history (every acknowledgement, failed send, fault, node event, commit
 * observation and received record) beside its node logs, so a violation can be traced to the moment
 * and the client that caused it. The JSON report keeps only figures and examples.
 */
final class HistoryFile {
  private HistoryFile() {}

  static void write(Path file, long workloadStartEpochMs, History history) throws IOException {
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("workloadStartEpochMs", workloadStartEpochMs);
    all.put("faults", history.faults());
    all.put("nodeEvents", history.nodeEvents());
    all.put("counters", history.counters());
    all.put("failures", history.failures());
    all.put("acks", history.acks());
    all.put("commits", history.commits());
    all.put("resets", history.resets());
    all.put("consumed", history.consumed());
    Files.createDirectories(file.getParent());
    new ObjectMapper().writeValue(file.toFile(), all);
  }
}
