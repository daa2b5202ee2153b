package org.poolkeeper.client;

/** A registrar did not answer within the request timeout; the client moves on to the next registrar. */
public final class RegistrarTimeoutException extends PoolkeeperException {
    private static final long serialVersionUID = 1L;

    public RegistrarTimeoutException(String message) {
        super(message, (org.poolkeeper.protocol.wire.ErrorCause) null);
    }
}
