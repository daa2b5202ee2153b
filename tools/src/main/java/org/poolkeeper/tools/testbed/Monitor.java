package org.poolkeeper.tools.testbed;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.poolkeeper.tools.metrics.Exposition;

/**
 * Scrapes both registrars' {@code /metrics} every second — CPU (process CPU time over wall time), resident memory,
 * PEs held, requests answered, replication counters — and compares their status files' checksums; prints one
 * progress line every 5 s.
 */
public final class Monitor implements Runnable {

    /** One 1-second sample; a figure a scrape did not give is NaN (or -1 for the counts). */
    record Sample(double t, double regPerS, double resPerS, double cpuPrimary, double cpuBackup, long rssPrimaryKb,
                  long rssBackupKb, double batchesPerS, double updatesPerS, long elementsPrimary,
                  long elementsBackup) { }

    private static final Duration SCRAPE_TIMEOUT = Duration.ofSeconds(2);

    /** The figures of one scrape of one registrar. */
    private record Figures(double cpuNanos, double rssBytes, double elements, double registrations,
                           double resolutions, double batchesSent, double updatesReceived, double bytesSent) {
        static Figures of(Exposition e) {
            return new Figures(e.sum("process_cpu_time_ns_total"), e.sum("process_resident_memory_bytes"),
                    e.sum("poolkeeper_pool_elements"),
                    e.sum("poolkeeper_requests_total", "request", "registration")
                            + e.sum("poolkeeper_requests_total", "request", "reregistration"),
                    e.sum("poolkeeper_requests_total", "request", "resolution"),
                    e.sum("poolkeeper_replication_batches_sent_total"),
                    e.sum("poolkeeper_replication_updates_received_total"),
                    e.sum("poolkeeper_replication_bytes_sent_total"));
        }
    }

    private final TestbedCommand bed;
    private final TestbedCommand.Child primary;
    private final TestbedCommand.Child backup;
    final List<Sample> samples = new ArrayList<>();
    volatile boolean stop;
    /** Set when the pe-sims hold: the checksum-equality counts cover the load only. */
    volatile boolean loadOver;
    int checksumSamples;
    int checksumEqual;
    /** Scrapes that failed (timeout, refused, not the exposition format), and the last reason. */
    int scrapeFailures;
    int scrapes;
    String lastScrapeFailure;
    /** Replication totals of both registrars at the first and the last complete pair of scrapes. */
    double firstBatches = Double.NaN;
    double firstUpdates;
    double firstBytes;
    double lastBatches;
    double lastUpdates;
    double lastBytes;
    double firstCounterT;
    double lastCounterT;

    Monitor(TestbedCommand bed, TestbedCommand.Child primary, TestbedCommand.Child backup) {
        this.bed = bed;
        this.primary = primary;
        this.backup = backup;
    }

    private Figures scrape(TestbedCommand.Child registrar) {
        scrapes++;
        try {
            return Figures.of(Exposition.scrape(registrar.http, SCRAPE_TIMEOUT));
        } catch (IOException | IllegalArgumentException e) {
            scrapeFailures++;
            lastScrapeFailure = registrar.name + ": " + e.getMessage();
            return null;
        }
    }

    /** The increase of a counter per second between two scrapes, or NaN if either is missing. */
    private static double rate(Figures before, Figures now, java.util.function.ToDoubleFunction<Figures> counter,
                               double seconds) {
        return before == null || now == null ? Double.NaN
                : (counter.applyAsDouble(now) - counter.applyAsDouble(before)) / seconds;
    }

    private static double both(Figures p, Figures b, java.util.function.ToDoubleFunction<Figures> f) {
        return p == null || b == null ? Double.NaN : f.applyAsDouble(p) + f.applyAsDouble(b);
    }

    @Override
    public void run() {
        long t0 = System.nanoTime();
        double lastT = 0;
        Figures lastP = scrape(primary);
        Figures lastB = scrape(backup);
        int n = 0;
        while (!stop) {
            TestbedCommand.sleep(1000);
            double t = (System.nanoTime() - t0) / 1e9;
            double wall = t - lastT;
            lastT = t;
            Figures p = scrape(primary);
            Figures b = scrape(backup);
            double cpuP = rate(lastP, p, Figures::cpuNanos, wall) / 1e7; // ns/s -> % of one core
            double cpuB = rate(lastB, b, Figures::cpuNanos, wall) / 1e7;
            // the simulators talk to the primary, but a client may fail over: both registrars' answers count
            double regRate = both(p, b, Figures::registrations) - both(lastP, lastB, Figures::registrations);
            double resRate = both(p, b, Figures::resolutions) - both(lastP, lastB, Figures::resolutions);
            double bps = both(p, b, Figures::batchesSent) - both(lastP, lastB, Figures::batchesSent);
            double ups = both(p, b, Figures::updatesReceived) - both(lastP, lastB, Figures::updatesReceived);
            if (p != null && b != null) {
                if (Double.isNaN(firstBatches)) {
                    firstBatches = both(p, b, Figures::batchesSent);
                    firstUpdates = both(p, b, Figures::updatesReceived);
                    firstBytes = both(p, b, Figures::bytesSent);
                    firstCounterT = bed.elapsedNow();
                }
                lastBatches = both(p, b, Figures::batchesSent);
                lastUpdates = both(p, b, Figures::updatesReceived);
                lastBytes = both(p, b, Figures::bytesSent);
                lastCounterT = bed.elapsedNow();
            }
            if (!loadOver) {
                String sp = TestbedCommand.readString(bed.statusFile(primary));
                String sb = TestbedCommand.readString(bed.statusFile(backup));
                if (sp != null && sb != null) {
                    checksumSamples++;
                    String cp = TestbedCommand.str(sp, "checksum");
                    if (cp != null && cp.equals(TestbedCommand.str(sb, "checksum"))) {
                        checksumEqual++;
                    }
                }
            }
            lastP = p;
            lastB = b;
            n++;
            Sample s = new Sample(bed.elapsedNow(), regRate / wall, resRate / wall, cpuP, cpuB, kb(p), kb(b),
                    bps / wall, ups / wall, count(p), count(b));
            synchronized (samples) {
                samples.add(s);
            }
            if (n % 5 == 0) {
                print(s);
            }
        }
    }

    private static long kb(Figures f) {
        return f == null || Double.isNaN(f.rssBytes()) ? -1 : (long) (f.rssBytes() / 1024);
    }

    private static long count(Figures f) {
        return f == null ? -1 : (long) f.elements();
    }

    /** The progress line: rates averaged over the last 5 samples, CPU now and its peak over them. */
    private void print(Sample now) {
        double reg = 0;
        double res = 0;
        double ups = 0;
        double peakP = 0;
        double peakB = 0;
        int k = 0;
        synchronized (samples) {
            for (int i = Math.max(0, samples.size() - 5); i < samples.size(); i++, k++) {
                Sample x = samples.get(i);
                reg += x.regPerS();
                res += x.resPerS();
                ups += x.updatesPerS();
                peakP = Math.max(peakP, x.cpuPrimary());
                peakB = Math.max(peakB, x.cpuBackup());
            }
        }
        System.out.printf(Locale.ROOT, "[%5.1fs] registrations+re-registrations/s=%8.0f  resolutions/s=%8.0f"
                        + "  registrar CPU%% primary=%5.1f (peak %5.1f) backup=%5.1f (peak %5.1f)"
                        + "  PEs=%d/%d  repl updates/s=%.0f%n",
                now.t(), reg / k, res / k, now.cpuPrimary(), peakP, now.cpuBackup(), peakB, now.elementsPrimary(),
                now.elementsBackup(), ups / k);
        System.out.flush();
    }

    /** Heap used now (all heap pools, from the registrar's /metrics), e.g. "23.4 MB", or why there is none. */
    static String heapUsed(TestbedCommand.Child registrar) {
        try {
            double used = Exposition.scrape(registrar.http, SCRAPE_TIMEOUT).sum("jvm_memory_used_bytes", "area",
                    "heap");
            return Double.isNaN(used) ? "n/a (no jvm_memory_used_bytes)"
                    : String.format(Locale.ROOT, "%.1f MB", used / 1024 / 1024);
        } catch (IOException | IllegalArgumentException e) {
            return "n/a (scrape failed: " + e.getMessage() + ")";
        }
    }
}
