package io.logbus.broker;

/** Where another broker's gRPC listener is: {@code host:port}, or null when unknown. */
@FunctionalInterface
public interface BrokerAddresses {
  String address(int brokerId);
}
