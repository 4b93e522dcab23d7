package io.logbus.client;

import java.util.Map;

/** A topic's configs: those set explicitly and every key's effective value. */
public record TopicConfigs(Map<String, String> explicit, Map<String, String> effective) {}
