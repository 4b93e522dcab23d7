package io.logbus.broker;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's gRPC server (client API, admin API and replication on one port). Owns start, a
 * graceful stop with a deadline, then {@code shutdownNow}. Handlers run on the given executor: a
 * small fixed pool, because produce handlers append to page cache; they never block on fsync.
 */
public final class GrpcServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GrpcServer.class);
  private static final int MAX_INBOUND_MESSAGE_BYTES = 64 << 20;

  private final Server server;
  private final String logPrefix;

  private GrpcServer(Server server, String logPrefix) {
    this.server = server;
    this.logPrefix = logPrefix;
  }

  public static GrpcServer start(
      String host, int port, List<BindableService> services, Executor executor, int nodeId) {
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
            .executor(executor)
            .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
            .permitKeepAliveTime(5, TimeUnit.SECONDS)
            .permitKeepAliveWithoutCalls(true);
    services.forEach(builder::addService);
    Server server = builder.build();
    try {
      server.start();
    } catch (IOException e) {
      throw new UncheckedIOException("[node-" + nodeId + "] cannot bind " + host + ":" + port, e);
    }
    String prefix = "[node-" + nodeId + "]";
    log.info("{} gRPC server listening on {}:{}", prefix, host, server.getPort());
    return new GrpcServer(server, prefix);
  }

  public int port() {
    return server.getPort();
  }

  /** Stops accepting calls, lets running ones finish for up to {@code graceMs}, then cuts them. */
  public void close(long graceMs) {
    server.shutdown();
    try {
      if (!server.awaitTermination(graceMs, TimeUnit.MILLISECONDS)) {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    log.info("{} gRPC server stopped", logPrefix);
  }

  @Override
  public void close() {
    close(2_000);
  }
}
