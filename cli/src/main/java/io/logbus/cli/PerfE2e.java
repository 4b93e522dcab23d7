package io.logbus.cli;

import io.logbus.client.ConsumerRecord;
import io.logbus.client.Futures;
import io.logbus.client.LogbusConsumer;
import io.logbus.client.LogbusProducer;
import io.logbus.client.ProducerRecord;
import io.logbus.client.TopicPartition;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code logbus perf e2e}: Kafka's EndToEndLatency. Sends one record at a time to partition 0 and
 * waits until a consumer reads it back; the latency is send to receipt.
 */
@Command(
    name = "e2e",
    mixinStandardHelpOptions = true,
    description = "End-to-end latency: produce one record, consume it, repeat.")
final class PerfE2e implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ClientOptions client;

  @Option(names = "--topic", required = true, paramLabel = "NAME")
  String topic;

  @Option(names = "--num-records", required = true, paramLabel = "N")
  long numRecords;

  @Option(names = "--record-size", defaultValue = "100", paramLabel = "BYTES")
  int recordSize;

  @Option(names = "--acks", defaultValue = "all", paramLabel = "all|1|0")
  String acks;

  @Override
  public Integer call() {
    if (numRecords < 1) {
      throw new ParameterException(spec.commandLine(), "--num-records must be >= 1");
    }
    if (recordSize < 8) {
      throw new ParameterException(spec.commandLine(), "--record-size must be >= 8");
    }
    Topics.partitionCount(client, topic);
    TopicPartition tp = new TopicPartition(topic, 0);
    long start = System.nanoTime();
    LatencyStats stats = new LatencyStats(start);
    try (LogbusProducer producer =
            LogbusProducer.builder()
                .bootstrapServers(client.bootstrap)
                .clientId("logbus-e2e")
                .acks(acks)
                .lingerMs(0)
                .build();
        LogbusConsumer consumer =
            LogbusConsumer.builder()
                .bootstrapServers(client.bootstrap)
                .clientId("logbus-e2e")
                .fetchMaxWaitMs(100)
                .build()) {
      consumer.assign(List.of(tp));
      consumer.seekToEnd(List.of(tp));
      consumer.position(tp);
      for (long i = 0; i < numRecords; i++) {
        byte[] value = new byte[recordSize];
        java.nio.ByteBuffer.wrap(value).putLong(i);
        long sent = System.nanoTime();
        Futures.get(producer.send(new ProducerRecord(topic, 0, null, value)));
        boolean seen = false;
        while (!seen) {
          if ((System.nanoTime() - sent) / 1_000_000 > client.requestTimeoutMs) {
            throw new io.logbus.client.ClientTimeoutException(
                "record " + i + " was not consumed within " + client.requestTimeoutMs + " ms");
          }
          for (ConsumerRecord r : consumer.poll(Duration.ofMillis(100))) {
            if (java.nio.ByteBuffer.wrap(r.value()).getLong() == i) {
              seen = true;
            }
          }
        }
        stats.record((System.nanoTime() - sent) / 1000, recordSize);
      }
    }
    Map<String, Object> s = stats.summary(System.nanoTime());
    PrintWriter out = spec.commandLine().getOut();
    if (client.json()) {
      Output.json(out, s);
    } else {
      out.printf(
          "%d records, avg latency %.2f ms, p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms.%n",
          s.get("records"),
          s.get("avgLatencyMs"),
          s.get("p50Ms"),
          s.get("p99Ms"),
          s.get("p999Ms"),
          s.get("maxLatencyMs"));
      out.flush();
    }
    return LogbusCli.OK;
  }
}
