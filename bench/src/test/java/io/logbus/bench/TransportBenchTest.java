package io.logbus.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Server;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** The transport benchmark moves messages in both modes and refuses bad arguments. */
class TransportBenchTest {
  private Server server;

  @AfterEach
  void stop() throws InterruptedException {
    if (server != null) {
      server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  private static String run(int expectedExit, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit =
        new CommandLine(new TransportBench())
            .setOut(new PrintWriter(out, true))
            .setErr(new PrintWriter(err, true))
            .execute(args);
    assertThat(exit).as("exit code; stderr: %s", err).isEqualTo(expectedExit);
    return out + err.toString();
  }

  @ParameterizedTest
  @ValueSource(strings = {"stream", "unary"})
  void clientReportsMessagesThroughTheServer(String mode) throws Exception {
    server = TransportBench.startServer(0, true);

    String output =
        run(
            0,
            "client",
            "--target",
            "127.0.0.1:" + server.getPort(),
            "--mode",
            mode,
            "--size",
            "1024",
            "--warmup-seconds",
            "0",
            "--seconds",
            "1");

    assertThat(output).contains("transport mode=" + mode);
    assertThat(output).doesNotContain("msgs/s=0 ");
  }

  @Test
  void unknownModeIsAUsageError() {
    assertThat(run(2, "client", "--target", "127.0.0.1:1", "--mode", "bogus"))
        .contains("--mode must be stream or unary");
  }

  @Test
  void nonPositiveSizeIsAUsageError() {
    assertThat(run(2, "client", "--target", "127.0.0.1:1", "--size", "0"))
        .contains("must be positive");
  }
}
