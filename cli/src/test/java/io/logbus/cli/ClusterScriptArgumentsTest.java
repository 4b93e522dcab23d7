package io.logbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** deploy/local/cluster.sh refuses bad arguments before it builds or starts anything. */
class ClusterScriptArgumentsTest {
  private Path home;

  @BeforeEach
  void folder() throws IOException {
    home = Files.createTempDirectory("logbus-script-");
  }

  @AfterEach
  void clean() throws IOException {
    try (var paths = Files.walk(home)) {
      paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
    }
  }

  private record Run(int code, String err) {}

  private Run script(String... args) throws Exception {
    Path repo = Path.of(System.getProperty("logbus.home", "..")).toAbsolutePath().normalize();
    List<String> cmd = new ArrayList<>();
    cmd.add(repo.resolve("deploy/local/cluster.sh").toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put("LOGBUS_HOME", home.toString());
    Process p = pb.start();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), err);
  }

  @Test
  void evenNodeCountIsRefused() throws Exception {
    Run r = script("up", "2");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("must be odd").contains("'2'");
  }

  @Test
  void nonNumericNodeCountIsRefused() throws Exception {
    Run r = script("up", "three");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("node count").contains("'three'");
  }

  @Test
  void badPortBaseIsRefused() throws Exception {
    Path repo = Path.of(System.getProperty("logbus.home", "..")).toAbsolutePath().normalize();
    ProcessBuilder pb =
        new ProcessBuilder(repo.resolve("deploy/local/cluster.sh").toString(), "up", "1")
            .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put("LOGBUS_HOME", home.toString());
    pb.environment().put("LOGBUS_PORT_BASE", "80");
    Process p = pb.start();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(1);
    assertThat(err).contains("LOGBUS_PORT_BASE");
  }

  @Test
  void commandsWithoutAClusterSayThereIsNone() throws Exception {
    Run r = script("status");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("no cluster in " + home.toRealPath());
  }

  @Test
  void unknownCommandIsAUsageError() throws Exception {
    Run r = script("explode");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("unknown command 'explode'");
  }
}
