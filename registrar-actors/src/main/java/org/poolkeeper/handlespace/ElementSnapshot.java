package org.poolkeeper.handlespace;

import java.util.Objects;

/**
 * A detached copy of a PE as export produces it and import consumes it: everything a replica needs to
 * hold the same PE, including its timers and selection state. Times are on the exporter's clock in
 * microseconds. The owner hash is the first 128 bits of SHA-256 of the PE's owner secret (0 and 0: none).
 */
public record ElementSnapshot(int id, PolicyInfo policy, AddressBlock addresses, int lifeMs, int homeRegistrarId,
                              long registeredAt, long lastReregisteredAt, long lastSelectedAt, long deadline,
                              long selectionSequence, int unreachableReports, long accumulatedDegradation,
                              int roundCounter, long ownerHashHi, long ownerHashLo) {
    public ElementSnapshot {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(addresses, "addresses");
    }
}
