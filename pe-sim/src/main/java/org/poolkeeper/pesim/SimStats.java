package org.poolkeeper.pesim;

import java.util.concurrent.atomic.LongAdder;
import org.poolkeeper.simsupport.LatencyStats;

/** Counters and the latency histogram of one simulator run; updated from many actors at once. */
final class SimStats {
    final LongAdder registrations = new LongAdder();
    final LongAdder reregistrations = new LongAdder();
    final LongAdder deregistrations = new LongAdder();
    final LongAdder failures = new LongAdder();
    /** Failures by kind: the exception's class and, for a registrar's refusal, its cause. */
    final java.util.concurrent.ConcurrentHashMap<String, LongAdder> failureKinds =
            new java.util.concurrent.ConcurrentHashMap<>();

    void failed(Throwable error) {
        failures.increment();
        if (error instanceof java.util.concurrent.CompletionException && error.getCause() != null) {
            error = error.getCause();
        }
        String kind = error.getClass().getSimpleName();
        if (error instanceof org.poolkeeper.client.PoolkeeperException p && p.errorCause() != null) {
            kind += " " + p.errorCause();
        }
        failureKinds.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }
    final LongAdder crashed = new LongAdder();
    /** PEs registered right now: up on a registration the PE keeps, down when it leaves or crashes. */
    final LongAdder registered = new LongAdder();
    final LatencyStats latency = new LatencyStats();
    /** PEs registered when the hold began (with no hold: when the load ended); -1 until then. */
    volatile long registeredAtHold = -1;
    /** System.nanoTime() when the load ended (the hold began); 0 until then. */
    volatile long loadEndNanos;
}
