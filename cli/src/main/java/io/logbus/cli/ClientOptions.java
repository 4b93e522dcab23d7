package io.logbus.cli;

import io.logbus.client.LogbusAdmin;
import picocli.CommandLine.Option;

/** Options every client command shares: where the cluster is and how to print. */
final class ClientOptions {
  @Option(
      names = "--bootstrap",
      paramLabel = "HOST:PORT[,...]",
      defaultValue = "${env:LOGBUS_BOOTSTRAP:-127.0.0.1:19091}",
      description = "Brokers to ask first (default: $LOGBUS_BOOTSTRAP, else ${DEFAULT-VALUE}).")
  String bootstrap;

  @Option(
      names = "--output",
      paramLabel = "FORMAT",
      defaultValue = "table",
      description = "table (for people) or json (for scripts). Default: ${DEFAULT-VALUE}.")
  Format output;

  @Option(
      names = "--request-timeout-ms",
      paramLabel = "MS",
      defaultValue = "15000",
      description =
          "Bound of one call to the cluster, retries included. Default: ${DEFAULT-VALUE}.")
  long requestTimeoutMs;

  enum Format {
    table,
    json
  }

  boolean json() {
    return output == Format.json;
  }

  LogbusAdmin admin() {
    return LogbusAdmin.builder()
        .bootstrapServers(bootstrap)
        .clientId("logbus-cli")
        .requestTimeoutMs(Math.min(requestTimeoutMs, 10_000))
        .apiTimeoutMs(requestTimeoutMs)
        .build();
  }
}
