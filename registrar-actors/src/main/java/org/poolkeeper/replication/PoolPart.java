package org.poolkeeper.replication;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.poolkeeper.handlespace.ElementSnapshot;
import org.poolkeeper.handlespace.PolicyType;
import org.poolkeeper.handlespace.PoolHandle;

/**
 * One pool in a writer's table ({@link TableExport}): its order and PEs. A pool larger than a table block is
 * sent in several parts, all taken at once (same order), each but the last {@code continued}; the receiver
 * merges them ({@link #merge}) before it applies the pool.
 *
 * @param handle    the pool
 * @param policy    the pool's policy (every element's)
 * @param order     the order of the state listed
 * @param elements  the PEs (of this part)
 * @param continued more PEs of this pool follow in the next part
 */
public record PoolPart(PoolHandle handle, PolicyType policy, PoolOrder order, List<ElementSnapshot> elements,
                       boolean continued) {

    /**
     * @throws IllegalArgumentException for a PE of another policy, a repeated or zero PE id, a zero life, a zero
     *     weight under a weighted policy, or an empty last part of a pool that has no PE at all
     */
    public PoolPart {
        Objects.requireNonNull(handle, "handle");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(order, "order");
        elements = List.copyOf(elements);
        Set<Integer> ids = new HashSet<>(elements.size() * 2);
        for (ElementSnapshot e : elements) {
            if (e.policy().type() != policy) {
                throw new IllegalArgumentException("PE " + Integer.toUnsignedString(e.id(), 16) + " of " + handle
                        + " has policy " + e.policy().type() + ", the pool " + policy);
            }
            if (e.id() == 0 || !ids.add(e.id())) {
                throw new IllegalArgumentException("PE id " + Integer.toUnsignedString(e.id(), 16) + " of " + handle
                        + " is zero or repeated");
            }
            if (e.lifeMs() <= 0 || policy.usesWeight() && e.policy().weight() == 0) {
                throw new IllegalArgumentException("PE " + Integer.toUnsignedString(e.id(), 16) + " of " + handle
                        + " has no life or no weight");
            }
        }
    }

    /** Whether {@code next} is the next part of the same pool state (this part is continued). */
    public boolean isContinuedBy(PoolPart next) {
        return continued && next.handle.equals(handle) && next.order.equals(order) && next.policy == policy;
    }
}
