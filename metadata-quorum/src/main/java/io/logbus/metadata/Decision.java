package io.logbus.metadata;

import io.logbus.proto.ErrorCode;
import io.logbus.proto.metadata.ControllerResponse;
import io.logbus.proto.metadata.MetadataRecord;
import java.util.List;

/**
 * What the controller decided for one request: the records to commit (possibly none) and the answer
 * to give once they are committed.
 */
record Decision(List<MetadataRecord> records, ControllerResponse response) {
  Decision {
    records = List.copyOf(records);
  }

  static Decision answer(ControllerResponse response) {
    return new Decision(List.of(), response);
  }

  static Decision error(ErrorCode code, String message) {
    return answer(ControllerResponse.newBuilder().setError(code).setErrorMessage(message).build());
  }
}
