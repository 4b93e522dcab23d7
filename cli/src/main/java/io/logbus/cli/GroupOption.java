package io.logbus.cli;

import io.logbus.client.ApiException;
import io.logbus.client.Futures;
import io.logbus.client.LogbusException;
import io.logbus.proto.ErrorCode;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The required {@code --group} of the groups commands, and the one-line errors about a group. */
final class GroupOption {
  @Spec(Spec.Target.MIXEE)
  CommandSpec mixee;

  @Option(names = "--group", required = true, paramLabel = "GROUP", description = "Group id.")
  String group;

  /** The group id; blank is a usage error. */
  String id() {
    check(mixee.commandLine(), group);
    return group;
  }

  /** A group id given on the command line must have a visible character. */
  static void check(CommandLine commandLine, String group) {
    if (group.isBlank()) {
      throw new ParameterException(commandLine, "--group must not be blank");
    }
  }

  /**
   * Waits for a group call; the errors users meet most get a sentence of their own, the others keep
   * the broker's words.
   */
  static <T> T get(CompletableFuture<T> call, String group) {
    try {
      return Futures.get(call);
    } catch (ApiException e) {
      if (e.code() == ErrorCode.GROUP_ID_NOT_FOUND) {
        throw new LogbusException("unknown group " + group);
      }
      if (e.code() == ErrorCode.GROUP_NOT_EMPTY) {
        // the client's text is "group not empty (group G): <broker's words>"; keep the words
        String text = e.getMessage();
        int at = text.indexOf("): ");
        throw new LogbusException(
            "group "
                + group
                + " has active members, stop them first: "
                + (at < 0 ? text : text.substring(at + 3)));
      }
      throw e;
    }
  }
}
