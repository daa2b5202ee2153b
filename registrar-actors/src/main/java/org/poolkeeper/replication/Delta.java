package org.poolkeeper.replication;

import java.util.Objects;
import org.poolkeeper.handlespace.ElementSnapshot;
import org.poolkeeper.handlespace.PoolHandle;

/**
 * One change of one pool as its writer made it: the unit of ENRP-style replication. Within one writer
 * incarnation of the pool ({@code epoch}) sequence numbers run 1, 2, 3 … without gaps, so a replica can apply
 * deltas strictly in order and detect a lost one ({@link PoolOrder#admit}).
 *
 * @param poolHandle the pool
 * @param epoch      the writer's incarnation of the pool; greater than any epoch the pool had before
 * @param sequence   1, 2, 3 … within {@code epoch}
 * @param action     what happened to the PE
 * @param peId       the PE identifier
 * @param element    the PE after the change; {@code null} for {@link Action#REMOVE}
 * @param reason     why the change happened (for logs and tests; not needed to apply it)
 * @param writer     the registrar id of the pool's writer
 */
public record Delta(PoolHandle poolHandle, long epoch, long sequence, Action action, int peId,
                    ElementSnapshot element, Reason reason, int writer) {

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
        CONNECTION_LOST,
        /** Its home registrar left the cluster and it did not re-register elsewhere within the takeover grace. */
        TAKEOVER_EXPIRED
    }

    public Delta {
        Objects.requireNonNull(poolHandle, "poolHandle");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(reason, "reason");
        if ((element == null) != (action == Action.REMOVE)) {
            throw new IllegalArgumentException("ADD and UPDATE carry the element, REMOVE does not");
        }
        if (element != null && element.id() != peId) {
            throw new IllegalArgumentException("the element's id differs from peId");
        }
    }

    /** The order of the pool once this delta is applied. */
    public PoolOrder order() {
        return new PoolOrder(epoch, sequence, writer);
    }
}
