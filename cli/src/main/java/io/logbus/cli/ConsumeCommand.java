package io.logbus.cli;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.logbus.client.ConsumerRecord;
import io.logbus.client.LogbusConsumer;
import io.logbus.client.OffsetResetStrategy;
import io.logbus.client.TopicPartition;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code logbus consume}: Kafka's console consumer with manual assignment. Values to stdout, one
 * per line; exits after --max-messages, or after --timeout-ms without a new record (0 if it printed
 * any, else 1).
 */
@Command(
    name = "consume",
    mixinStandardHelpOptions = true,
    description = "Print records of a topic, one per line.")
final class ConsumeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ClientOptions client;

  @Option(names = "--topic", required = true, paramLabel = "NAME")
  String topic;

  @Option(names = "--from-beginning", description = "Start at the first offset (else the end).")
  boolean fromBeginning;

  @Option(names = "--partition", paramLabel = "P", description = "Only this partition.")
  Integer partition;

  @Option(
      names = "--offset",
      paramLabel = "O",
      description = "Start offset in --partition: a number, earliest or latest.")
  String offset;

  @Option(names = "--print-key", description = "Print KEY SEPARATOR VALUE.")
  boolean printKey;

  @Option(names = "--key-separator", defaultValue = "\t", paramLabel = "S")
  String keySeparator;

  @Option(names = "--max-messages", paramLabel = "N", description = "Exit after N records.")
  Long maxMessages;

  @Option(
      names = "--timeout-ms",
      paramLabel = "MS",
      description = "Exit after MS without a new record.")
  Long timeoutMs;

  @Option(names = "--group", paramLabel = "G", description = "Consumer group (not yet).")
  String group;

  @Override
  public Integer call() {
    validate();
    int partitions = Topics.checkPartition(client, topic, partition);
    List<TopicPartition> assignment = new ArrayList<>();
    if (partition != null) {
      assignment.add(new TopicPartition(topic, partition));
    } else {
      for (int p = 0; p < partitions; p++) {
        assignment.add(new TopicPartition(topic, p));
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    long printed = 0;
    try (LogbusConsumer consumer =
        LogbusConsumer.builder()
            .bootstrapServers(client.bootstrap)
            .clientId("logbus-consume")
            .autoOffsetReset(
                fromBeginning ? OffsetResetStrategy.EARLIEST : OffsetResetStrategy.LATEST)
            .requestTimeoutMs(Math.min(client.requestTimeoutMs, 10_000))
            .defaultApiTimeoutMs(client.requestTimeoutMs)
            .build()) {
      consumer.assign(assignment);
      if (offset != null) {
        switch (offset) {
          case "earliest" -> consumer.seekToBeginning(assignment);
          case "latest" -> consumer.seekToEnd(assignment);
          default -> consumer.seek(assignment.get(0), Long.parseLong(offset));
        }
      } else if (fromBeginning) {
        consumer.seekToBeginning(assignment);
      } else {
        consumer.seekToEnd(assignment);
      }
      long lastProgress = System.nanoTime();
      while (maxMessages == null || printed < maxMessages) {
        List<ConsumerRecord> records = consumer.poll(Duration.ofMillis(200));
        for (ConsumerRecord r : records) {
          if (maxMessages != null && printed >= maxMessages) {
            break;
          }
          if (printKey) {
            out.print(text(r.key()));
            out.print(keySeparator);
          }
          out.println(text(r.value()));
          printed++;
        }
        out.flush();
        if (!records.isEmpty()) {
          lastProgress = System.nanoTime();
        } else if (timeoutMs != null
            && (System.nanoTime() - lastProgress) / 1_000_000 >= timeoutMs) {
          break;
        }
      }
    }
    if (printed == 0) {
      PrintWriter err = spec.commandLine().getErr();
      err.println("logbus: no record of " + topic + " within " + timeoutMs + " ms");
      err.flush();
      return LogbusCli.FAILED;
    }
    return LogbusCli.OK;
  }

  private void validate() {
    if (group != null) {
      throw new ParameterException(
          spec.commandLine(), "--group: consumer groups are not supported by this build yet");
    }
    if (offset != null && partition == null) {
      throw new ParameterException(spec.commandLine(), "--offset needs --partition");
    }
    if (offset != null && !offset.equals("earliest") && !offset.equals("latest")) {
      try {
        if (Long.parseLong(offset) < 0) {
          throw new NumberFormatException();
        }
      } catch (NumberFormatException e) {
        throw new ParameterException(
            spec.commandLine(),
            "--offset must be a number >= 0, earliest or latest, got '" + offset + "'");
      }
    }
    if (partition != null && partition < 0) {
      throw new ParameterException(
          spec.commandLine(), "--partition must be >= 0, got " + partition);
    }
    if (maxMessages != null && maxMessages < 1) {
      throw new ParameterException(spec.commandLine(), "--max-messages must be >= 1");
    }
    if (timeoutMs != null && timeoutMs < 0) {
      throw new ParameterException(spec.commandLine(), "--timeout-ms must be >= 0");
    }
  }

  private static String text(byte[] bytes) {
    return bytes == null ? "null" : new String(bytes, UTF_8);
  }
}
