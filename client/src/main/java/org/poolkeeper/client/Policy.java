package org.poolkeeper.client;

/** The pool policies and their RFC 5356 / RSPLIB wire codes, as a pool element declares them. */
public enum Policy {
    ROUND_ROBIN(0x00000001, "RR"),
    WEIGHTED_ROUND_ROBIN(0x00000002, "WRR"),
    RANDOM(0x00000003, "RAND"),
    WEIGHTED_RANDOM(0x00000004, "WRAND"),
    PRIORITY(0x00000005, "PRIO"),
    LEAST_USED(0x40000001, "LU"),
    LEAST_USED_DEGRADATION(0x40000002, "LUD"),
    PRIORITY_LEAST_USED(0x40000003, "PLU"),
    RANDOMIZED_LEAST_USED(0x40000004, "RLU");

    private final int code;
    private final String shortName;

    Policy(int code, String shortName) {
        this.code = code;
        this.shortName = shortName;
    }

    public int code() {
        return code;
    }

    public String shortName() {
        return shortName;
    }

    /** The policy with this wire code, or {@code null}. */
    public static Policy fromCode(int code) {
        for (Policy policy : values()) {
            if (policy.code == code) {
                return policy;
            }
        }
        return null;
    }

    /** The policy with this short name (RR, LU, …, case-insensitive), or {@code null}. */
    public static Policy fromShortName(String name) {
        for (Policy policy : values()) {
            if (policy.shortName.equalsIgnoreCase(name)) {
                return policy;
            }
        }
        return null;
    }
}
