package io.logbus.cli;

import static io.logbus.cli.CliUsageErrorsTest.assertUsageError;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Bad command lines of the consumer-group commands: exit 2 naming the flag, before any call. */
class GroupsUsageErrorsTest {
  private static final String NOWHERE = "127.0.0.1:1";

  private static Cli.Result reset(String... args) {
    List<String> all =
        new ArrayList<>(List.of("groups", "reset-offsets", "--group", "g", "--bootstrap", NOWHERE));
    all.addAll(List.of(args));
    return Cli.run(all.toArray(String[]::new));
  }

  @Test
  void groupsWithoutSubcommandPrintsUsage() {
    Cli.Result r = Cli.run("groups");
    assertUsageError(r, "Usage: logbus groups");
  }

  @ParameterizedTest
  @ValueSource(strings = {"describe", "delete", "reset-offsets"})
  void missingGroupIsAUsageError(String command) {
    assertUsageError(Cli.run("groups", command, "--bootstrap", NOWHERE), "--group");
  }

  @ParameterizedTest
  @ValueSource(strings = {"describe", "delete"})
  void blankGroupIsAUsageError(String command) {
    assertUsageError(
        Cli.run("groups", command, "--group", "  ", "--bootstrap", NOWHERE),
        "--group must not be blank");
  }

  @Test
  void blankGroupOfResetIsAUsageError() {
    assertUsageError(
        Cli.run(
            "groups",
            "reset-offsets",
            "--group",
            "",
            "--topic",
            "t",
            "--to-earliest",
            "--execute",
            "--bootstrap",
            NOWHERE),
        "--group must not be blank");
  }

  @Test
  void resetWithoutASpecIsAUsageError() {
    assertUsageError(reset("--topic", "t", "--execute"), "--to-earliest");
  }

  @Test
  void resetWithTwoSpecsIsAUsageError() {
    assertUsageError(
        reset("--topic", "t", "--to-earliest", "--to-offset", "3", "--execute"),
        "mutually exclusive");
  }

  @Test
  void resetWithoutDryRunOrExecuteIsAUsageError() {
    assertUsageError(reset("--topic", "t", "--to-earliest"), "--dry-run");
  }

  @Test
  void resetWithBothDryRunAndExecuteIsAUsageError() {
    assertUsageError(
        reset("--topic", "t", "--to-earliest", "--dry-run", "--execute"), "mutually exclusive");
  }

  @Test
  void resetWithoutTopicIsAUsageError() {
    assertUsageError(reset("--to-earliest", "--execute"), "--topic");
  }

  @ParameterizedTest
  @CsvSource({"t:x", "t:-1", "t:", "t:1:2", "t:99999999999"})
  void badPartitionAfterTheColonIsAUsageError(String topic) {
    assertUsageError(reset("--topic", topic, "--to-earliest", "--execute"), "'" + topic + "'");
  }

  @ParameterizedTest
  @ValueSource(strings = {":3", " :0", ""})
  void missingTopicNameIsAUsageError(String topic) {
    assertUsageError(reset("--topic", topic, "--to-earliest", "--execute"), "topic name");
  }

  @Test
  void negativeToOffsetIsAUsageError() {
    assertUsageError(
        reset("--topic", "t", "--to-offset", "-5", "--execute"), "--to-offset must be >= 0");
  }

  @ParameterizedTest
  @ValueSource(strings = {"--to-offset", "--shift-by"})
  void nonNumericOffsetIsAUsageError(String flag) {
    assertUsageError(reset("--topic", "t", flag, "abc", "--execute"), flag);
  }

  @ParameterizedTest
  @ValueSource(strings = {"yesterday", "2026-13-01T00:00:00Z", "2026-11-25 10:00", "1700000000"})
  void unparseableDatetimeIsAUsageError(String when) {
    assertUsageError(
        reset("--topic", "t", "--to-datetime", when, "--dry-run"), "--to-datetime must be ISO");
  }

  @Test
  void blankGroupOfConsumeIsAUsageError() {
    assertUsageError(
        Cli.run("consume", "--topic", "t", "--group", " ", "--bootstrap", NOWHERE),
        "--group must not be blank");
  }

  @ParameterizedTest
  @CsvSource({"--partition,0", "--offset,3"})
  void groupWithManualPositioningIsAUsageError(String flag, String value) {
    assertUsageError(
        Cli.run("consume", "--topic", "t", "--group", "g", flag, value, "--bootstrap", NOWHERE),
        "--group cannot be combined");
  }

  @ParameterizedTest
  @ValueSource(strings = {"--rounds", "--commits", "--wait-ms"})
  void perfGroupRefusesNonPositiveCounts(String flag) {
    assertUsageError(
        Cli.run("perf", "group", "--topic", "t", flag, "0", "--bootstrap", NOWHERE),
        flag + " must be >= 1");
  }

  @Test
  void perfGroupRefusesABlankGroup() {
    assertUsageError(
        Cli.run("perf", "group", "--topic", "t", "--group", "", "--bootstrap", NOWHERE),
        "--group must not be blank");
  }
}
