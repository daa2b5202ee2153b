package org.poolkeeper.client;

import org.poolkeeper.protocol.wire.ErrorCause;

/** A request a registrar refused or could not be made; {@link #cause()} names the RFC 5354 cause if any. */
public class PoolkeeperException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient ErrorCause errorCause;

    public PoolkeeperException(String message, ErrorCause errorCause) {
        super(message);
        this.errorCause = errorCause;
    }

    public PoolkeeperException(String message, Throwable cause) {
        super(message, cause);
        this.errorCause = null;
    }

    /** The registrar's error cause, or {@code null} when the failure was local (timeout, connection). */
    public ErrorCause errorCause() {
        return errorCause;
    }
}
