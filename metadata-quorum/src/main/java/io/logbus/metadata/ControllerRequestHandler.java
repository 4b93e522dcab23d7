package io.logbus.metadata;

import io.logbus.proto.metadata.ControllerRequest;
import io.logbus.proto.metadata.ControllerResponse;
import java.util.concurrent.CompletableFuture;

/** Serves a controller request that reached this node's state machine as a Ratis query. */
interface ControllerRequestHandler {
  CompletableFuture<ControllerResponse> handle(ControllerRequest request);
}
