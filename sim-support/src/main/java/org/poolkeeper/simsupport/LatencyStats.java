package org.poolkeeper.simsupport;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Request latencies of a simulator run in microseconds (up to 60 s, 3 significant digits): recorded from
 * many threads at once, sampled per progress interval, and summed for the final report.
 */
public final class LatencyStats {
    private static final long MAX_MICROS = TimeUnit.SECONDS.toMicros(60);

    private final Recorder recorder = new Recorder(MAX_MICROS, 3);
    private final Histogram total = new Histogram(MAX_MICROS, 3);
    private Histogram interval;

    /** Records the time since {@code startNanos} ({@link System#nanoTime()}). Thread-safe. */
    public void recordSince(long startNanos) {
        long micros = Math.max(1, (System.nanoTime() - startNanos) / 1000);
        recorder.recordValue(Math.min(micros, MAX_MICROS));
    }

    /** What was recorded since the previous call (also added to the total). */
    public synchronized Histogram sampleInterval() {
        interval = recorder.getIntervalHistogram(interval);
        total.add(interval);
        return interval;
    }

    /** Everything recorded so far. */
    public synchronized Histogram total() {
        sampleInterval();
        return total;
    }

    /** A percentile of a histogram, 0 when it is empty. */
    public static long percentile(Histogram histogram, double percentile) {
        return histogram.getTotalCount() == 0 ? 0 : histogram.getValueAtPercentile(percentile);
    }

    /** Writes {@code "latency_us": {"p50":…, "p99":…, "p999":…}} of the total into {@code json}. */
    public void writeTo(ObjectNode json) {
        Histogram all = total();
        ObjectNode percentiles = json.putObject("latency_us");
        percentiles.put("p50", percentile(all, 50));
        percentiles.put("p99", percentile(all, 99));
        percentiles.put("p999", percentile(all, 99.9));
    }
}
