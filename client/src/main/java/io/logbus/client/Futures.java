package io.logbus.client;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Blocking wrappers over the client's futures: unwrap to the typed {@link LogbusException}. */
public final class Futures {
  private Futures() {}

  /** Waits for the future; rethrows its cause as a {@link LogbusException}. */
  public static <T> T get(CompletableFuture<T> future) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LogbusException("interrupted", e);
    } catch (ExecutionException | CompletionException e) {
      throw unwrap(e.getCause());
    } catch (CancellationException e) {
      throw new LogbusException("cancelled", e);
    }
  }

  /** Sleeps a back-off; an interrupt becomes a {@link LogbusException} (flag kept). */
  static void sleep(long ms) {
    if (ms <= 0) {
      return;
    }
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LogbusException("interrupted", e);
    }
  }

  static LogbusException unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof LogbusException le) {
      return le;
    }
    return new LogbusException(String.valueOf(t.getMessage()), t);
  }
}
