package io.logbus.cli;

import io.logbus.client.LogbusProducer;
import io.logbus.client.ProducerRecord;
import java.io.PrintWriter;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code logbus perf produce}: Kafka's kafka-producer-perf-test. */
@Command(
    name = "produce",
    mixinStandardHelpOptions = true,
    description = "Producer throughput and latency (send to acknowledgement).")
final class PerfProduce implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ClientOptions client;

  @Option(names = "--topic", required = true, paramLabel = "NAME")
  String topic;

  @Option(names = "--num-records", required = true, paramLabel = "N")
  long numRecords;

  @Option(names = "--record-size", required = true, paramLabel = "BYTES")
  int recordSize;

  @Option(
      names = "--throughput",
      defaultValue = "-1",
      paramLabel = "R",
      description = "Records per second at most; -1 = no limit.")
  long throughput;

  @Mixin ProducerOptions producerOptions;

  @Option(names = "--reporting-interval-ms", defaultValue = "5000", paramLabel = "MS")
  long reportingIntervalMs;

  @Override
  public Integer call() throws InterruptedException {
    if (numRecords < 1) {
      throw new ParameterException(spec.commandLine(), "--num-records must be >= 1");
    }
    if (recordSize < 0) {
      throw new ParameterException(spec.commandLine(), "--record-size must be >= 0");
    }
    if (reportingIntervalMs < 1) {
      throw new ParameterException(spec.commandLine(), "--reporting-interval-ms must be >= 1");
    }
    LogbusProducer.Builder builder = producerOptions.builder(client, "logbus-perf");
    Topics.partitionCount(client, topic);
    byte[] payload = new byte[recordSize];
    Random random = new Random(0);
    for (int i = 0; i < payload.length; i++) {
      payload[i] = (byte) ('A' + random.nextInt(26));
    }
    PrintWriter out = spec.commandLine().getOut();
    long start = System.nanoTime();
    LatencyStats stats = new LatencyStats(start);
    AtomicLong failed = new AtomicLong();
    AtomicReference<Exception> firstError = new AtomicReference<>();
    Throttle throttle = new Throttle(throughput, start);
    long nextReport = start + reportingIntervalMs * 1_000_000;
    try (LogbusProducer producer = builder.build()) {
      for (long i = 0; i < numRecords; i++) {
        long sentAt = System.nanoTime();
        producer.send(
            new ProducerRecord(topic, null, payload),
            (md, e) -> {
              if (e != null) {
                failed.incrementAndGet();
                firstError.compareAndSet(null, e);
              } else {
                stats.record((System.nanoTime() - sentAt) / 1000, recordSize);
              }
            });
        throttle.pace(i + 1);
        long now = System.nanoTime();
        if (!client.json() && now >= nextReport) {
          stats.printWindow(out, "sent", now);
          nextReport = now + reportingIntervalMs * 1_000_000;
        }
      }
      producer.flush();
    }
    Map<String, Object> summary = stats.summary(System.nanoTime());
    summary.put("failed", failed.get());
    if (client.json()) {
      Output.json(out, summary);
    } else {
      out.println(LatencyStats.summaryLine(summary, "sent"));
      out.flush();
    }
    if (failed.get() > 0) {
      spec.commandLine()
          .getErr()
          .println(
              "logbus: "
                  + failed.get()
                  + " records failed: "
                  + LogbusCli.describe(firstError.get()));
      spec.commandLine().getErr().flush();
      return LogbusCli.FAILED;
    }
    return LogbusCli.OK;
  }
}
