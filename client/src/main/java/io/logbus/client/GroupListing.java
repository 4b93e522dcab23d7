package io.logbus.client;

/** One group of {@link LogbusAdmin#listGroups()}. */
public record GroupListing(String groupId, GroupState state, int members) {}
