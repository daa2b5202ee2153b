package org.poolkeeper.tools;

import java.util.function.Function;
import java.util.function.ToIntFunction;
import picocli.CommandLine;

/** How every tool runs its picocli command: one line and exit status 2 for bad arguments, one line and 1 on failure. */
public final class ToolCli {
    private ToolCli() {
    }

    /** Runs {@code command} with {@code args}; a failure is told by its message. */
    public static int run(String name, Object command, String... args) {
        return run(name, command, ex -> ex.getMessage() == null ? ex.toString() : ex.getMessage(), args);
    }

    /** Runs {@code command} with {@code args}; a failure is told by {@code describe}. */
    public static int run(String name, Object command, Function<Exception, String> describe, String... args) {
        return run(name, new CommandLine(command), describe, ex -> 1, args);
    }

    /**
     * Runs {@code cli} (configured by the caller) with {@code args}; a failure is told by {@code describe} and exits
     * with {@code status} of it.
     */
    public static int run(String name, CommandLine cli, Function<Exception, String> describe,
                          ToIntFunction<Exception> status, String... args) {
        cli.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println(name + ": " + ex.getMessage() + " (see --help)");
            return 2;
        });
        cli.setExecutionExceptionHandler((ex, c, r) -> {
            c.getErr().println(name + ": " + describe.apply(ex));
            return status.applyAsInt(ex);
        });
        return cli.execute(args);
    }
}
