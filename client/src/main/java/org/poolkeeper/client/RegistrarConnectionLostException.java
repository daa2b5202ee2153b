package org.poolkeeper.client;

/** The connection to the registrar closed before the response arrived. */
public final class RegistrarConnectionLostException extends PoolkeeperException {
    private static final long serialVersionUID = 1L;

    public RegistrarConnectionLostException(String message) {
        super(message, (org.poolkeeper.protocol.wire.ErrorCause) null);
    }
}
