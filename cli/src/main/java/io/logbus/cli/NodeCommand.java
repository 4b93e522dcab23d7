package io.logbus.cli;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code logbus node start --config FILE}: runs a node in the foreground until SIGTERM. */
@Command(
    name = "node",
    mixinStandardHelpOptions = true,
    description = "Run a logbus node.",
    subcommands = NodeCommand.Start.class)
final class NodeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return LogbusCli.USAGE;
  }

  @Command(
      name = "start",
      mixinStandardHelpOptions = true,
      description = "Start a node in the foreground (SIGTERM stops it cleanly).")
  static final class Start implements Callable<Integer> {
    /** The broker module's entry point; looked up by name so the cli compiles without it. */
    static final String NODE_MAIN = "io.logbus.broker.NodeMain";

    @Spec CommandSpec spec;

    @Option(
        names = "--config",
        required = true,
        paramLabel = "FILE",
        description = "Node properties.")
    Path config;

    @Override
    public Integer call() throws Exception {
      if (!Files.isRegularFile(config)) {
        throw new ParameterException(
            spec.commandLine(), "--config: no such file " + config.toAbsolutePath());
      }
      Method main;
      try {
        main = Class.forName(NODE_MAIN).getMethod("main", String[].class);
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException(
            "this build has no broker (" + NODE_MAIN + " is missing from the jar)");
      }
      try {
        main.invoke(null, (Object) new String[] {"--config", config.toString()});
      } catch (InvocationTargetException e) {
        throw e.getCause() instanceof Exception ex ? ex : e;
      }
      return LogbusCli.OK;
    }
  }
}
