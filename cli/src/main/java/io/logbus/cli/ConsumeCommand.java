package io.logbus.cli;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.logbus.client.ConsumerRecord;
import io.logbus.client.LogbusConsumer;
import io.logbus.client.OffsetResetStrategy;
import io.logbus.client.TopicPartition;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code logbus consume}: Kafka's console consumer, with manual assignment or as a member of a
 * consumer group. Values to stdout, one per line; exits after --max-messages, or after --timeout-ms
 * without a new record (0 if it printed any, else 1).
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

  @Option(
      names = "--group",
      paramLabel = "G",
      description =
          "Consume as a member of group G: the group assigns partitions and the consumer commits"
              + " what it printed (auto commit, and once more on exit). --from-beginning then"
              + " applies only where G has no committed offset.")
  String group;

  /** Set by the shutdown hook (Ctrl-C): the loop ends, commits and leaves the group. */
  private volatile boolean stopping;

  @Override
  public Integer call() {
    validate();
    int partitions = Topics.checkPartition(client, topic, partition);
    PrintWriter out = spec.commandLine().getOut();
    long printed;
    CountDownLatch done = new CountDownLatch(1);
    Thread hook = group == null ? null : commitOnSignal(done);
    try (LogbusConsumer consumer = consumer()) {
      if (group == null) {
        assign(consumer, partitions);
      } else {
        consumer.subscribe(List.of(topic));
      }
      printed = printRecords(consumer, out);
      if (group != null) {
        consumer.commitSync();
      }
    } finally {
      done.countDown();
      if (hook != null) {
        removeHook(hook);
      }
    }
    if (printed == 0 && !stopping) {
      PrintWriter err = spec.commandLine().getErr();
      err.println("logbus: no record of " + topic + " within " + timeoutMs + " ms");
      err.flush();
      return LogbusCli.FAILED;
    }
    return LogbusCli.OK;
  }

  private LogbusConsumer consumer() {
    LogbusConsumer.Builder builder =
        LogbusConsumer.builder()
            .bootstrapServers(client.bootstrap)
            .clientId("logbus-consume")
            .autoOffsetReset(
                fromBeginning ? OffsetResetStrategy.EARLIEST : OffsetResetStrategy.LATEST)
            .requestTimeoutMs(Math.min(client.requestTimeoutMs, 10_000))
            .defaultApiTimeoutMs(client.requestTimeoutMs);
    if (group != null) {
      builder.groupId(group).enableAutoCommit(true);
    }
    return builder.build();
  }

  private void assign(LogbusConsumer consumer, int partitions) {
    List<TopicPartition> assignment = new ArrayList<>();
    if (partition != null) {
      assignment.add(new TopicPartition(topic, partition));
    } else {
      for (int p = 0; p < partitions; p++) {
        assignment.add(new TopicPartition(topic, p));
      }
    }
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
  }

  /**
   * Prints until --max-messages, --timeout-ms without a record, or a signal. When it stops inside a
   * polled batch, a group consumer is moved back to the first record not printed, so what the group
   * commits is exactly what was printed.
   */
  private long printRecords(LogbusConsumer consumer, PrintWriter out) {
    long printed = 0;
    long lastProgress = System.nanoTime();
    while (!stopping && (maxMessages == null || printed < maxMessages)) {
      List<ConsumerRecord> records = consumer.poll(Duration.ofMillis(200));
      Map<TopicPartition, Long> notPrinted = new HashMap<>();
      for (ConsumerRecord r : records) {
        if (maxMessages != null && printed >= maxMessages) {
          notPrinted.merge(r.topicPartition(), r.offset(), Math::min);
          continue;
        }
        if (printKey) {
          out.print(text(r.key()));
          out.print(keySeparator);
        }
        out.println(text(r.value()));
        printed++;
      }
      out.flush();
      if (group != null) {
        notPrinted.forEach(consumer::seek);
      }
      if (!records.isEmpty()) {
        lastProgress = System.nanoTime();
      } else if (timeoutMs != null && (System.nanoTime() - lastProgress) / 1_000_000 >= timeoutMs) {
        break;
      }
    }
    return printed;
  }

  /** Ctrl-C ends the loop instead of the JVM, so the group gets its last commit and a leave. */
  private Thread commitOnSignal(CountDownLatch done) {
    Thread hook =
        new Thread(
            () -> {
              stopping = true;
              try {
                done.await(client.requestTimeoutMs, TimeUnit.MILLISECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "logbus-consume-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    return hook;
  }

  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running: it waits for this very call to finish
    }
  }

  private void validate() {
    if (group != null) {
      GroupOption.check(spec.commandLine(), group);
      if (partition != null || offset != null) {
        throw new ParameterException(
            spec.commandLine(),
            "--group cannot be combined with --partition or --offset: the group assigns"
                + " partitions and resumes from its committed offsets");
      }
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
