package io.logbus.bench;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.ConcurrentHistogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The raw gRPC ceiling on this machine: bytes/s through one bidi stream with flow control, and
 * unary calls/s with N in flight, between two JVMs on loopback. Run {@code server} in one JVM and
 * {@code client} in another (bench/compare.sh does). The figures bound what any gRPC service of
 * logbus can move here, so the write-up can say what fraction of it logbus reaches.
 */
@Command(
    name = "transport-bench",
    mixinStandardHelpOptions = true,
    subcommands = {TransportBench.ServerCommand.class, TransportBench.ClientCommand.class})
public final class TransportBench {
  private static final byte[] ACK = new byte[8];

  public static void main(String[] args) {
    System.exit(new CommandLine(new TransportBench()).execute(args));
  }

  /** Starts the raw transport service on {@code port} (0 = any free port). */
  static Server startServer(int port, boolean direct) throws java.io.IOException {
    ServerServiceDefinition service =
        ServerServiceDefinition.builder(RawBytes.SERVICE)
            .addMethod(
                RawBytes.STREAM,
                ServerCalls.asyncBidiStreamingCall(
                    responses ->
                        new StreamObserver<byte[]>() {
                          @Override
                          public void onNext(byte[] payload) {
                            responses.onNext(ACK);
                          }

                          @Override
                          public void onError(Throwable t) {}

                          @Override
                          public void onCompleted() {
                            responses.onCompleted();
                          }
                        }))
            .addMethod(
                RawBytes.UNARY,
                ServerCalls.asyncUnaryCall(
                    (payload, responses) -> {
                      responses.onNext(ACK);
                      responses.onCompleted();
                    }))
            .build();
    NettyServerBuilder builder =
        NettyServerBuilder.forPort(port).maxInboundMessageSize(64 << 20).addService(service);
    if (direct) {
      builder.directExecutor();
    }
    return builder.build().start();
  }

  @Command(name = "server", description = "Serve the raw transport service until killed.")
  static final class ServerCommand implements Callable<Integer> {
    @Option(names = "--port", required = true)
    int port;

    @Option(names = "--direct", description = "Handlers on the transport threads (directExecutor).")
    boolean direct;

    @Override
    public Integer call() throws Exception {
      Server server = startServer(port, direct);
      System.out.println("transport-bench server on port " + server.getPort());
      server.awaitTermination();
      return 0;
    }
  }

  @Command(name = "client", description = "Drive the server and print the achieved rate.")
  static final class ClientCommand implements Callable<Integer> {
    @Option(names = "--target", required = true, description = "host:port of the server")
    String target;

    @Option(names = "--mode", description = "stream or unary (default ${DEFAULT-VALUE})")
    String mode = "stream";

    @Option(names = "--size", description = "Payload bytes (default ${DEFAULT-VALUE})")
    int size = 16 * 1024;

    @Option(names = "--in-flight", description = "Unary calls in flight (default ${DEFAULT-VALUE})")
    int inFlight = 64;

    @Option(names = "--warmup-seconds")
    int warmupSeconds = 10;

    @Option(names = "--seconds")
    int seconds = 15;

    @Option(
        names = "--direct",
        description = "Callbacks on the transport threads (directExecutor).")
    boolean direct;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      if (size < 1 || seconds < 1 || warmupSeconds < 0 || inFlight < 1) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--size, --seconds and --in-flight must be positive");
      }
      NettyChannelBuilder builder =
          NettyChannelBuilder.forTarget(target).usePlaintext().maxInboundMessageSize(64 << 20);
      if (direct) {
        builder.directExecutor();
      }
      ManagedChannel channel = builder.build();
      try {
        Meter meter =
            switch (mode) {
              case "stream" -> stream(channel);
              case "unary" -> unary(channel);
              default ->
                  throw new CommandLine.ParameterException(
                      spec.commandLine(), "--mode must be stream or unary, not " + mode);
            };
        PrintWriter out = spec.commandLine().getOut();
        out.printf(
            "transport mode=%s size=%d direct=%s msgs/s=%.0f MiB/s=%.1f p50_us=%d p99_us=%d"
                + " errors=%d%s%n",
            mode,
            size,
            direct,
            meter.messages.get() / (double) seconds,
            meter.messages.get() * (double) size / seconds / (1 << 20),
            meter.latencyMicros.getValueAtPercentile(50),
            meter.latencyMicros.getValueAtPercentile(99),
            meter.errors.get(),
            meter.lastError == null ? "" : " last_error=" + meter.lastError);
        out.flush();
      } finally {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      }
      return 0;
    }

    /** Counts what completes inside the measured window only (after the warm-up). */
    private static final class Meter {
      final AtomicBoolean measuring = new AtomicBoolean();
      final AtomicLong messages = new AtomicLong();
      final ConcurrentHistogram latencyMicros = new ConcurrentHistogram(3);
      final AtomicLong errors = new AtomicLong();
      volatile Throwable lastError;

      void failed(Throwable t) {
        errors.incrementAndGet();
        lastError = t;
      }

      final CountDownLatch firstAnswer = new CountDownLatch(1);

      void completed(long startedNanos) {
        firstAnswer.countDown();
        if (measuring.get()) {
          messages.incrementAndGet();
          latencyMicros.recordValue(Math.max(0, (System.nanoTime() - startedNanos) / 1000));
        }
      }
    }

    private void runWindow(Meter meter) throws InterruptedException {
      // The clock starts at the first answer, not at the first call: connecting and a cold JIT
      // would otherwise eat into short windows.
      if (!meter.firstAnswer.await(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException(
            "no answer from " + target + " within 60 s (errors: " + meter.errors.get() + ")");
      }
      TimeUnit.SECONDS.sleep(warmupSeconds); // the benchmark's warm-up window
      meter.measuring.set(true);
      TimeUnit.SECONDS.sleep(seconds); // the measured window
      meter.measuring.set(false);
    }

    private Meter stream(ManagedChannel channel) throws InterruptedException {
      Meter meter = new Meter();
      byte[] payload = new byte[size];
      AtomicBoolean running = new AtomicBoolean(true);
      CountDownLatch done = new CountDownLatch(1);
      // Send times of unacknowledged messages, in order: the server acks in order.
      java.util.concurrent.ConcurrentLinkedQueue<Long> sent =
          new java.util.concurrent.ConcurrentLinkedQueue<>();
      ClientResponseObserver<byte[], byte[]> observer =
          new ClientResponseObserver<>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<byte[]> requests) {
              requests.setOnReadyHandler(
                  () -> {
                    while (running.get() && requests.isReady()) {
                      sent.add(System.nanoTime());
                      requests.onNext(payload);
                    }
                    if (!running.get()) {
                      requests.onCompleted();
                    }
                  });
            }

            @Override
            public void onNext(byte[] ack) {
              Long started = sent.poll();
              meter.completed(started == null ? System.nanoTime() : started);
            }

            @Override
            public void onError(Throwable t) {
              meter.failed(t);
              done.countDown();
            }

            @Override
            public void onCompleted() {
              done.countDown();
            }
          };
      ClientCalls.asyncBidiStreamingCall(
          channel.newCall(RawBytes.STREAM, CallOptions.DEFAULT), observer);
      runWindow(meter);
      running.set(false);
      done.await(30, TimeUnit.SECONDS);
      return meter;
    }

    private Meter unary(ManagedChannel channel) throws InterruptedException {
      Meter meter = new Meter();
      byte[] payload = new byte[size];
      Semaphore permits = new Semaphore(inFlight);
      AtomicBoolean running = new AtomicBoolean(true);
      Thread driver =
          new Thread(
              () -> {
                while (running.get()) {
                  try {
                    if (!permits.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                      continue;
                    }
                  } catch (InterruptedException e) {
                    return;
                  }
                  long started = System.nanoTime();
                  ClientCalls.asyncUnaryCall(
                      channel.newCall(RawBytes.UNARY, CallOptions.DEFAULT),
                      payload,
                      new StreamObserver<byte[]>() {
                        @Override
                        public void onNext(byte[] ack) {
                          meter.completed(started);
                        }

                        @Override
                        public void onError(Throwable t) {
                          meter.failed(t);
                          permits.release();
                        }

                        @Override
                        public void onCompleted() {
                          permits.release();
                        }
                      });
                }
              },
              "unary-driver");
      java.util.concurrent.atomic.AtomicReference<Throwable> failure =
          new java.util.concurrent.atomic.AtomicReference<>();
      driver.setUncaughtExceptionHandler((t, e) -> failure.set(e));
      driver.start();
      runWindow(meter);
      running.set(false);
      driver.join(TimeUnit.SECONDS.toMillis(30));
      if (failure.get() != null) {
        throw new IllegalStateException("the unary driver failed", failure.get());
      }
      return meter;
    }
  }
}
