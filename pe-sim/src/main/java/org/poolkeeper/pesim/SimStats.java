package org.poolkeeper.pesim;

import java.util.concurrent.atomic.LongAdder;
import org.poolkeeper.simsupport.LatencyStats;

/** Counters and the latency histogram of one simulator run; updated from many actors at once. */
final class SimStats {
    final LongAdder registrations = new LongAdder();
    final LongAdder reregistrations = new LongAdder();
    final LongAdder deregistrations = new LongAdder();
    final LongAdder failures = new LongAdder();
    final LongAdder crashed = new LongAdder();
    /** PEs registered right now: up on a registration the PE keeps, down when it leaves or crashes. */
    final LongAdder registered = new LongAdder();
    final LatencyStats latency = new LatencyStats();
    /** PEs registered when the hold began (with no hold: when the load ended); -1 until then. */
    volatile long registeredAtHold = -1;
    /** System.nanoTime() when the load ended (the hold began); 0 until then. */
    volatile long loadEndNanos;
}
