package org.poolkeeper.client;

/** None of the known registrars accepted a connection. */
public final class NoRegistrarReachableException extends PoolkeeperException {
    private static final long serialVersionUID = 1L;

    public NoRegistrarReachableException(String message) {
        super(message, (org.poolkeeper.protocol.wire.ErrorCause) null);
    }
}
