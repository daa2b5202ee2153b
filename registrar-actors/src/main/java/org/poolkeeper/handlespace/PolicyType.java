package org.poolkeeper.handlespace;

/**
 * The pool policies Poolkeeper implements, with their RFC 5356 / RSPLIB codes.
 *
 * <p>A policy decides three things: the sort key of the pool's selection tree, how a handle resolution
 * walks that tree, and what a selection changes (round robin advances a sequence number, load
 * degradation raises a load until the next re-registration).
 */
public enum PolicyType {
    ROUND_ROBIN(0x00000001, "RR", 1),
    WEIGHTED_ROUND_ROBIN(0x00000002, "WRR", 1),
    RANDOM(0x00000003, "RAND", 0),
    WEIGHTED_RANDOM(0x00000004, "WRAND", 0),
    PRIORITY(0x00000005, "PRIO", 1),
    LEAST_USED(0x40000001, "LU", 1),
    LEAST_USED_DEGRADATION(0x40000002, "LUD", 1),
    PRIORITY_LEAST_USED(0x40000003, "PLU", 1),
    RANDOMIZED_LEAST_USED(0x40000004, "RLU", 1);

    /** The largest load value (loads are unsigned 32-bit, 0xFFFFFFFF is "fully loaded"). */
    public static final long MAX_LOAD = 0xFFFFFFFFL;

    private static final PolicyType[] VALUES = values();

    private final int code;
    private final String shortName;
    private final int defaultMaxIncrement;

    PolicyType(int code, String shortName, int defaultMaxIncrement) {
        this.code = code;
        this.shortName = shortName;
        this.defaultMaxIncrement = defaultMaxIncrement;
    }

    /** The policy's wire code (RFC 5356 for the standard ones, RSPLIB's for its extensions). */
    public int code() {
        return code;
    }

    /** The short name used in tables and command lines: RR, WRR, RAND, WRAND, PRIO, LU, LUD, PLU, RLU. */
    public String shortName() {
        return shortName;
    }

    /** How many of the selected PEs a resolution updates when the request says MaxIncrement 0. */
    public int defaultMaxIncrement() {
        return defaultMaxIncrement;
    }

    /** True for the policies whose selection draws at random instead of walking the tree in order. */
    public boolean isRandom() {
        return this == RANDOM || this == WEIGHTED_RANDOM || this == RANDOMIZED_LEAST_USED;
    }

    /** True for the policies that use a PE's weight (weight must then be at least 1). */
    public boolean usesWeight() {
        return this == WEIGHTED_ROUND_ROBIN || this == WEIGHTED_RANDOM;
    }

    /** The policy with this wire code, or {@code null} if the code is unknown. */
    public static PolicyType fromCode(int code) {
        for (PolicyType type : VALUES) {
            if (type.code == code) {
                return type;
            }
        }
        return null;
    }

    /** The policy with this short name (case-insensitive), or {@code null} if there is none. */
    public static PolicyType fromShortName(String name) {
        for (PolicyType type : VALUES) {
            if (type.shortName.equalsIgnoreCase(name)) {
                return type;
            }
        }
        return null;
    }
}
