package org.poolkeeper.registrar;

import java.util.Objects;
import org.poolkeeper.handlespace.ElementSnapshot;
import org.poolkeeper.handlespace.PoolHandle;

/**
 * One change of one pool as its writer (the pool's {@link PoolActor}) made it: the unit of ENRP-style
 * replication. Within one writer incarnation ({@code ownerEpoch}) sequence numbers run 1, 2, 3 … without gaps,
 * so a replica can apply deltas strictly in order and detect a lost one.
 *
 * @param poolHandle        the pool
 * @param ownerEpoch        the writer incarnation; greater than any epoch a replica has seen for this pool before
 * @param sequence          1, 2, 3 … within {@code ownerEpoch}
 * @param action            what happened to the PE
 * @param peId              the PE identifier
 * @param element           the PE after the change; {@code null} for {@link Action#REMOVE}
 * @param reason            why the change happened (for logs, metrics and tests; not needed to apply it)
 * @param writerRegistrarId the registrar hosting the writer
 */
public record Delta(PoolHandle poolHandle, long ownerEpoch, long sequence, Action action, int peId,
                    ElementSnapshot element, Reason reason, int writerRegistrarId) {

    /** What a delta does to its PE. */
    public enum Action { ADD, UPDATE, REMOVE }

    /** Why a delta was made. */
    public enum Reason {
        /** A (re-)registration. */
        REGISTRATION,
        /** A deregistration request. */
        DEREGISTRATION,
        /** The registration life ended. */
        EXPIRY,
        /** Removed to make room in a full pool (full-pool-action = evict-random). */
        EVICTION,
        /** MaxBadPEReports unreachability reports. */
        UNREACHABLE,
        /** The PE did not acknowledge a keep-alive in time. */
        KEEP_ALIVE_LOST,
        /** The connection the PE registered through closed (after the grace). */
        CONNECTION_LOST
    }

    public Delta {
        Objects.requireNonNull(poolHandle, "poolHandle");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(reason, "reason");
        if ((element == null) != (action == Action.REMOVE)) {
            throw new IllegalArgumentException("ADD and UPDATE carry the element, REMOVE does not");
        }
    }
}
