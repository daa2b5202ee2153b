package org.poolkeeper.handlespace;

/**
 * The outcome of a handlespace operation. Expected failures are values, not exceptions; the registrar
 * maps each failure to its RFC 5354 error cause.
 */
public enum Status {
    /** A new PE was added. */
    ADDED,
    /** An existing PE was re-registered (or re-imported). */
    UPDATED,
    /** A PE was removed. */
    REMOVED,
    /** An unreachable report was counted; the PE stays. */
    REPORTED,
    /** A parameter is out of range: PE id 0, no addresses, weight 0 for a weighted policy, life 0, handle length. */
    INVALID_VALUES,
    /** The PE identifier is in use by a different PE (no transport address in common). */
    NON_UNIQUE_PE_IDENTIFIER,
    /** The PE's policy differs from the pool's. */
    INCONSISTENT_POOLING_POLICY,
    /** The pool is full and configured to reject. */
    LACK_OF_RESOURCES,
    /** No pool has this handle. */
    UNKNOWN_POOL_HANDLE,
    /** The pool has no PE with this identifier. */
    UNKNOWN_POOL_ELEMENT,
    /** The requester does not own the PE: not its holder, and no matching owner secret. */
    REJECTED;

    /** True for the outcomes that changed or inspected the handlespace as asked. */
    public boolean isSuccess() {
        return this == ADDED || this == UPDATED || this == REMOVED || this == REPORTED;
    }
}
