package io.logbus.cli;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import picocli.CommandLine;

/** Runs the logbus command in-process with captured output, as a user would from a shell. */
final class Cli {
  private Cli() {}

  record Result(int code, String out, String err) {
    List<String> outLines() {
      return out.isEmpty() ? List.of() : List.of(out.split("\n"));
    }

    List<String> errLines() {
      return err.isEmpty() ? List.of() : List.of(err.split("\n"));
    }
  }

  static Result runWithInput(String stdin, String... args) {
    CommandLine cmd =
        LogbusCli.newCommandLine(new LogbusCli(new ByteArrayInputStream(stdin.getBytes(UTF_8))));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int code = cmd.execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  static Result run(String... args) {
    return runWithInput("", args);
  }
}
