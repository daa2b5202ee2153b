package org.poolkeeper.pesim;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/** Counters and the latency histogram of one simulator run; updated from many actors at once. */
final class SimStats {
    final LongAdder registrations = new LongAdder();
    final LongAdder reregistrations = new LongAdder();
    final LongAdder deregistrations = new LongAdder();
    final LongAdder failures = new LongAdder();
    final LongAdder crashed = new LongAdder();
    private final Recorder recorder = new Recorder(TimeUnit.SECONDS.toMicros(60), 3);
    private final Histogram total = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
    private Histogram interval;

    void recordLatency(long startNanos) {
        long micros = Math.max(1, (System.nanoTime() - startNanos) / 1000);
        recorder.recordValue(Math.min(micros, TimeUnit.SECONDS.toMicros(60)));
    }

    /** Moves what was recorded since the last call into the total; returns the interval's histogram. */
    synchronized Histogram sampleInterval() {
        interval = recorder.getIntervalHistogram(interval);
        total.add(interval);
        return interval;
    }

    synchronized Histogram total() {
        sampleInterval();
        return total;
    }
}
