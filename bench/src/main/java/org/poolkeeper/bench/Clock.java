package org.poolkeeper.bench;

import java.util.Arrays;

/** The cost of reading {@link System#nanoTime()} twice, subtracted from batches timed on their own. */
final class Clock {
    static final long OVERHEAD_NS = calibrate();

    private Clock() {
    }

    private static long calibrate() {
        long[] deltas = new long[20_001];
        for (int round = 0; round < 3; round++) { // the last round runs compiled
            for (int i = 0; i < deltas.length; i++) {
                long t0 = System.nanoTime();
                deltas[i] = System.nanoTime() - t0;
            }
        }
        Arrays.sort(deltas);
        return deltas[deltas.length / 2];
    }
}
