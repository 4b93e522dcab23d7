package io.logbus.cli;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.logbus.client.LogbusProducer;
import io.logbus.client.ProducerRecord;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code logbus produce}: Kafka's console producer. One record per stdin line; exits 0 only after
 * every line was acknowledged.
 */
@Command(
    name = "produce",
    mixinStandardHelpOptions = true,
    description = "Send one record per line of standard input.")
final class ProduceCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @ParentCommand LogbusCli root;
  @Mixin ClientOptions client;

  @Option(names = "--topic", required = true, paramLabel = "NAME")
  String topic;

  @Option(
      names = "--key-separator",
      paramLabel = "S",
      description = "Each line is KEY S VALUE (split at the first S); without it, no keys.")
  String keySeparator;

  @Option(names = "--partition", paramLabel = "P", description = "Send every line to P.")
  Integer partition;

  @Mixin ProducerOptions producerOptions;

  @Override
  public Integer call() throws IOException {
    if (keySeparator != null && keySeparator.isEmpty()) {
      throw new ParameterException(spec.commandLine(), "--key-separator must not be empty");
    }
    if (partition != null && partition < 0) {
      throw new ParameterException(
          spec.commandLine(), "--partition must be >= 0, got " + partition);
    }
    LogbusProducer.Builder builder = producerOptions.builder(client, "logbus-produce");
    Topics.checkPartition(client, topic, partition);
    AtomicLong failed = new AtomicLong();
    AtomicReference<Exception> firstError = new AtomicReference<>();
    long lines = 0;
    try (LogbusProducer producer = builder.build();
        BufferedReader reader = new BufferedReader(new InputStreamReader(root.in(), UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        lines++;
        byte[] key = null;
        String value = line;
        if (keySeparator != null) {
          int at = line.indexOf(keySeparator);
          if (at < 0) {
            throw new io.logbus.client.LogbusException(
                "line " + lines + " has no key separator '" + keySeparator + "'");
          }
          key = line.substring(0, at).getBytes(UTF_8);
          value = line.substring(at + keySeparator.length());
        }
        producer.send(
            new ProducerRecord(topic, partition, key, value.getBytes(UTF_8)),
            (md, e) -> {
              if (e != null) {
                failed.incrementAndGet();
                firstError.compareAndSet(null, e);
              }
            });
      }
      producer.flush();
    }
    if (failed.get() > 0) {
      PrintWriter err = spec.commandLine().getErr();
      err.println(
          "logbus: "
              + failed.get()
              + " of "
              + lines
              + " records failed: "
              + LogbusCli.describe(firstError.get()));
      err.flush();
      return LogbusCli.FAILED;
    }
    return LogbusCli.OK;
  }
}
