package org.poolkeeper.handlespace;

import java.util.Objects;

/**
 * A PE's policy information as it registers it. {@code load}, {@code weight}, {@code priority} and
 * {@code loadDegradation} are unsigned 32-bit values carried in an {@code int}; a policy reads only the
 * ones it needs.
 *
 * @param type            the pool policy (must equal the pool's policy)
 * @param load            current load, 0 (idle) to 0xFFFFFFFF (full); Least Used family
 * @param weight          weight, at least 1 for the weighted policies
 * @param priority        priority, higher first; Priority policy
 * @param loadDegradation load added per selection (LUD) or announced degradation (PLU)
 */
public record PolicyInfo(PolicyType type, int load, int weight, int priority, int loadDegradation) {

    public PolicyInfo {
        Objects.requireNonNull(type, "type");
    }

    public static PolicyInfo of(PolicyType type) {
        return new PolicyInfo(type, 0, 1, 0, 0);
    }

    public static PolicyInfo leastUsed(PolicyType type, int load) {
        return new PolicyInfo(type, load, 1, 0, 0);
    }

    public static PolicyInfo weighted(PolicyType type, int weight) {
        return new PolicyInfo(type, 0, weight, 0, 0);
    }

    /** The load as an unsigned value. */
    public long loadUnsigned() {
        return Integer.toUnsignedLong(load);
    }

    /** The weight as an unsigned value. */
    public long weightUnsigned() {
        return Integer.toUnsignedLong(weight);
    }
}
