package io.logbus.metadata;

/**
 * The controller's answer to a broker heartbeat: whether the broker is fenced (it must not lead or
 * accept writes) and the controller's applied metadata index when it answered.
 */
public record HeartbeatResult(boolean fenced, long metadataIndex) {}
