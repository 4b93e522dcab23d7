package io.logbus.metadata;

/**
 * One registered broker as the metadata log last described it: its client endpoint, the epoch of
 * its current registration and whether the controller has fenced it. Immutable.
 */
public record BrokerRegistration(
    int id, String host, int port, long epoch, String incarnationId, boolean fenced) {

  BrokerRegistration withFenced(boolean newFenced) {
    return new BrokerRegistration(id, host, port, epoch, incarnationId, newFenced);
  }
}
