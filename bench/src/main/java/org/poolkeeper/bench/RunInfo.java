package org.poolkeeper.bench;

import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** What a reader needs to judge the figures: when, on what, under which load and with which settings. */
final class RunInfo {
    final Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    final double loadAtStart = load();
    final String machine;
    final String settings;
    Instant finished;
    double loadAtEnd;

    private RunInfo(String machine, String settings) {
        this.machine = machine;
        this.settings = settings;
    }

    static RunInfo capture(PaperTableCommand.Settings s) {
        Runtime rt = Runtime.getRuntime();
        String machine = String.format("%d cores, Java %s (%s), max heap %,d MiB, GC %s, %s %s", rt.availableProcessors(),
                System.getProperty("java.version"), System.getProperty("java.vm.name"), rt.maxMemory() >> 20,
                gcNames(), System.getProperty("os.name"), System.getProperty("os.arch"));
        String settings = String.format("%s %d fork%s (separate JVMs, one after the other), each: warm-up %s, then "
                + "%d windows of %s per cell", s.quick ? "QUICK (smoke) run:" : "full run:", s.forks,
                s.forks == 1 ? "" : "s", Durations.format(s.warmupNs), s.reps, Durations.format(s.windowNs));
        return new RunInfo(machine, settings);
    }

    static RunInfo now(String settings) {
        RunInfo info = capture(settingsStub());
        RunInfo r = new RunInfo(info.machine, settings);
        r.finish();
        return r;
    }

    private static PaperTableCommand.Settings settingsStub() {
        PaperTableCommand.Settings s = new PaperTableCommand.Settings();
        s.windowNs = 100_000_000L;
        s.warmupNs = 0;
        return s;
    }

    private static String gcNames() {
        StringBuilder names = new StringBuilder();
        for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (names.length() > 0) {
                names.append('/');
            }
            names.append(gc.getName());
        }
        return names.toString();
    }

    static double load() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    void finish() {
        finished = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        loadAtEnd = load();
    }

    String header() {
        return String.format("- Run: %s → %s (UTC); 1-minute load average %.2f at start, %.2f at end%n- Machine: %s%n"
                + "- Settings: %s%n", started, finished, loadAtStart, loadAtEnd, machine, settings);
    }
}
