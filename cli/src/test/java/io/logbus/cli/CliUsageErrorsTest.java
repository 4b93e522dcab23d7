package io.logbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Bad command lines: exit code 2 and an error naming the problem, no stack trace. */
class CliUsageErrorsTest {

  static void assertUsageError(Cli.Result r, String mentions) {
    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.errLines().get(0)).contains(mentions);
    assertThat(r.err()).doesNotContain("\tat ").doesNotContain("Exception");
  }

  @Test
  void unknownFlagIsAUsageError() {
    assertUsageError(Cli.run("topics", "list", "--no-such-flag"), "--no-such-flag");
  }

  @Test
  void unknownSubcommandIsAUsageError() {
    assertUsageError(Cli.run("topicz"), "topicz");
  }

  @Test
  void nonNumericPartitionsIsAUsageError() {
    assertUsageError(
        Cli.run("topics", "create", "--topic", "t", "--partitions", "abc"), "--partitions");
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "-3"})
  void nonPositivePartitionsIsAUsageError(String n) {
    assertUsageError(
        Cli.run(
            "topics", "create", "--topic", "t", "--partitions", n, "--bootstrap", "127.0.0.1:1"),
        "--partitions must be >= 1");
  }

  @Test
  void missingTopicIsAUsageError() {
    assertUsageError(Cli.run("topics", "create", "--partitions", "3"), "--topic");
  }

  @Test
  void unknownOutputFormatIsAUsageError() {
    assertUsageError(Cli.run("topics", "list", "--output", "yaml"), "--output");
  }

  @Test
  void badAcksIsAUsageError() {
    assertUsageError(
        Cli.run("produce", "--topic", "t", "--acks", "2", "--bootstrap", "127.0.0.1:1"), "acks");
  }

  @Test
  void badCompressionIsAUsageError() {
    assertUsageError(
        Cli.run("produce", "--topic", "t", "--compression", "brotli", "--bootstrap", "127.0.0.1:1"),
        "compression");
  }

  @Test
  void perfProduceSharesTheProducerOptionChecks() {
    assertUsageError(
        Cli.run(
            "perf",
            "produce",
            "--topic",
            "t",
            "--num-records",
            "1",
            "--record-size",
            "1",
            "--acks",
            "2",
            "--bootstrap",
            "127.0.0.1:1"),
        "acks");
  }

  @ParameterizedTest
  @ValueSource(strings = {"produce", "perf produce"})
  void deliveryTimeoutBelowLingerPlusRequestTimeoutIsAUsageError(String command) {
    List<String> args = new ArrayList<>(List.of(command.split(" ")));
    args.addAll(
        List.of("--topic", "t", "--delivery-timeout-ms", "10", "--bootstrap", "127.0.0.1:1"));
    if (command.startsWith("perf")) {
      args.addAll(List.of("--num-records", "1", "--record-size", "1"));
    }
    assertUsageError(Cli.run(args.toArray(String[]::new)), "delivery.timeout.ms");
  }

  @ParameterizedTest
  @ValueSource(strings = {"--batch-size", "--buffer-memory"})
  void nonPositiveBufferSizesAreUsageErrors(String flag) {
    assertUsageError(
        Cli.run("produce", "--topic", "t", flag, "0", "--bootstrap", "127.0.0.1:1"),
        flag.substring(2).replace('-', '.'));
  }

  @Test
  void offsetWithoutPartitionIsAUsageError() {
    assertUsageError(
        Cli.run("consume", "--topic", "t", "--offset", "5"), "--offset needs --partition");
  }

  @Test
  void negativeOffsetIsAUsageError() {
    assertUsageError(
        Cli.run("consume", "--topic", "t", "--partition", "0", "--offset", "-1"), "--offset");
  }

  @Test
  void nodeStartWithMissingConfigIsAUsageError() {
    assertUsageError(
        Cli.run("node", "start", "--config", "/nonexistent/node.properties"), "no such file");
  }

  @Test
  void badBootstrapIsAUsageErrorNamingIt() {
    Cli.Result r = Cli.run("topics", "list", "--bootstrap", "nohostport");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.errLines()).hasSize(1);
    assertThat(r.err()).contains("bootstrap.servers").contains("nohostport");
  }

  @Test
  void noSubcommandPrintsUsageAndExitsTwo() {
    Cli.Result r = Cli.run();
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("Usage: logbus");
  }

  @Test
  void helpListsTheCommandTree() {
    Cli.Result r = Cli.run("--help");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("topics", "produce", "consume", "cluster", "perf", "node");
  }

  @Test
  void perfProduceRejectsZeroRecords() {
    assertUsageError(
        Cli.run("perf", "produce", "--topic", "t", "--num-records", "0", "--record-size", "10"),
        "--num-records");
  }
}
