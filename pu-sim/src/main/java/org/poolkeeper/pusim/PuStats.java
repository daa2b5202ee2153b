package org.poolkeeper.pusim;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/** Counters and the latency histogram of one pu-sim run; updated from many actors at once. */
final class PuStats {
    final LongAdder resolutions = new LongAdder();
    final LongAdder errors = new LongAdder();
    final LongAdder unreachableReports = new LongAdder();
    final Map<String, LongAdder> errorKinds = new ConcurrentHashMap<>();
    final Fairness fairness = new Fairness();
    private final Recorder recorder = new Recorder(TimeUnit.SECONDS.toMicros(60), 3);
    private final Histogram total = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
    private Histogram interval;

    void recordLatency(long startNanos) {
        long micros = Math.max(1, (System.nanoTime() - startNanos) / 1000);
        recorder.recordValue(Math.min(micros, TimeUnit.SECONDS.toMicros(60)));
    }

    void recordError(Throwable error) {
        errors.increment();
        errorKinds.computeIfAbsent(error.getClass().getSimpleName(), k -> new LongAdder()).increment();
    }

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
