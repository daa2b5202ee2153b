package org.poolkeeper.client;

import org.poolkeeper.protocol.wire.ErrorCause;

/** The registrar knows no pool with this handle (no PE is registered under it). */
public final class UnknownPoolHandleException extends PoolkeeperException {
    private static final long serialVersionUID = 1L;

    public UnknownPoolHandleException(String poolHandle) {
        super("unknown pool handle '" + poolHandle + "'", ErrorCause.ERROR_CAUSE_UNKNOWN_POOL_HANDLE);
    }
}
