package org.poolkeeper.handlespace;

/** The transport protocol a PE's address is reachable with. */
public enum TransportKind {
    TCP, UDP, SCTP;

    private static final TransportKind[] VALUES = values();

    static TransportKind ofOrdinal(int ordinal) {
        return VALUES[ordinal];
    }
}
