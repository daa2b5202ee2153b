package org.poolkeeper.tools.cli;

import com.google.protobuf.ByteString;

/** Pool handles as the user types them. */
final class Handles {
    private Handles() {
    }

    /** The UTF-8 bytes of {@code text}. @throws CliException (usage) for an empty handle */
    static ByteString of(String text) {
        if (text.isEmpty()) {
            throw new CliException("the pool handle must not be empty", PoolkeeperCommand.EXIT_USAGE);
        }
        return ByteString.copyFromUtf8(text);
    }
}
