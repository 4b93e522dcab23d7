package io.logbus.cli;

import io.logbus.client.LogbusException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code logbus} command: Kafka's kafka-topics, console producer and consumer, metadata-quorum
 * and perf tools in one. Exit codes: 0 ok, 1 the operation failed, 2 usage error. Errors are one
 * line naming the cause, never a stack trace (set LOGBUS_DEBUG=1 to see one).
 */
@Command(
    name = "logbus",
    mixinStandardHelpOptions = true,
    versionProvider = LogbusCli.Version.class,
    description = "Command line for logbus, a distributed commit log.",
    subcommands = {
      TopicsCommand.class,
      ProduceCommand.class,
      ConsumeCommand.class,
      GroupsCommand.class,
      ClusterCommand.class,
      PerfCommand.class,
      NodeCommand.class,
      CommandLine.HelpCommand.class
    })
public final class LogbusCli implements Callable<Integer> {
  public static final int OK = 0;
  public static final int FAILED = 1;
  public static final int USAGE = 2;

  private final InputStream in;

  @Spec CommandSpec spec;

  public LogbusCli() {
    this(System.in);
  }

  /**
   * @param in what {@code produce} reads lines from (tests pass their own)
   */
  public LogbusCli(InputStream in) {
    this.in = in;
  }

  InputStream in() {
    return in;
  }

  public static void main(String[] args) {
    quietLoggingUnlessNode(args);
    System.exit(newCommandLine(new LogbusCli()).execute(args));
  }

  /** A node logs its lifecycle at INFO; client commands keep stderr for errors only. */
  private static void quietLoggingUnlessNode(String[] args) {
    String key = "org.slf4j.simpleLogger.defaultLogLevel";
    if (System.getProperty(key) == null) {
      boolean node = args.length > 0 && args[0].equals("node");
      System.setProperty(key, node ? "info" : "warn");
    }
  }

  /** The configured command line: exit codes and one-line errors; tests set their writers. */
  public static CommandLine newCommandLine(LogbusCli root) {
    CommandLine cmd = new CommandLine(root);
    cmd.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          PrintWriter err = commandLine.getErr();
          err.println("logbus: " + describe(ex));
          if (System.getenv("LOGBUS_DEBUG") != null) {
            ex.printStackTrace(err);
          }
          err.flush();
          return FAILED;
        });
    return cmd;
  }

  /** One line naming the cause: our typed errors carry their facts already. */
  static String describe(Throwable ex) {
    if (ex instanceof LogbusException || ex instanceof IllegalArgumentException) {
      return ex.getMessage();
    }
    if (ex instanceof java.io.IOException) {
      return ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
    }
    return ex.getClass().getSimpleName() + (ex.getMessage() == null ? "" : ": " + ex.getMessage());
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return USAGE;
  }

  /** Version from the jar manifest when packaged. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = LogbusCli.class.getPackage().getImplementationVersion();
      return new String[] {"logbus " + (v == null ? "0.1.0-SNAPSHOT" : v)};
    }
  }
}
