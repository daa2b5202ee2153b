package org.poolkeeper.tools.cli;

/** A failure the command reports in one line, with exit status {@link #status}. */
final class CliException extends RuntimeException {
    private final int status;

    CliException(String message) {
        this(message, PoolkeeperCommand.EXIT_FAILED);
    }

    CliException(String message, int status) {
        super(message, null, false, false);
        this.status = status;
    }

    int status() {
        return status;
    }
}
