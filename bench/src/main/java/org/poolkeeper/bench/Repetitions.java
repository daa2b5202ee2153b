package org.poolkeeper.bench;

/**
 * The paper's method: warm up, then repeat a fixed time window, counting the operations completed in it, and
 * report operations per second of every repetition.
 */
final class Repetitions {
    /** A repetition stops early (with at least one chunk) once its wall time exceeds this many windows. */
    private static final int MAX_WALL_WINDOWS = 6;
    /** Chunks aim at about a millisecond of timed work, so the clock is read rarely. */
    private static final long CHUNK_NS = 1_000_000;

    private Repetitions() {
    }

    /** Operations per second of one window of timed work. */
    static double one(OperationLoop loop, long windowNs) {
        long opsBefore = loop.ops();
        long timed = 0;
        long wallStart = System.nanoTime();
        int n = loop.initialChunk();
        while (timed < windowNs) {
            long t = loop.run(n);
            timed += t;
            if (t < CHUNK_NS / 2 && n < (1 << 24)) {
                n <<= 1;
            }
            if (System.nanoTime() - wallStart > MAX_WALL_WINDOWS * windowNs) {
                break;
            }
        }
        return (loop.ops() - opsBefore) * 1e9 / timed;
    }

    /** Warm-up for {@code warmupNs}, then {@code reps} windows. */
    static double[] measure(OperationLoop loop, long warmupNs, long windowNs, int reps) {
        if (warmupNs > 0) {
            one(loop, warmupNs);
        }
        double[] rates = new double[reps];
        for (int i = 0; i < reps; i++) {
            rates[i] = one(loop, windowNs);
        }
        loop.w.checkNoFailures(loop.getClass().getSimpleName());
        return rates;
    }
}
