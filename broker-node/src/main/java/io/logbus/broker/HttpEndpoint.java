package io.logbus.broker;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The node's HTTP port: {@code /metrics} (Prometheus text from the Micrometer registry), {@code
 * /health} (200 while the process is up) and {@code /ready} (200 once registered and caught up on
 * metadata, else 503). One daemon thread serves it; scrapes are cheap and rare.
 */
public final class HttpEndpoint implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;

  private HttpEndpoint(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  public static HttpEndpoint start(
      String host, int port, PrometheusMeterRegistry registry, BooleanSupplier ready, int nodeId) {
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(host, port), 16);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "[node-" + nodeId + "] cannot bind http " + host + ":" + port, e);
    }
    server.createContext(
        "/metrics",
        exchange -> answer(exchange, 200, "text/plain; version=0.0.4", registry.scrape()));
    server.createContext("/health", exchange -> answer(exchange, 200, "text/plain", "ok\n"));
    server.createContext(
        "/ready",
        exchange -> {
          boolean ok = ready.getAsBoolean();
          answer(exchange, ok ? 200 : 503, "text/plain", ok ? "ready\n" : "not ready\n");
        });
    ExecutorService executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "http-" + nodeId);
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.start();
    return new HttpEndpoint(server, executor);
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static void answer(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
