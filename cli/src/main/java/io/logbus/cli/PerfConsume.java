package io.logbus.cli;

import io.logbus.client.ConsumerRecord;
import io.logbus.client.LogbusConsumer;
import io.logbus.client.TopicPartition;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code logbus perf consume}: Kafka's kafka-consumer-perf-test, reading from the beginning. */
@Command(
    name = "consume",
    mixinStandardHelpOptions = true,
    description = "Consumer throughput from the beginning of every partition.")
final class PerfConsume implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ClientOptions client;

  @Option(names = "--topic", required = true, paramLabel = "NAME")
  String topic;

  @Option(names = "--messages", required = true, paramLabel = "N")
  long messages;

  @Option(
      names = "--timeout-ms",
      defaultValue = "10000",
      paramLabel = "MS",
      description = "Give up after MS without a new record. Default: ${DEFAULT-VALUE}.")
  long timeoutMs;

  @Override
  public Integer call() {
    if (messages < 1) {
      throw new ParameterException(spec.commandLine(), "--messages must be >= 1");
    }
    int partitions = Topics.partitionCount(client, topic);
    List<TopicPartition> all = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      all.add(new TopicPartition(topic, p));
    }
    long count = 0;
    long bytes = 0;
    long start = System.nanoTime();
    try (LogbusConsumer consumer =
        LogbusConsumer.builder()
            .bootstrapServers(client.bootstrap)
            .clientId("logbus-perf-consume")
            .maxPollRecords(10_000)
            .build()) {
      consumer.assign(all);
      consumer.seekToBeginning(all);
      long last = System.nanoTime();
      while (count < messages && (System.nanoTime() - last) / 1_000_000 < timeoutMs) {
        List<ConsumerRecord> records = consumer.poll(Duration.ofMillis(200));
        for (ConsumerRecord r : records) {
          count++;
          bytes += r.value() == null ? 0 : r.value().length;
        }
        if (!records.isEmpty()) {
          last = System.nanoTime();
        }
      }
    }
    double secs = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
    PrintWriter out = spec.commandLine().getOut();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("records", count);
    m.put("seconds", Math.round(secs * 100) / 100.0);
    m.put("mb", Math.round(bytes / 1048576.0 * 100) / 100.0);
    m.put("mbPerSec", Math.round(bytes / 1048576.0 / secs * 100) / 100.0);
    m.put("recordsPerSec", Math.round(count / secs * 10) / 10.0);
    if (client.json()) {
      Output.json(out, m);
    } else {
      out.printf(
          "%d records consumed in %.2f s: %.1f records/sec (%.2f MB/sec, %.2f MB total).%n",
          count, secs, count / secs, bytes / 1048576.0 / secs, bytes / 1048576.0);
      out.flush();
    }
    if (count < messages) {
      spec.commandLine()
          .getErr()
          .println(
              "logbus: only "
                  + count
                  + " of "
                  + messages
                  + " records arrived (no new record for "
                  + timeoutMs
                  + " ms)");
      spec.commandLine().getErr().flush();
      return LogbusCli.FAILED;
    }
    return LogbusCli.OK;
  }
}
