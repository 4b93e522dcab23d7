package io.logbus.client;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One gRPC channel per broker address, shared by every request of one client (HTTP/2 multiplexes
 * them). Channels reconnect by themselves after a broker restarts. Thread-safe.
 */
final class BrokerChannels implements AutoCloseable {
  /** Fetch responses carry whole batches; allow well above the default 4 MiB. */
  static final int MAX_INBOUND_BYTES = 256 * 1024 * 1024;

  private final Map<HostPort, ManagedChannel> channels = new ConcurrentHashMap<>();
  private volatile boolean closed;

  ManagedChannel channel(HostPort address) {
    if (closed) {
      throw new IllegalStateException("client is closed");
    }
    return channels.computeIfAbsent(
        address,
        a ->
            Grpc.newChannelBuilderForAddress(
                    a.host(), a.port(), InsecureChannelCredentials.create())
                .maxInboundMessageSize(MAX_INBOUND_BYTES)
                .build());
  }

  @Override
  public void close() {
    closed = true;
    List<ManagedChannel> all = new ArrayList<>(channels.values());
    channels.clear();
    all.forEach(ManagedChannel::shutdown);
    for (ManagedChannel c : all) {
      try {
        if (!c.awaitTermination(2, TimeUnit.SECONDS)) {
          c.shutdownNow();
        }
      } catch (InterruptedException e) {
        c.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
  }
}
