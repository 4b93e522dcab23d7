package io.logbus.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.stub.ServerCallStreamObserver;
import io.logbus.proto.ProduceRequest;
import io.logbus.proto.ProduceResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The produce stream's flow control against a call the test controls (readiness, credits). */
class ProduceStreamSessionTest {

  /** A server call: counts requested messages, records answers, readiness set by the test. */
  private static final class FakeCall extends ServerCallStreamObserver<ProduceResponse> {
    boolean ready = true;
    boolean autoRequestDisabled;
    int requested;
    boolean completed;
    Runnable onReady;
    final List<ProduceResponse> sent = new ArrayList<>();

    @Override
    public boolean isReady() {
      return ready;
    }

    @Override
    public void setOnReadyHandler(Runnable handler) {
      onReady = handler;
    }

    @Override
    public void request(int count) {
      requested += count;
    }

    @Override
    public void disableAutoRequest() {
      autoRequestDisabled = true;
    }

    @Override
    public void disableAutoInboundFlowControl() {
      autoRequestDisabled = true;
    }

    @Override
    public void setMessageCompression(boolean enable) {}

    @Override
    public boolean isCancelled() {
      return false;
    }

    @Override
    public void setOnCancelHandler(Runnable handler) {}

    @Override
    public void setCompression(String compression) {}

    @Override
    public void onNext(ProduceResponse value) {
      sent.add(value);
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {
      completed = true;
    }
  }

  private final FakeCall call = new FakeCall();
  private final List<CompletableFuture<ProduceResponse>> pending = new ArrayList<>();

  private ProduceStreamSession session(int maxInFlight) {
    return new ProduceStreamSession(
            call,
            maxInFlight,
            request -> {
              CompletableFuture<ProduceResponse> f = new CompletableFuture<>();
              pending.add(f);
              return f;
            },
            (request, failure) ->
                ProduceResponse.newBuilder().setCorrelationId(-request.getCorrelationId()).build())
        .start();
  }

  private static ProduceRequest request(long id) {
    return ProduceRequest.newBuilder().setCorrelationId(id).build();
  }

  private void answer(int index) {
    pending.get(index).complete(ProduceResponse.newBuilder().setCorrelationId(index).build());
  }

  @Test
  void readsAtMostTheWindowAndOneMorePerAnswer() {
    ProduceStreamSession s = session(2);
    assertThat(call.autoRequestDisabled).isTrue();
    assertThat(call.requested).isEqualTo(2);
    s.onNext(request(0));
    s.onNext(request(1));
    assertThat(call.requested).as("nothing more until an answer").isEqualTo(2);
    answer(0);
    assertThat(call.requested).isEqualTo(3);
    assertThat(call.sent).hasSize(1);
  }

  @Test
  void answersSentWhileTheClientReadsSlowlyEarnNoRequestsUntilTheTransportDrains() {
    ProduceStreamSession s = session(2);
    s.onNext(request(0));
    s.onNext(request(1));
    call.ready = false;
    answer(0);
    answer(1);
    assertThat(call.sent).hasSize(2);
    assertThat(call.requested).isEqualTo(2);
    call.onReady.run(); // still not ready: a spurious wake-up changes nothing
    assertThat(call.requested).isEqualTo(2);
    call.ready = true;
    call.onReady.run();
    assertThat(call.requested).isEqualTo(4);
    call.onReady.run();
    assertThat(call.requested).as("credits are given once").isEqualTo(4);
  }

  @Test
  void halfCloseCompletesOnlyAfterTheLastAnswer() {
    ProduceStreamSession s = session(4);
    s.onNext(request(0));
    s.onNext(request(1));
    s.onCompleted();
    assertThat(call.completed).isFalse();
    pending.get(0).completeExceptionally(new IllegalStateException("whole request failed"));
    assertThat(call.completed).isFalse();
    answer(1);
    assertThat(call.completed).isTrue();
    assertThat(call.sent).extracting(ProduceResponse::getCorrelationId).containsExactly(-0L, 1L);
  }

  @Test
  void refusesAnEmptyWindow() {
    assertThatThrownBy(() -> session(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
