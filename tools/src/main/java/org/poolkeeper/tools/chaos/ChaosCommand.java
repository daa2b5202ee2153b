package org.poolkeeper.tools.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.ErrorCause;
import org.poolkeeper.protocol.wire.PoolElementEntry;
import org.poolkeeper.tools.scale.RawClient;
import org.poolkeeper.tools.ToolCli;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code chaos}: faults under load, with every survivor's view checked at every moment. Three registrar JVMs (each
 * in its own network namespace when the partition scenario runs and namespaces can be made, else on loopback),
 * restarted by a supervisor like the systemd unit's (any exit: start again after {@code --restart-delay}); per
 * scenario three pe-sims (the same pools, each preferring another registrar) and a pu-sim spreading resolutions
 * over the registrars; a read probe that lists every pool at every registrar every 100 ms and compares with the
 * PEs the pe-sims hold; a write probe that changes one PE in each of 30 probe pools every 200 ms, through a
 * registrar the fault spares (how long the pools of a killed registrar stay unwritable). Scenarios: {@code kill}
 * (SIGKILL), {@code pause} (SIGSTOP, SIGCONT), {@code restart} (repeated SIGKILL of a random registrar), {@code
 * partition} (2|1 by blackhole routes between the namespaces). After each fault: all three members agree
 * (checksums) and list every PE. Progress on stderr, a table on stdout and in {@code report.md}, figures in {@code
 * results.json}; exit 0 only if no survivor missed a live PE, no re-registration failed, at least 99.9 % of the
 * resolutions were answered and every settle ended in agreement.
 */
@Command(name = "chaos", mixinStandardHelpOptions = true, versionProvider = org.poolkeeper.simsupport.VersionLine.class, sortOptions = false,
        description = "Faults under load on three registrars: SIGKILL, SIGSTOP/SIGCONT, repeated kill/restart, a 2|1 "
                + "partition; checks that no serving registrar misses a live PE at any 100 ms sample.")
public final class ChaosCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern LISTENING = Pattern.compile("listening asap=([^:\\s]+):(\\d+) cluster=(\\S+)");
    private static final int PROBE_POOLS = 30;
    private static final int PROBE_PE_BASE = 0x7e000000;

    public static int run(String... args) {
        return ToolCli.run("chaos", new ChaosCommand(), args);
    }

    @Option(names = "--root", required = true, description = "The project root (deploy/bin is started from there).")
    Path root;

    @Option(names = "--scenarios", defaultValue = "kill,pause,restart,partition", split = ",",
            description = "Which faults, in order (default: ${DEFAULT-VALUE}).")
    List<String> scenarios;

    @Option(names = "--cycles", defaultValue = "5", description = "Kill/restart cycles of the restart scenario "
            + "(default: ${DEFAULT-VALUE}).")
    int cycles;

    @Option(names = "--cycle-seconds", defaultValue = "30", description = "Seconds per restart cycle (default: "
            + "${DEFAULT-VALUE}).")
    int cycleSeconds;

    @Option(names = "--pause-seconds", defaultValue = "15", description = "How long SIGSTOP lasts (default: "
            + "${DEFAULT-VALUE}).")
    int pauseSeconds;

    @Option(names = "--partition-seconds", defaultValue = "40", description = "How long the partition lasts "
            + "(default: ${DEFAULT-VALUE}).")
    int partitionSeconds;

    @Option(names = "--after-seconds", defaultValue = "15", description = "Load after a fault before the settle "
            + "(default: ${DEFAULT-VALUE}).")
    int afterSeconds;

    @Option(names = "--settle-seconds", defaultValue = "60", description = "Longest wait for agreement after a "
            + "fault (default: ${DEFAULT-VALUE}).")
    int settleSeconds;

    @Option(names = "--pools", defaultValue = "21", description = "Pools of the pe-sims (default: ${DEFAULT-VALUE}).")
    int pools;

    @Option(names = "--pes-per-pool", defaultValue = "34", description = "PEs per pool per pe-sim; three pe-sims "
            + "(default: ${DEFAULT-VALUE}, 2,142 PEs).")
    int pesPerPool;

    @Option(names = "--rate", defaultValue = "1500", description = "pu-sim resolutions/s (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--heap", defaultValue = "256m", description = "Registrar heap (default: ${DEFAULT-VALUE}).")
    String heap;

    @Option(names = "--restart-delay", defaultValue = "5", description = "Seconds the supervisor waits before "
            + "starting an exited registrar again, like RestartSec of the systemd unit (default: ${DEFAULT-VALUE}).")
    int restartDelay;

    @Option(names = "--netns", defaultValue = "auto", description = "auto (namespaces when the partition scenario "
            + "runs and they can be made), on, off (default: ${DEFAULT-VALUE}).")
    String netns;

    @Option(names = "--registrar-opts", defaultValue = "", description = "More JVM options for the registrars "
            + "(-Dpoolkeeper.registrar.KEY=VALUE).")
    String registrarOpts;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--soak-minutes", defaultValue = "0", description = "Instead of the scenarios: a soak of this "
            + "many minutes under churn with a random fault every --fault-every seconds, sampling heap after GC, RSS, "
            + "threads and file descriptors of every registrar (0: no soak; deploy/soak.sh passes 30).")
    int soakMinutes;

    @Option(names = "--fault-every", defaultValue = "180", description = "Soak: seconds between faults (default: "
            + "${DEFAULT-VALUE}).")
    int faultEvery;

    @Option(names = "--out", description = "Logs, status files and the report (default "
            + "target/chaos/<timestamp> under the root).")
    Path out;

    private final long t0 = System.nanoTime();
    private final List<Process> clients = new ArrayList<>();
    private final Node[] nodes = new Node[3];
    private Network network;
    private Random random;
    private final List<Map<String, String>> rows = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private final ArrayNode results = JSON.createArrayNode();
    private volatile boolean supervising = true;
    private ReadProbe[] readProbes;
    private WriteProbe writeProbe;

    @Override
    public Integer call() throws Exception {
        validate();
        random = new Random(seed);
        if (out == null) {
            out = root.resolve("target/chaos").resolve(LocalDateTime.now().format(
                    DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        }
        Files.createDirectories(out);
        boolean wantPartition = scenarios.contains("partition");
        network = Network.choose(netns, wantPartition, this::say);
        if (wantPartition && !network.canPartition()) {
            say("partition scenario SKIPPED: %s", network.why());
        }
        Thread hook = new Thread(this::stopAll, "chaos-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            startCluster();
            Thread supervisor = new Thread(this::supervise, "chaos-supervisor");
            supervisor.setDaemon(true);
            supervisor.start();
            readProbes = new ReadProbe[3];
            for (int i = 0; i < 3; i++) {
                readProbes[i] = new ReadProbe(nodes[i], pools);
                readProbes[i].start();
            }
            writeProbe = new WriteProbe(nodes);
            writeProbe.start();
            if (soakMinutes > 0) {
                scenarios = List.of();
                soak();
            }
            for (String s : scenarios) {
                switch (s) {
                    case "kill" -> scenario("kill", this::kill);
                    case "pause" -> scenario("pause", this::pause);
                    case "restart" -> scenario("restart", this::restarts);
                    case "partition" -> {
                        if (network.canPartition()) {
                            scenario("partition", this::partition);
                        } else {
                            Map<String, String> row = new LinkedHashMap<>();
                            row.put("scenario", "partition");
                            row.put("faults", "SKIPPED: " + network.why());
                            rows.add(row);
                        }
                    }
                    default -> throw new IllegalArgumentException("unknown scenario " + s);
                }
            }
        } finally {
            supervising = false;
            if (writeProbe != null) {
                writeProbe.interrupt();
            }
            if (readProbes != null) {
                for (ReadProbe p : readProbes) {
                    if (p != null) {
                        p.interrupt();
                    }
                }
            }
            stopAll();
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        String report = report();
        Files.writeString(out.resolve("report.md"), report);
        ObjectNode json = JSON.createObjectNode();
        json.set("scenarios", results);
        json.put("pass", problems.isEmpty());
        Files.writeString(out.resolve("results.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json));
        System.out.print(report);
        System.out.flush();
        return problems.isEmpty() ? 0 : 1;
    }

    // ------------------------------------------------------------------ soak

    /** One resource sample of one registrar. */
    private record Sample(double minutes, int node, long pid, long heapAfterGc, long rssKb, int threads, int fds) {
    }

    /**
     * Runs the cluster under churn for {@code soakMinutes}, a fault (SIGKILL or a 10 s SIGSTOP, half each) of
     * registrar 2 or 3 every {@code faultEvery} seconds, and samples every registrar every 10 s. Registrar 1 is
     * never faulted: it lives through every takeover, rejoin pull and hand-off of the run, so its series is the one
     * a leak shows in; the others' series restart with each restart.
     */
    private void soak() throws Exception {
        say("soak: %d minutes, a fault every %d s, samples every 10 s", soakMinutes, faultEvery);
        List<Process> sims = startPeSims("soak", soakMinutes * 60 + 120, 5, 0);
        sims.add(startPuSim("soak"));
        List<Sample> samples = new ArrayList<>();
        long start = System.nanoTime();
        long end = start + TimeUnit.MINUTES.toNanos(soakMinutes);
        long nextFault = start + TimeUnit.SECONDS.toNanos(faultEvery);
        long nextSample = start;
        int faults = 0;
        Scenario log = new Scenario("soak");
        while (System.nanoTime() < end) {
            long now = System.nanoTime();
            if (now >= nextSample) {
                nextSample += TimeUnit.SECONDS.toNanos(10);
                double minutes = (now - start) / 6e10;
                for (Node n : nodes) {
                    if (n.alive()) {
                        JsonNode st = n.status();
                        long pid = n.pid();
                        samples.add(new Sample(minutes, n.index, pid, st.path("heap_after_gc_bytes").asLong(),
                                rssKb(pid), st.path("threads").asInt(), fds(pid)));
                    }
                }
                if (samples.size() % 18 == 0) {
                    Sample last = samples.get(samples.size() - 1);
                    say("soak: %.1f of %d min, %d faults; registrar %d heap after GC %.1f MB, RSS %.0f MB, %d "
                            + "threads, %d fds", minutes, soakMinutes, faults, last.node() + 1,
                            last.heapAfterGc() / 1e6, last.rssKb() / 1e3, last.threads(), last.fds());
                }
            }
            if (now >= nextFault) {
                nextFault += TimeUnit.SECONDS.toNanos(faultEvery);
                int victim = 1 + random.nextInt(2);
                faults++;
                if (random.nextBoolean()) {
                    log.event("SIGKILL registrar %d", victim + 1);
                    nodes[victim].signal("KILL");
                } else {
                    log.event("SIGSTOP registrar %d for 10 s", victim + 1);
                    nodes[victim].signal("STOP");
                    Thread.sleep(10_000);
                    nodes[victim].signal("CONT");
                }
            }
            Thread.sleep(500);
        }
        for (Process p : sims) {
            p.destroyForcibly();
        }
        Map<String, String> row = new LinkedHashMap<>();
        row.put("scenario", "soak");
        row.put("faults", Integer.toString(faults));
        rows.add(row);
        soakReport(samples, faults, log);
    }

    private void soakReport(List<Sample> samples, int faults, Scenario log) throws IOException {
        StringBuilder csv = new StringBuilder("minutes,registrar,pid,heap_after_gc_bytes,rss_kb,threads,fds\n");
        for (Sample s : samples) {
            csv.append(String.format(Locale.ROOT, "%.2f,%d,%d,%d,%d,%d,%d%n", s.minutes(), s.node() + 1, s.pid(),
                    s.heapAfterGc(), s.rssKb(), s.threads(), s.fds()));
        }
        Files.writeString(out.resolve("soak.csv"), csv);
        StringBuilder table = new StringBuilder("\n## Soak: " + soakMinutes + " minutes, " + faults + " faults\n\n"
                + "Per registrar, over its longest run without a restart (after its first min(5, minutes / 6) "
                + "minutes of warm-up): the median of the first and the last quarter of its samples, the least-squares trend, and whether it stayed flat (the trend over the "
                + "run below 10 % of the median, or below the noise floor: 8 MB heap, 16 MB RSS, 8 threads, 16 fds)."
                + "\n\n| registrar | minutes | metric | first quarter | last quarter | trend over the run | flat |\n"
                + "| --- | --- | --- | --- | --- | --- | --- |\n");
        String[] names = {"heap after GC (MB)", "RSS (MB)", "threads", "file descriptors"};
        double[] floors = {8, 16, 8, 16};
        org.jfree.data.xy.XYSeriesCollection heap = new org.jfree.data.xy.XYSeriesCollection();
        org.jfree.data.xy.XYSeriesCollection rss = new org.jfree.data.xy.XYSeriesCollection();
        for (int node = 0; node < 3; node++) {
            int n = node;
            Map<Long, List<Sample>> byPid = new LinkedHashMap<>();
            samples.stream().filter(s -> s.node() == n).forEach(s -> byPid.computeIfAbsent(s.pid(),
                    k -> new ArrayList<>()).add(s));
            List<Sample> run = byPid.values().stream().max(java.util.Comparator.comparingInt(List::size))
                    .orElse(List.of());
            // the first minutes of a JVM are warm-up (JIT, heap and thread pools growing to their working size)
            double warmup = Math.min(5, soakMinutes / 6.0);
            List<Sample> longest = run.isEmpty() ? run : run.stream()
                    .filter(x -> x.minutes() >= run.get(0).minutes() + warmup).toList();
            org.jfree.data.xy.XYSeries h = new org.jfree.data.xy.XYSeries("registrar " + (n + 1), false);
            org.jfree.data.xy.XYSeries r = new org.jfree.data.xy.XYSeries("registrar " + (n + 1), false);
            samples.stream().filter(s -> s.node() == n).forEach(s -> {
                h.add(s.minutes(), s.heapAfterGc() / 1e6);
                r.add(s.minutes(), s.rssKb() / 1e3);
            });
            heap.addSeries(h);
            rss.addSeries(r);
            if (longest.size() < 8) {
                table.append("| ").append(n + 1).append(" | - | (too few samples without a restart) | | | | |\n");
                continue;
            }
            double span = longest.get(longest.size() - 1).minutes() - longest.get(0).minutes();
            for (int m = 0; m < 4; m++) {
                int metric = m;
                double[] x = longest.stream().mapToDouble(Sample::minutes).toArray();
                double[] y = longest.stream().mapToDouble(s -> switch (metric) {
                    case 0 -> s.heapAfterGc() / 1e6;
                    case 1 -> s.rssKb() / 1e3;
                    case 2 -> s.threads();
                    default -> s.fds();
                }).toArray();
                int q = y.length / 4;
                double first = median(java.util.Arrays.copyOfRange(y, 0, q));
                double last = median(java.util.Arrays.copyOfRange(y, y.length - q, y.length));
                double trend = slope(x, y) * span;
                double mid = median(y);
                boolean flat = trend < Math.max(0.10 * mid, floors[m]);
                if (!flat && n == 0) {
                    problems.add(String.format(Locale.ROOT, "soak: registrar 1's %s grew by %.1f over %.0f minutes",
                            names[m], trend, span));
                }
                table.append(String.format(Locale.ROOT, "| %d | %.0f | %s | %.1f | %.1f | %+.1f | %s |%n", n + 1,
                        span, names[m], first, last, trend, flat ? "yes" : "NO"));
            }
        }
        table.append("\nFaults: ").append(String.join("; ", log.events)).append("\n\nPlots: heap.png, rss.png; "
                + "samples: soak.csv\n");
        soakTable = table.toString();
        org.poolkeeper.tools.testbed.Report.png(out.resolve("heap.png"), "Registrar heap after GC", "minutes",
                "MB", heap);
        org.poolkeeper.tools.testbed.Report.png(out.resolve("rss.png"), "Registrar RSS", "minutes", "MB", rss);
    }

    private String soakTable = "";

    private static double median(double[] values) {
        double[] v = values.clone();
        java.util.Arrays.sort(v);
        return v.length == 0 ? 0 : v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static double slope(double[] x, double[] y) {
        double mx = java.util.Arrays.stream(x).average().orElse(0);
        double my = java.util.Arrays.stream(y).average().orElse(0);
        double num = 0;
        double den = 0;
        for (int i = 0; i < x.length; i++) {
            num += (x[i] - mx) * (y[i] - my);
            den += (x[i] - mx) * (x[i] - mx);
        }
        return den == 0 ? 0 : num / den;
    }

    /** The resident set size of a process, in kB (VmRSS), or -1 if it is gone. */
    private static long rssKb(long pid) {
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

    private static int fds(long pid) {
        try (java.util.stream.Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return (int) s.count();
        } catch (IOException e) {
            return -1;
        }
    }

    private void validate() {
        if (cycles < 1 || cycleSeconds < 10 || pauseSeconds < 1 || partitionSeconds < 1 || afterSeconds < 1
                || settleSeconds < 5 || pools < 1 || pools > 1000 || pesPerPool < 1 || 3 * pesPerPool > 128
                || rate < 1 || restartDelay < 0) {
            throw new CommandLine.ParameterException(new CommandLine(this), "out of range: --cycles >= 1, "
                    + "--cycle-seconds >= 10, --pes-per-pool 1..42 (a probe lists up to 128 PEs per pool), --pools "
                    + "1..1000, --rate >= 1, --settle-seconds >= 5");
        }
        for (String s : scenarios) {
            if (!List.of("kill", "pause", "restart", "partition").contains(s)) {
                throw new CommandLine.ParameterException(new CommandLine(this), "unknown scenario '" + s
                        + "' (kill, pause, restart, partition)");
            }
        }
    }

    // ------------------------------------------------------------------ scenarios

    private interface Fault {
        void inject(Scenario s) throws Exception;
    }

    /** What one scenario measured. */
    final class Scenario {
        final String name;
        final long startMs = System.currentTimeMillis();
        final List<String> events = new ArrayList<>();
        final List<Double> writableAfter = new ArrayList<>();
        int settled;
        int faults;

        Scenario(String name) {
            this.name = name;
        }

        void event(String format, Object... args) {
            String e = String.format(Locale.ROOT, format, args);
            events.add(String.format(Locale.ROOT, "+%.1fs %s", (System.currentTimeMillis() - startMs) / 1000.0, e));
            say("%s: %s", name, e);
        }
    }

    private void scenario(String name, Fault fault) throws Exception {
        say("scenario %s: starting load", name);
        int total = 3 * pools * pesPerPool;
        awaitNoPes(60); // the last scenario's PEs are gone (their pe-sims were stopped)
        List<Process> sims = startPeSims(name);
        Scenario s = new Scenario(name);
        Set<Integer> expected = awaitExpected(name, total, 150);
        Process puSim = startPuSim(name);
        Thread.sleep(6000); // the pu-sim's first progress line, the baseline
        for (ReadProbe p : readProbes) {
            p.check(expected);
        }
        Map<String, Long> before = progress(name);
        s.event("load running: %d PEs in %d pools listed by all three registrars; pu-sim resolving", expected.size(),
                pools);
        fault.inject(s);
        s.event("fault over; load continues %d s", afterSeconds);
        Thread.sleep(afterSeconds * 1000L);
        boolean agreed = settle(s, expected);
        for (ReadProbe p : readProbes) {
            p.check(null);
        }
        Thread.sleep(5500); // a progress line after the settle
        Map<String, Long> after = progress(name);
        Map<String, Long> pe = new LinkedHashMap<>();
        after.forEach((k, v) -> pe.put(k, v - before.getOrDefault(k, 0L)));
        for (Process p : sims) {
            p.destroyForcibly();
        }
        puSim.destroyForcibly();
        for (Process p : sims) {
            p.waitFor(10, TimeUnit.SECONDS);
        }
        long resolutions = pe.getOrDefault("resolutions", 0L);
        long resolutionErrors = pe.getOrDefault("errors", 0L);
        JsonNode pu = resolutions > 0 ? JSON.createObjectNode() : null;
        double answered = resolutions + resolutionErrors == 0 ? 0
                : 100.0 * resolutions / (resolutions + resolutionErrors);
        int missingMax = 0;
        long badSamples = 0;
        long samples = 0;
        double longestWindow = 0;
        List<String> missingDetail = new ArrayList<>();
        for (ReadProbe p : readProbes) {
            ReadProbe.Tally t = p.takeTally();
            missingMax = Math.max(missingMax, t.maxMissing);
            badSamples += t.badSamples;
            samples += t.samples;
            longestWindow = Math.max(longestWindow, t.longestWindowMs / 1000.0);
            missingDetail.addAll(t.detail);
        }
        Map<String, String> row = new LinkedHashMap<>();
        row.put("scenario", name);
        row.put("faults", Integer.toString(s.faults));
        row.put("PEs missing at a serving registrar (max, samples)", missingMax + " (" + badSamples + " of "
                + samples + ")");
        row.put("re-registrations failed", String.format(Locale.ROOT, "%d of %d", pe.getOrDefault("failures", 0L),
                pe.getOrDefault("reregistrations", 0L) + pe.getOrDefault("registrations", 0L)));
        row.put("PE fail-overs", Long.toString(pe.getOrDefault("failovers", 0L)));
        row.put("resolutions answered", pu == null ? "no summary" : String.format(Locale.ROOT, "%.3f %% of %,d",
                answered, resolutions + resolutionErrors));
        row.put("pools writable again after the kill", s.writableAfter.isEmpty() ? "-"
                : String.join(", ", s.writableAfter.stream().map(d -> String.format(Locale.ROOT, "%.2f s", d))
                .toList()));
        row.put("agreement after the settle", agreed ? "yes, " + s.settled + " s" : "NO");
        rows.add(row);
        ObjectNode r = results.addObject();
        r.put("scenario", name);
        r.put("faults", s.faults);
        r.put("missing_max", missingMax);
        r.put("missing_samples", badSamples);
        r.put("samples", samples);
        r.put("longest_missing_window_s", longestWindow);
        r.put("pe_failures", pe.getOrDefault("failures", 0L));
        r.put("pe_reregistrations", pe.getOrDefault("reregistrations", 0L));
        r.put("pe_failovers", pe.getOrDefault("failovers", 0L));
        r.put("resolutions", resolutions);
        r.put("resolution_errors", resolutionErrors);
        r.put("resolutions_answered_pct", answered);
        ArrayNode w = r.putArray("writable_after_kill_s");
        s.writableAfter.forEach(w::add);
        r.put("agreed", agreed);
        r.put("settle_s", s.settled);
        ArrayNode ev = r.putArray("events");
        s.events.forEach(ev::add);
        ArrayNode md = r.putArray("missing");
        missingDetail.forEach(md::add);
        ArrayNode causes = r.putArray("missing_causes");
        causesOf(missingPes(missingDetail)).forEach(causes::add);
        if (missingMax > 0) {
            problems.add(String.format(Locale.ROOT, "%s: a serving registrar missed up to %d live PEs (%d samples, "
                    + "longest %.1f s): %s; causes: %s", name, missingMax, badSamples, longestWindow,
                    String.join("; ", missingDetail.subList(0, Math.min(5, missingDetail.size()))),
                    String.join("; ", causesOf(missingPes(missingDetail)).subList(0,
                            Math.min(5, missingPes(missingDetail).size())))));
        }
        if (pe.getOrDefault("failures", 0L) > 0) {
            problems.add(name + ": " + pe.get("failures") + " registrations of live pe-sims failed");
        }
        if (pu == null || answered < 99.9) {
            problems.add(String.format(Locale.ROOT, "%s: %.3f %% of the resolutions answered (goal 99.9 %%)", name,
                    answered));
        }
        if (!agreed) {
            problems.add(name + ": the registrars did not agree within " + settleSeconds + " s after the fault");
        }
    }

    private static final Pattern MISSED = Pattern.compile("\\[([0-9a-f, ]+)\\]");

    /** The PE ids (hex) the missing-PE details name. */
    private static List<String> missingPes(List<String> detail) {
        List<String> ids = new ArrayList<>();
        for (String d : detail) {
            Matcher m = MISSED.matcher(d);
            if (m.find()) {
                for (String id : m.group(1).split(",\\s*")) {
                    if (!id.isBlank() && !ids.contains(id.trim()) && ids.size() < 10) {
                        ids.add(id.trim());
                    }
                }
            }
        }
        return ids;
    }

    /**
     * Why each of these PEs vanished, from the registrars' removal log ({@code -Dpoolkeeper.removals=DEBUG}): the
     * writer's reason, or that no registrar removed it (then a replica missed it).
     */
    private List<String> causesOf(List<String> pes) throws IOException {
        List<String> causes = new ArrayList<>();
        List<Path> logs;
        try (java.util.stream.Stream<Path> files = Files.list(out)) {
            logs = files.filter(f -> f.getFileName().toString().matches("node\\d-\\d+\\.err")).sorted().toList();
        }
        for (String pe : pes) {
            List<String> found = new ArrayList<>();
            for (Path log : logs) {
                for (String line : Files.readAllLines(log, StandardCharsets.ISO_8859_1)) {
                    if (line.contains("PE " + pe + " of pool")) {
                        int at = line.indexOf(" - PE ");
                        found.add(line.substring(11, 23) + " " + (at < 0 ? line : line.substring(at + 3)));
                    }
                }
            }
            java.util.Collections.sort(found); // by time of day: the first removal is the cause
            causes.add(pe + ": " + (found.isEmpty() ? "no registrar removed it (a replica missed it)"
                    : String.join(" | ", found.subList(0, Math.min(3, found.size())))));
        }
        return causes;
    }

    private static final Pattern COUNTER = Pattern.compile("\\b(registrations|reregistrations|failures|failovers"
            + "|resolutions|errors)=(\\d+)");

    /** The counters of the last progress line of every pe-sim (summed) and of the pu-sim of a scenario. */
    private Map<String, Long> progress(String name) throws IOException {
        Map<String, Long> sums = new LinkedHashMap<>();
        List<Path> files = new ArrayList<>();
        for (int j = 0; j < 3; j++) {
            files.add(out.resolve(name + "-pe-sim" + (j + 1) + ".err"));
        }
        files.add(out.resolve(name + "-pu-sim.err"));
        for (Path f : files) {
            List<String> lines = Files.exists(f) ? Files.readAllLines(f, StandardCharsets.ISO_8859_1) : List.of();
            for (int i = lines.size() - 1; i >= 0; i--) {
                Matcher m = COUNTER.matcher(lines.get(i));
                boolean found = false;
                while (m.find()) {
                    found = true;
                    sums.merge(m.group(1), Long.parseLong(m.group(2)), Long::sum);
                }
                if (found) {
                    break;
                }
            }
        }
        return sums;
    }

    private int kills;

    private void kill(Scenario s) throws Exception {
        // 1, 3, 2, ...: registrar 1 is the oldest member (it hosts the shard coordinator, which moves too); once it
        // is restarted, 2 is the oldest, so 3 dies next without the coordinator, then 2 with it
        int victim = new int[] {0, 2, 1}[kills++ % 3];
        killAndMeasure(s, victim);
        awaitMember(s, victim, 60);
    }

    private void killAndMeasure(Scenario s, int victim) throws Exception {
        Node n = nodes[victim];
        writeProbe.target((victim + 1) % 3);
        Thread.sleep(1000);
        long killedAt = System.currentTimeMillis();
        s.faults++;
        s.event("SIGKILL registrar %d (pid %d)", victim + 1, n.pid());
        n.signal("KILL");
        double writable = writeProbe.writableAfter(killedAt, 30_000);
        if (writable < 0) {
            s.event("probe pools NOT all writable within 30 s of the kill");
            problems.add(s.name + ": the probe pools were not all writable within 30 s of the kill");
        } else {
            s.writableAfter.add(writable);
            s.event("every probe pool written again %.2f s after the kill", writable);
        }
    }

    private void pause(Scenario s) throws Exception {
        int victim = random.nextInt(3);
        Node n = nodes[victim];
        writeProbe.target((victim + 1) % 3);
        s.faults++;
        long pid = n.pid();
        s.event("SIGSTOP registrar %d (pid %d) for %d s", victim + 1, pid, pauseSeconds);
        n.signal("STOP");
        Thread.sleep(pauseSeconds * 1000L);
        n.signal("CONT");
        s.event("SIGCONT registrar %d", victim + 1);
        awaitMember(s, victim, 90);
        if (n.pid() != pid) {
            s.event("registrar %d exited %s after it resumed and was restarted by the supervisor", victim + 1,
                    n.lastExit);
        }
    }

    private void restarts(Scenario s) throws Exception {
        for (int c = 0; c < cycles; c++) {
            long cycleStart = System.nanoTime();
            for (int i = 0; i < 3; i++) {
                awaitMember(s, i, 60); // one fault at a time: the last victim is back before the next dies
            }
            int victim = random.nextInt(3);
            killAndMeasure(s, victim);
            long left = TimeUnit.SECONDS.toMillis(cycleSeconds) - (System.nanoTime() - cycleStart) / 1_000_000;
            if (left > 0) {
                Thread.sleep(left);
            }
        }
        for (int i = 0; i < 3; i++) {
            awaitMember(s, i, 60);
        }
    }

    private void partition(Scenario s) throws Exception {
        int minority = 2; // not the first seed: a restarted minority must not form a cluster of its own
        writeProbe.target(0);
        s.faults++;
        long pid = nodes[minority].pid();
        s.event("partition {1,2} | {3} for %d s", partitionSeconds);
        network.partition(minority, true);
        try {
            Thread.sleep(partitionSeconds * 1000L);
        } finally {
            network.partition(minority, false);
        }
        s.event("partition healed");
        awaitMember(s, minority, 90);
        if (nodes[minority].pid() != pid) {
            s.event("registrar 3 exited %s during the partition and was restarted by the supervisor",
                    nodes[minority].lastExit);
        }
    }

    /** Waits until node {@code i} runs and is a ready member of a three-member cluster. */
    private void awaitMember(Scenario s, int i, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            JsonNode st = nodes[i].status();
            if (nodes[i].alive() && st.path("members").asInt() == 3 && st.path("ready").asBoolean()
                    && st.path("written_at_ms").asLong() > System.currentTimeMillis() - 2000) {
                s.event("registrar %d is a ready member again", i + 1);
                return;
            }
            Thread.sleep(200);
        }
        s.event("registrar %d NOT a ready member within %d s", i + 1, seconds);
    }

    /** Waits until all three agree (checksums, counts) and list every expected PE; true if they did in time. */
    private boolean settle(Scenario s, Set<Integer> expected) throws Exception {
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(settleSeconds);
        writeProbe.pause(true);
        try {
            return settled(s, expected, start, deadline);
        } finally {
            writeProbe.pause(false);
        }
    }

    private boolean settled(Scenario s, Set<Integer> expected, long start, long deadline) throws Exception {
        Thread.sleep(1000); // the probe's last changes replicated
        while (System.nanoTime() < deadline) {
            JsonNode[] st = new JsonNode[3];
            boolean ok = true;
            for (int i = 0; i < 3; i++) {
                st[i] = nodes[i].status();
                ok &= nodes[i].alive() && st[i].path("members").asInt() == 3 && st[i].path("ready").asBoolean()
                        && st[i].path("elements").asInt() >= expected.size();
            }
            ok = ok && st[0].path("elements").asInt() == st[1].path("elements").asInt()
                    && st[1].path("elements").asInt() == st[2].path("elements").asInt();
            ok = ok && st[0].path("checksum").asText().equals(st[1].path("checksum").asText())
                    && st[1].path("checksum").asText().equals(st[2].path("checksum").asText());
            if (ok) {
                for (ReadProbe p : readProbes) {
                    ok &= p.listsAll(expected);
                }
            }
            if (ok) {
                s.settled = (int) Math.ceil((System.nanoTime() - start) / 1e9);
                s.event("all three agree: %d PEs, checksum %s", st[0].path("elements").asInt(),
                        st[0].path("checksum").asText());
                return true;
            }
            Thread.sleep(200);
        }
        for (int i = 0; i < 3; i++) {
            JsonNode st = nodes[i].status();
            s.event("registrar %d: members %d, elements %d, checksum %s", i + 1, st.path("members").asInt(),
                    st.path("elements").asInt(), st.path("checksum").asText());
        }
        return false;
    }

    /** How long a registrar lists a PE whose client ignores its keep-alives: interval + timeout (defaults), + 2 s. */
    private static final long UNACKNOWLEDGED_PE_LIFE_NANOS = TimeUnit.SECONDS.toNanos(12);

    /** Waits until no registrar lists a pe-sim PE. */
    private void awaitNoPes(int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            boolean empty = true;
            for (ReadProbe p : readProbes) {
                Set<Integer> l = p.lastListing();
                empty &= l != null && l.isEmpty();
            }
            if (empty) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the registrars still list PEs of stopped pe-sims " + seconds + " s after "
                + "they were stopped");
    }

    /**
     * Waits until every registrar lists {@code total} pe-sim PEs, all the same set for longer than an unacknowledged
     * PE stays listed (keep-alive interval and timeout), and no pe-sim registration failed for longer than a
     * registration life: those are the expected PEs. A PE a client does not hold (a registration applied after the
     * client gave up on it) is removed by its keep-alive within that time; it must not be taken for a live PE. The
     * pe-sims' failure counter alone cannot tell: it is printed every 5 s, after the listing may have been taken.
     */
    private Set<Integer> awaitExpected(String name, int total, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        long lastFailures = -1;
        long failuresChanged = System.nanoTime();
        Set<Integer> seen = Set.of();
        Set<Integer> stable = null;
        long stableSince = System.nanoTime();
        int rounds = 0;
        while (System.nanoTime() < deadline) {
            Set<Integer> a = readProbes[0].lastListing();
            Set<Integer> b = readProbes[1].lastListing();
            Set<Integer> c = readProbes[2].lastListing();
            long failures = progress(name).getOrDefault("failures", 0L);
            if (failures != lastFailures) {
                lastFailures = failures;
                failuresChanged = System.nanoTime();
            }
            boolean orphansGone = failures == 0 || System.nanoTime() - failuresChanged > TimeUnit.SECONDS.toNanos(32);
            boolean agreed = a != null && a.size() == total && a.equals(b) && a.equals(c);
            if (!agreed || !a.equals(stable)) {
                stable = agreed ? a : null;
                stableSince = System.nanoTime();
            } else if (orphansGone && System.nanoTime() - stableSince >= UNACKNOWLEDGED_PE_LIFE_NANOS) {
                return a;
            }
            seen = a == null ? Set.of() : a;
            if (++rounds % 25 == 0) {
                say("waiting for the registrars to list the %d PEs: %s, %s, %s", total, size(a), size(b), size(c));
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the registrars did not all list the " + total + " PEs of the pe-sims within "
                + seconds + " s (registrar 1 listed " + seen.size() + ")");
    }

    private static String size(Set<Integer> listing) {
        return listing == null ? "no answer" : Integer.toString(listing.size());
    }

    // ------------------------------------------------------------------ processes

    private void startCluster() throws Exception {
        for (int i = 0; i < 3; i++) {
            nodes[i] = new Node(i, network.host(i), network.port(i, 0), network.port(i, 1));
        }
        nodes[0].start(List.of());
        nodes[1].start(List.of(nodes[0].clusterAddress()));
        nodes[2].start(List.of(nodes[0].clusterAddress()));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            boolean ok = true;
            for (Node n : nodes) {
                JsonNode st = n.status();
                ok &= st.path("members").asInt() == 3 && st.path("ready").asBoolean();
            }
            if (ok) {
                say("three registrars up: %s", String.join(", ", java.util.Arrays.stream(nodes)
                        .map(Node::asapAddress).toList()));
                return;
            }
            for (Node n : nodes) {
                if (!n.alive()) {
                    throw new IllegalStateException("registrar " + (n.index + 1) + " exited; see " + n.log());
                }
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the three registrars did not form a cluster within 90 s; see " + out);
    }

    /** Like the systemd unit's Restart=on-failure with RestartSec: an exited registrar is started again. */
    private void supervise() {
        while (supervising) {
            for (Node n : nodes) {
                try {
                    if (supervising && !n.alive()) {
                        n.lastExit = "with status " + n.exitValue();
                        say("supervisor: registrar %d exited %s; starting it again in %d s", n.index + 1, n.lastExit,
                                restartDelay);
                        Thread.sleep(restartDelay * 1000L);
                        if (!supervising) {
                            return;
                        }
                        List<String> seeds = new ArrayList<>();
                        for (Node other : nodes) {
                            if (other != n) {
                                seeds.add(other.clusterAddress());
                            }
                        }
                        n.start(seeds);
                    }
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    say("supervisor: %s", e.getMessage());
                }
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private List<Process> startPeSims(String name) throws IOException {
        return startPeSims(name, 3600, 0, rows.size() * 3);
    }

    /** Three pe-sims on the same pools, pe-sim j preferring registrar j (then the next ones). */
    private List<Process> startPeSims(String name, long seconds, int churn, long seedOffset) throws IOException {
        List<Process> sims = new ArrayList<>();
        for (int j = 0; j < 3; j++) {
            List<String> order = new ArrayList<>();
            for (int k = 0; k < 3; k++) {
                order.add(nodes[(j + k) % 3].asapAddress());
            }
            sims.add(startClient(name + "-pe-sim" + (j + 1), List.of(root.resolve("deploy/bin/pe-sim").toString(),
                    "--registrars", String.join(",", order), "--pools", "" + pools, "--pes-per-pool", "" + pesPerPool,
                    "--pool-prefix", "chaos-", "--rereg-interval", "2000..5000", "--life", "30000", "--churn",
                    "" + churn, "--duration", "" + seconds, "--seed", "" + (seed * 7 + j + seedOffset))));
        }
        return sims;
    }

    private Process startPuSim(String name) throws IOException {
        List<String> all = java.util.Arrays.stream(nodes).map(Node::asapAddress).toList();
        return startClient(name + "-pu-sim", List.of(root.resolve("deploy/bin/pu-sim").toString(), "--registrars",
                String.join(",", all), "--spread", "--pools", "" + pools, "--pool-prefix", "chaos-", "--rate",
                "" + rate, "--pus", "3", "--max-items", "3", "--duration", "3600"));
    }

    private Process startClient(String name, List<String> cmd) throws IOException {
        ProcessBuilder b = new ProcessBuilder(cmd).redirectOutput(out.resolve(name + ".out").toFile())
                .redirectError(out.resolve(name + ".err").toFile());
        b.environment().put("JAVA_OPTS", "-Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
        Process p = b.start();
        synchronized (clients) {
            clients.add(p);
        }
        return p;
    }

    private void stopAll() {
        supervising = false;
        synchronized (clients) {
            for (Process p : clients) {
                p.destroyForcibly();
            }
            clients.clear();
        }
        for (Node n : nodes) {
            if (n != null) {
                n.destroy();
            }
        }
        if (network != null) {
            network.close();
        }
    }

    /** One registrar: fixed ports, so that a restart is the same registrar to its clients. */
    final class Node {
        final int index;
        final String host;
        final int asapPort;
        final int clusterPort;
        final Path statusFile;
        private volatile Process process;
        private int starts;
        volatile String lastExit = "";

        Node(int index, String host, int asapPort, int clusterPort) {
            this.index = index;
            this.host = host;
            this.asapPort = asapPort;
            this.clusterPort = clusterPort;
            this.statusFile = out.resolve("node" + (index + 1) + ".json");
        }

        String asapAddress() {
            return host + ":" + asapPort;
        }

        String clusterAddress() {
            return host + ":" + clusterPort;
        }

        InetSocketAddress asapSocket() {
            return new InetSocketAddress(host, asapPort);
        }

        Path log() {
            return out.resolve("node" + (index + 1) + "-" + starts + ".err");
        }

        synchronized void start(List<String> seeds) throws Exception {
            starts++;
            Files.deleteIfExists(statusFile);
            List<String> cmd = new ArrayList<>(network.prefix(index));
            cmd.addAll(List.of(root.resolve("deploy/bin/registrar").toString(), "--host", host, "--asap-port",
                    "" + asapPort, "--cluster-port", "" + clusterPort, "--registrar-id",
                    String.format("0x%x", 0x100 + index + 1)));
            for (String seed : seeds) {
                cmd.add("--seed");
                cmd.add(seed);
            }
            Path stdout = out.resolve("node" + (index + 1) + "-" + starts + ".out");
            ProcessBuilder b = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(log().toFile());
            b.environment().put("JAVA_OPTS", "-Xmx" + heap + " -XX:+UseSerialGC -Dpoolkeeper.registrar.status-file="
                    + statusFile + " -Dpoolkeeper.registrar.status-interval=200ms"
                    + " -Dpoolkeeper.registrar.max-hres-items=128 -Dpoolkeeper.removals=DEBUG"
                    // the namespaces' addresses are not loopback: this test bed's own clients may do everything
                    + " -Dpoolkeeper.registrar.authorization.enabled=off"
                    + (registrarOpts.isBlank() ? "" : " " + registrarOpts));
            process = b.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (System.nanoTime() < deadline) {
                for (String line : Files.readAllLines(stdout, StandardCharsets.ISO_8859_1)) {
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        say("registrar %d (pid %d) listening on %s", index + 1, process.pid(), asapAddress());
                        return;
                    }
                }
                if (!process.isAlive()) {
                    throw new IllegalStateException("registrar " + (index + 1) + " exited with "
                            + process.exitValue() + " at its start; see " + log());
                }
                Thread.sleep(100);
            }
            throw new IllegalStateException("registrar " + (index + 1) + " not listening within 90 s; see " + log());
        }

        boolean alive() {
            Process p = process;
            return p != null && p.isAlive();
        }

        int exitValue() {
            return process.exitValue();
        }

        long pid() {
            return process.pid();
        }

        void signal(String name) throws Exception {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
            kill.waitFor();
        }

        JsonNode status() {
            try {
                return JSON.readTree(statusFile.toFile());
            } catch (IOException e) {
                return JSON.createObjectNode();
            }
        }

        void destroy() {
            Process p = process;
            if (p != null) {
                try {
                    signal("CONT");
                } catch (Exception e) {
                    // gone already
                }
                p.destroyForcibly();
                try {
                    p.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    // ------------------------------------------------------------------ probes

    /**
     * Lists every pe-sim pool at one registrar every 100 ms; a round that is answered in full (500 ms) is a sample
     * of a serving registrar, and must list every expected PE.
     */
    final class ReadProbe extends Thread {
        final Node node;
        final int poolCount;
        private volatile Set<Integer> expected;
        private volatile Set<Integer> last;
        private Tally tally = new Tally();
        private long windowStart;

        static final class Tally {
            int maxMissing;
            long badSamples;
            long samples;
            long longestWindowMs;
            final List<String> detail = new ArrayList<>();
        }

        ReadProbe(Node node, int poolCount) {
            super("chaos-read-probe-" + (node.index + 1));
            setDaemon(true);
            this.node = node;
            this.poolCount = poolCount;
        }

        void check(Set<Integer> expectedPes) {
            expected = expectedPes;
        }

        Set<Integer> lastListing() {
            return last;
        }

        boolean listsAll(Set<Integer> pes) {
            Set<Integer> l = last;
            return l != null && l.containsAll(pes);
        }

        synchronized Tally takeTally() {
            Tally t = tally;
            tally = new Tally();
            return t;
        }

        @Override
        public void run() {
            RawClient client = null;
            while (!isInterrupted()) {
                long roundStart = System.nanoTime();
                try {
                    if (client == null) {
                        client = new RawClient(node.asapSocket(), 300);
                    }
                    List<Long> ids = new ArrayList<>();
                    for (int p = 0; p < poolCount; p++) {
                        ids.add(client.resolution("chaos-" + p));
                    }
                    RawClient.Answers answers = client.await(ids, 500);
                    if (answers.messages().size() < ids.size()) {
                        throw new IOException("not answered in 500 ms");
                    }
                    Set<Integer> listed = new HashSet<>();
                    for (AsapMessage m : answers.messages().values()) {
                        if (m.hasHandleResolutionResponse()) {
                            for (PoolElementEntry e : m.getHandleResolutionResponse().getElementsList()) {
                                listed.add(e.getPeId());
                            }
                        }
                    }
                    last = listed;
                    sample(listed);
                } catch (IOException e) {
                    last = null; // not serving now: no sample
                    windowStart = 0;
                    if (client != null) {
                        try {
                            client.close();
                        } catch (IOException ignored) {
                            // closing a dead connection
                        }
                        client = null;
                    }
                }
                long sleep = 100 - (System.nanoTime() - roundStart) / 1_000_000;
                try {
                    Thread.sleep(Math.max(10, sleep));
                } catch (InterruptedException e) {
                    break;
                }
            }
            if (client != null) {
                try {
                    client.close();
                } catch (IOException ignored) {
                    // ending
                }
            }
        }

        private synchronized void sample(Set<Integer> listed) {
            Set<Integer> want = expected;
            if (want == null) {
                return;
            }
            tally.samples++;
            List<Integer> missing = new ArrayList<>();
            for (int pe : want) {
                if (!listed.contains(pe)) {
                    missing.add(pe);
                }
            }
            long now = System.currentTimeMillis();
            if (missing.isEmpty()) {
                windowStart = 0;
                return;
            }
            tally.badSamples++;
            if (windowStart == 0) {
                windowStart = now;
                if (tally.detail.size() < 50) {
                    tally.detail.add(String.format(Locale.ROOT, "registrar %d at %tT.%<tL missed %d: %s%s",
                            node.index + 1, now, missing.size(), missing.subList(0, Math.min(5, missing.size()))
                                    .stream().map(Integer::toHexString).toList(), missing.size() > 5 ? "..." : ""));
                }
            }
            tally.longestWindowMs = Math.max(tally.longestWindowMs, now - windowStart + 100);
            tally.maxMissing = Math.max(tally.maxMissing, missing.size());
        }
    }

    /**
     * Adds a new PE to each probe pool, and removes the one added before, every 200 ms through one
     * registrar, and remembers when each pool's changes were answered.
     */
    final class WriteProbe extends Thread {
        private final Node[] all;
        private volatile int target = 0;
        /** Per probe pool: when a change sent at or after a given time was first acknowledged. */
        private final long[][] acked = new long[PROBE_POOLS][];
        private final List<long[]>[] history;
        private final Map<String, Integer> causes = new java.util.concurrent.ConcurrentHashMap<>();

        @SuppressWarnings("unchecked")
        WriteProbe(Node[] all) {
            super("chaos-write-probe");
            setDaemon(true);
            this.all = all;
            history = new List[PROBE_POOLS];
            for (int i = 0; i < PROBE_POOLS; i++) {
                history[i] = new ArrayList<>();
            }
        }

        private volatile boolean paused;

        void target(int index) {
            target = index;
        }

        /** Stops changing the probe pools (a settle compares checksums), or starts again. */
        void pause(boolean value) {
            paused = value;
        }

        private int probePe(int round, int pool) {
            return PROBE_PE_BASE + (int) (((long) round * PROBE_POOLS + pool) % 0x00ffffffL);
        }

        /** Seconds from {@code fromMs} until every probe pool acknowledged a change sent after it, or -1. */
        double writableAfter(long fromMs, long timeoutMs) throws InterruptedException {
            long deadline = fromMs + timeoutMs;
            while (System.currentTimeMillis() < deadline) {
                long worst = 0;
                boolean all = true;
                synchronized (history) {
                    for (int p = 0; p < PROBE_POOLS; p++) {
                        long first = 0;
                        for (long[] h : history[p]) {
                            if (h[0] >= fromMs && h[1] > 0 && (first == 0 || h[1] < first)) {
                                first = h[1]; // the first acknowledgement of a change sent after fromMs
                            }
                        }
                        if (first == 0) {
                            all = false;
                            break;
                        }
                        worst = Math.max(worst, first - fromMs);
                    }
                }
                if (all) {
                    return worst / 1000.0;
                }
                Thread.sleep(100);
            }
            synchronized (history) {
                List<String> silent = new ArrayList<>();
                for (int p = 0; p < PROBE_POOLS; p++) {
                    long sent = history[p].stream().filter(h -> h[0] >= fromMs).count();
                    long ok = history[p].stream().filter(h -> h[0] >= fromMs && h[1] > 0).count();
                    if (ok == 0) {
                        silent.add("chaos-probe-" + p + " (" + sent + " sent)");
                    }
                }
                say("write probe: no change acknowledged in %s; answers seen: %s", silent, causes);
            }
            return -1;
        }

        @Override
        public void run() {
            RawClient client = null;
            int connectedTo = -1;
            int round = 0;
            Map<Long, long[]> inFlight = new LinkedHashMap<>();
            while (!isInterrupted()) {
                try {
                    if (client == null || connectedTo != target) {
                        if (client != null) {
                            client.close();
                        }
                        inFlight.clear();
                        connectedTo = target;
                        client = new RawClient(all[connectedTo].asapSocket(), 300);
                    }
                    if (paused) {
                        client.await(List.of(), 200); // answers keep-alives
                        continue;
                    }
                    long now = System.currentTimeMillis();
                    List<Long> ids = new ArrayList<>();
                    round++;
                    for (int p = 0; p < PROBE_POOLS; p++) {
                        // a PE never registered before (only its writer can add it), and the previous one leaves
                        String pool = "chaos-probe-" + p;
                        client.deregistration(pool, probePe(round - 1, p));
                        long id = client.registration(pool, probePe(round, p), 60_000);
                        long[] h = {now, 0};
                        synchronized (history) {
                            history[p].add(h);
                            if (history[p].size() > 2000) {
                                history[p].subList(0, 1000).clear();
                            }
                        }
                        inFlight.put(id, h);
                        ids.add(id);
                    }
                    long until = System.nanoTime() + 200_000_000L;
                    while (System.nanoTime() < until) {
                        RawClient.Answer a = client.poll(Math.max(1, (until - System.nanoTime()) / 1_000_000));
                        if (a == null) {
                            break;
                        }
                        long[] h = inFlight.remove(a.requestId());
                        causes.merge(a.cause().toString(), 1, Integer::sum);
                        if (h != null && a.cause() == ErrorCause.ERROR_CAUSE_OK) {
                            synchronized (history) {
                                h[1] = System.currentTimeMillis();
                            }
                        }
                    }
                    if (inFlight.size() > 10_000) {
                        inFlight.clear();
                    }
                } catch (IOException e) {
                    client = null;
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ output

    private void say(String format, Object... args) {
        Object[] all = new Object[args.length + 1];
        all[0] = (System.nanoTime() - t0) / 1e9;
        System.arraycopy(args, 0, all, 1, args.length);
        System.err.printf(Locale.ROOT, "chaos [%6.1fs] " + format + "%n", all);
    }

    private String report() {
        StringBuilder b = new StringBuilder("# Poolkeeper fault run\n\n");
        b.append(String.format(Locale.ROOT, "Three registrars (-Xmx%s, SerialGC, default settings but "
                        + "max-hres-items=128 for the probe%s), %s; three pe-sims (%,d PEs in %d pools, every pool "
                        + "with PEs homed at all three, re-registration every 2-5 s), one pu-sim --spread at %,d "
                        + "resolutions/s; every pool listed at every registrar every 100 ms. A supervisor restarts an "
                        + "exited registrar after %d s. Host: %d cores.%n%n", heap,
                registrarOpts.isBlank() ? "" : ", " + registrarOpts, network.describe(), 3 * pools * pesPerPool,
                pools, rate, restartDelay, Runtime.getRuntime().availableProcessors()));
        List<String> keys = new ArrayList<>();
        for (Map<String, String> r : rows) {
            for (String k : r.keySet()) {
                if (!keys.contains(k)) {
                    keys.add(k);
                }
            }
        }
        b.append("| ").append(String.join(" | ", keys)).append(" |\n|");
        keys.forEach(k -> b.append(" --- |"));
        b.append('\n');
        for (Map<String, String> r : rows) {
            b.append("| ");
            for (String k : keys) {
                b.append(r.getOrDefault(k, "")).append(" | ");
            }
            b.setLength(b.length() - 1);
            b.append('\n');
        }
        b.append('\n').append(problems.isEmpty() ? "Result: PASS\n" : "Result: FAIL\n");
        for (String p : problems) {
            b.append("- ").append(p).append('\n');
        }
        b.append(soakTable);
        b.append("\nLogs, status files and results.json: ").append(out).append('\n');
        return b.toString();
    }

    /** Picks free loopback ports. */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
