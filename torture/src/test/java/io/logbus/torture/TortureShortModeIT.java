package io.logbus.torture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The CI mode of the fault-injection suite: two runs (seed 42, then a random seed printed in the
 * output) of crashes, pauses and torn writes against real 3-node clusters started through
 * deploy/local/cluster.sh. Every acknowledged record must be read back once, in order, on every
 * replica.
 */
class TortureShortModeIT {
  @Test
  void shortModeFindsNoViolation() {
    Path root = Path.of(System.getProperty("logbus.root", "..")).toAbsolutePath().normalize();
    StringWriter text = new StringWriter();
    int exit =
        new CommandLine(new TortureMain())
            .setOut(new PrintWriter(text, true))
            .execute(
                "--short",
                "--launcher",
                root.resolve("deploy/local/cluster.sh").toString(),
                "--work-dir",
                root.resolve("torture/target/torture-it").toString());
    String output = text.toString();
    System.out.println(output);
    List<String> lines = output.lines().toList();
    assertThat(lines).isNotEmpty();
    assertThat(lines.get(lines.size() - 1)).startsWith("torture: runs=2").endsWith(" PASS");
    assertThat(exit).isZero();
  }
}
