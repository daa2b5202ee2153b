package org.poolkeeper.pusim;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.poolkeeper.simsupport.LatencyStats;

/** Counters and the latency histogram of one pu-sim run; updated from many actors at once. */
final class PuStats {
    final LongAdder resolutions = new LongAdder();
    final LongAdder errors = new LongAdder();
    final LongAdder unreachableReports = new LongAdder();
    final Map<String, LongAdder> errorKinds = new ConcurrentHashMap<>();
    final Fairness fairness = new Fairness();
    final LatencyStats latency = new LatencyStats();

    void recordError(Throwable error) {
        errors.increment();
        errorKinds.computeIfAbsent(error.getClass().getSimpleName(), k -> new LongAdder()).increment();
    }
}
