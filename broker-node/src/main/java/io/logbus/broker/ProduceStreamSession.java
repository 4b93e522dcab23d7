package io.logbus.broker;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.logbus.proto.ProduceRequest;
import io.logbus.proto.ProduceResponse;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code produceStream} call, with flow control both ways so a client that pushes faster than
 * the broker answers cannot grow the broker's memory without bound:
 *
 * <ul>
 *   <li>inbound: automatic reading is off; the session asks gRPC for {@code maxInFlight} requests
 *       up front and for one more per answer sent, so at most {@code maxInFlight} requests are read
 *       and not yet answered (HTTP/2 flow control then holds the client back);
 *   <li>outbound: an answer sent while the transport is not ready ({@code isReady() == false}: the
 *       client reads slower than we answer) does not earn a new request until the transport drains
 *       and calls the on-ready handler.
 * </ul>
 *
 * <p>A half-close from the client completes the call once every request read has been answered.
 * Threads: requests arrive on the gRPC thread, answers complete on any thread; one lock orders
 * sends and the credit count.
 */
final class ProduceStreamSession implements StreamObserver<ProduceRequest> {
  private static final Logger log = LoggerFactory.getLogger(ProduceStreamSession.class);

  /** Requests read from one stream and not answered yet, at most. */
  static final int MAX_IN_FLIGHT = 64;

  private final ServerCallStreamObserver<ProduceResponse> call;
  private final int maxInFlight;
  private final Function<ProduceRequest, CompletableFuture<ProduceResponse>> handler;
  private final BiFunction<ProduceRequest, Throwable, ProduceResponse> failed;
  private final Object lock = new Object();
  private int inFlight;
  private int owed;
  private boolean halfClosed;
  private boolean done;

  ProduceStreamSession(
      ServerCallStreamObserver<ProduceResponse> call,
      int maxInFlight,
      Function<ProduceRequest, CompletableFuture<ProduceResponse>> handler,
      BiFunction<ProduceRequest, Throwable, ProduceResponse> failed) {
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("maxInFlight must be >= 1, got " + maxInFlight);
    }
    this.call = call;
    this.maxInFlight = maxInFlight;
    this.handler = handler;
    this.failed = failed;
  }

  /** Must run inside the service method, before it returns the session to gRPC. */
  ProduceStreamSession start() {
    call.disableAutoRequest();
    call.setOnReadyHandler(this::onReady);
    call.setOnCancelHandler(
        () -> {
          synchronized (lock) {
            done = true;
          }
        });
    call.request(maxInFlight);
    return this;
  }

  @Override
  public void onNext(ProduceRequest request) {
    synchronized (lock) {
      inFlight++;
    }
    CompletableFuture<ProduceResponse> answer;
    try {
      answer = handler.apply(request);
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    // A whole-request error stays with that request: answered as per-partition errors under its
    // correlation id, the stream carries on.
    answer.whenComplete(
        (response, failure) -> send(failure == null ? response : failed.apply(request, failure)));
  }

  private void send(ProduceResponse response) {
    synchronized (lock) {
      inFlight--;
      if (done) {
        return;
      }
      try {
        call.onNext(response);
      } catch (RuntimeException e) {
        log.debug("produce stream answer dropped: {}", e.toString());
        return;
      }
      if (halfClosed) {
        finishIfIdle();
      } else if (call.isReady()) {
        call.request(1);
      } else {
        owed++;
      }
    }
  }

  private void onReady() {
    synchronized (lock) {
      if (done || owed == 0 || !call.isReady()) {
        return;
      }
      int credits = owed;
      owed = 0;
      call.request(credits);
    }
  }

  @Override
  public void onError(Throwable t) {
    synchronized (lock) {
      done = true;
    }
  }

  @Override
  public void onCompleted() {
    synchronized (lock) {
      halfClosed = true;
      finishIfIdle();
    }
  }

  /** Holds the lock. */
  private void finishIfIdle() {
    if (inFlight == 0 && !done) {
      done = true;
      call.onCompleted();
    }
  }
}
