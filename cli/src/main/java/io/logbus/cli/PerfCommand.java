package io.logbus.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code logbus perf ...}: Kafka's producer/consumer perf tests and end-to-end latency. */
@Command(
    name = "perf",
    mixinStandardHelpOptions = true,
    description = "Measure throughput and latency.",
    subcommands = {PerfProduce.class, PerfConsume.class, PerfE2e.class, PerfGroup.class})
final class PerfCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return LogbusCli.USAGE;
  }
}
