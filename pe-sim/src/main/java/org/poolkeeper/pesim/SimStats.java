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
    final LatencyStats latency = new LatencyStats();
}
