package org.poolkeeper.tools.testbed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Samples the registrars every second (CPU % from /proc/PID/stat utime+stime over wall time, VmRSS from
 * /proc/PID/status, the status file's replication counters) and prints one progress line every 5 s with the
 * simulators' registration and resolution rates (from their cumulative stderr progress lines and final JSON).
 */
public final class Monitor implements Runnable {

    /** One 1-second sample. */
    record Sample(double t, double regPerS, double resPerS, double cpuPrimary, double cpuBackup, long rssPrimaryKb,
                  long rssBackupKb, double batchesPerS, double updatesPerS, long elementsPrimary,
                  long elementsBackup) { }

    static final double TICKS = 100.0; // USER_HZ (getconf CLK_TCK) on Linux

    private static final Pattern PE_PROGRESS =
            Pattern.compile("registrations=(\\d+)\\s+reregistrations=(\\d+)");
    private static final Pattern PU_PROGRESS = Pattern.compile("resolutions=(\\d+)");

    private final TestbedCommand bed;
    private final TestbedCommand.Child primary;
    private final TestbedCommand.Child backup;
    final List<Sample> samples = new ArrayList<>();
    volatile boolean stop;
    /** Set when the pe-sims hold: the checksum-equality counts cover the load only. */
    volatile boolean loadOver;
    int checksumSamples;
    int checksumEqual;
    long firstBatches = -1;
    long firstUpdates = -1;
    long lastBatches;
    long firstBytes;
    long lastBytes;
    long lastUpdates;
    double firstCounterT;
    double lastCounterT;

    Monitor(TestbedCommand bed, TestbedCommand.Child primary, TestbedCommand.Child backup) {
        this.bed = bed;
        this.primary = primary;
        this.backup = backup;
    }

    @Override
    public void run() {
        long t0 = System.nanoTime();
        double lastT = 0;
        long[] cpu0 = {cpuTicks(primary.process.pid()), cpuTicks(backup.process.pid())};
        double lastOpsT = 0;
        double[] lastOps = ops();
        double regRate = 0;
        double resRate = 0;
        long prevBatches = -1;
        long prevUpdates = -1;
        int n = 0;
        while (!stop) {
            TestbedCommand.sleep(1000);
            double t = (System.nanoTime() - t0) / 1e9;
            double wall = t - lastT;
            lastT = t;
            long[] cpu = {cpuTicks(primary.process.pid()), cpuTicks(backup.process.pid())};
            double cpuP = cpu[0] < 0 ? 0 : (cpu[0] - cpu0[0]) / TICKS / wall * 100;
            double cpuB = cpu[1] < 0 ? 0 : (cpu[1] - cpu0[1]) / TICKS / wall * 100;
            cpu0 = cpu;
            String sp = TestbedCommand.readString(bed.statusFile(primary));
            String sb = TestbedCommand.readString(bed.statusFile(backup));
            long batches = (long) (Math.max(0, TestbedCommand.num(sp, "sent_batches"))
                    + Math.max(0, TestbedCommand.num(sb, "sent_batches")));
            long updates = (long) (Math.max(0, TestbedCommand.num(sp, "received_updates"))
                    + Math.max(0, TestbedCommand.num(sb, "received_updates")));
            long bytes = (long) (Math.max(0, TestbedCommand.num(sp, "sent_bytes"))
                    + Math.max(0, TestbedCommand.num(sb, "sent_bytes")));
            if (firstBatches < 0) {
                firstBatches = batches;
                firstBytes = bytes;
                firstUpdates = updates;
                firstCounterT = bed.elapsedNow();
            }
            if (sp != null && sb != null && !loadOver) {
                checksumSamples++;
                String cp = TestbedCommand.str(sp, "checksum");
                if (cp != null && cp.equals(TestbedCommand.str(sb, "checksum"))) {
                    checksumEqual++;
                }
            }
            lastBatches = batches;
            lastBytes = bytes;
            lastUpdates = updates;
            lastCounterT = bed.elapsedNow();
            double bps = prevBatches < 0 ? 0 : (batches - prevBatches) / wall;
            double ups = prevUpdates < 0 ? 0 : (updates - prevUpdates) / wall;
            prevBatches = batches;
            prevUpdates = updates;
            n++;
            if (n % 5 == 0) {
                double[] o = ops();
                double dt = t - lastOpsT;
                regRate = (o[0] - lastOps[0]) / dt;
                resRate = (o[1] - lastOps[1]) / dt;
                lastOps = o;
                lastOpsT = t;
            }
            Sample s = new Sample(bed.elapsedNow(), regRate, resRate, cpuP, cpuB, rssKb(primary.process.pid()),
                    rssKb(backup.process.pid()), bps, ups, (long) TestbedCommand.num(sp, "elements"),
                    (long) TestbedCommand.num(sb, "elements"));
            synchronized (samples) {
                samples.add(s);
            }
            if (n % 5 == 0) {
                double peakP = 0;
                double peakB = 0;
                synchronized (samples) {
                    for (int i = Math.max(0, samples.size() - 5); i < samples.size(); i++) {
                        peakP = Math.max(peakP, samples.get(i).cpuPrimary());
                        peakB = Math.max(peakB, samples.get(i).cpuBackup());
                    }
                }
                System.out.printf(Locale.ROOT, "[%5.1fs] registrations+re-registrations/s=%8.0f  resolutions/s=%8.0f"
                                + "  registrar CPU%% primary=%5.1f (peak %5.1f) backup=%5.1f (peak %5.1f)"
                                + "  PEs=%d/%d  repl updates/s=%.0f%n",
                        bed.elapsedNow(), regRate, resRate, cpuP, peakP, cpuB, peakB, s.elementsPrimary(),
                        s.elementsBackup(), ups);
                System.out.flush();
            }
        }
    }

    /** Cumulative (registrations + re-registrations, resolutions) over all simulator processes so far. */
    private double[] ops() {
        double reg = 0;
        double res = 0;
        for (TestbedCommand.Child c : bed.children()) {
            if (c.role.equals("registrar")) {
                continue;
            }
            String json = c.process.isAlive() ? null : c.lastJsonLine();
            if (c.role.equals("pe")) {
                if (json != null) {
                    reg += Math.max(0, TestbedCommand.num(json, "registrations"))
                            + Math.max(0, TestbedCommand.num(json, "reregistrations"));
                } else {
                    Matcher m = last(PE_PROGRESS, c.errFile);
                    if (m != null) {
                        reg += Long.parseLong(m.group(1)) + Long.parseLong(m.group(2));
                    }
                }
            } else {
                if (json != null) {
                    res += Math.max(0, TestbedCommand.num(json, "resolutions"));
                } else {
                    Matcher m = last(PU_PROGRESS, c.errFile);
                    if (m != null) {
                        res += Long.parseLong(m.group(1));
                    }
                }
            }
        }
        return new double[] {reg, res};
    }

    private static Matcher last(Pattern p, Path file) {
        Matcher found = null;
        for (String line : TestbedCommand.readLines(file)) {
            Matcher m = p.matcher(line);
            if (m.find()) {
                found = m;
            }
        }
        return found;
    }

    /** utime + stime of a process in clock ticks, or -1. */
    static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // after the comm field: state(0) ppid(1) ... utime is field 14 overall = index 11 here, stime 12
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The resident set size of a process, in kB, or -1 if it is gone. */
    public static long rssKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return -1;
    }
}
