package org.poolkeeper.tools.testbed;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.poolkeeper.client.Policy;
import org.poolkeeper.tools.ToolCli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench testbed}: the paper's real-system testbed (section 3.4, Table 2) on one machine. Starts two clustered
 * registrars (primary and backup), pe-sim and pu-sim JVMs on loopback, prints progress every 5 s and a report at the
 * end (also saved with CSV and PNG charts). After the load every pe-sim holds its PEs registered without changing the
 * handlespace ({@code pe-sim --hold}); during that hold the two registrars' status files must show the same
 * checksum, owner checksums and PE count, equal to the PEs the pe-sims hold. Every child JVM is stopped on exit, on
 * error and on Ctrl-C.
 */
@Command(name = "testbed", mixinStandardHelpOptions = true, versionProvider = org.poolkeeper.simsupport.VersionLine.class,
        description = "Runs the paper's testbed on loopback: 2 registrars (primary + backup), pe-sims and pu-sims; "
                + "prints progress every 5 s and a Table-2-shaped report; exits non-zero if a process failed or the "
                + "registrars disagree while the pe-sims hold their PEs registered.")
public final class TestbedCommand implements Callable<Integer> {

    /** Runs the command line (what {@code deploy/bin/bench testbed} and {@code deploy/testbed.sh} start). */
    public static int run(String... args) {
        return ToolCli.run("testbed", new TestbedCommand(), args);
    }


    @Option(names = "--duration", description = "Measured seconds of the resolution phases: a quarter each for the "
            + "rate/2 and rate phases (all pu-sims together), the rest for the max phase (split over the pu-sims, "
            + "one after the other). The pe-sims' load runs from their start to the end of the last phase "
            + "(default ${DEFAULT-VALUE}; at least 16).", defaultValue = "60")
    int duration;

    @Option(names = "--pools", description = "Pools per pe-sim process (default ${DEFAULT-VALUE}).",
            defaultValue = "15")
    int pools;

    @Option(names = "--pes-per-pool", description = "PEs per pool (default ${DEFAULT-VALUE}; 2 pe-sims x 15 pools x "
            + "100 = 3,000 PEs, the paper's size).", defaultValue = "100")
    int pesPerPool;

    @Option(names = "--policies", split = ",", description = "Pool policies, one pe-sim/pu-sim group each "
            + "(default RR,LU).")
    List<String> policies = new ArrayList<>(List.of("RR", "LU"));

    @Option(names = "--rate", description = "Base resolution rate per pu-sim in its steady phase; phases run at "
            + "rate/2, rate, then max (default ${DEFAULT-VALUE}).", defaultValue = "2000")
    int rate;

    @Option(names = "--pe-sims", description = "pe-sim processes (default ${DEFAULT-VALUE}: 2 x 15 pools x 100 PEs "
            + "= 3,000 PEs in 30 pools, the paper's size; more JVMs offer the same load at more CPU cost).",
            defaultValue = "2")
    int peSims;

    @Option(names = "--pe-sim-nice", description = "The pe-sims' scheduling niceness (default ${DEFAULT-VALUE}; 0: "
            + "none). They share two cores with the registrars and pu-sims, which on the paper's testbed had machines "
            + "of their own: the measured path runs first.", defaultValue = "10")
    int peSimNice;

    @Option(names = "--pu-sims", description = "pu-sim processes (default ${DEFAULT-VALUE}).", defaultValue = "2")
    int puSims;

    @Option(names = "--hold", description = "Seconds every pe-sim keeps its PEs registered after the load, with no "
            + "handlespace changes, while the registrars are compared (default ${DEFAULT-VALUE}; at least 3).",
            defaultValue = "8")
    int hold;

    @Option(names = "--capacity", description = "Seconds each registrar-capacity measurement runs before the load "
            + "(after one unmeasured pass over every figure, and 2 s of loadgen's own warm-up each): per policy, new "
            + "registrations (deploy/bin/loadgen --mode churn: register a brand-new PE, deregister it), "
            + "re-registrations (--mode register over 5 PEs per pool) and handle resolutions (--mode resolve over "
            + "10 pools of --pes-per-pool PEs), closed loop with 4 x 32 requests in flight through the primary. "
            + "0 skips them; Table 2 then shows the pe-sims' offered load and the pu-sims' max phase "
            + "(default ${DEFAULT-VALUE}).", defaultValue = "5")
    int capacity;

    @Option(names = "--capacity-warmup", description = "Seconds of each figure of the unmeasured pass before the "
            + "capacity figures (default ${DEFAULT-VALUE}; 0 skips the pass: the first figures then run on a cold "
            + "registrar).", defaultValue = "2")
    int capacityWarmup;

    @Option(names = "--out", description = "Output directory (default: target/testbed/<timestamp>).")
    Path out;

    @Option(names = "--root", description = "Repository root (default: the current directory).")
    Path root = Paths.get("").toAbsolutePath();

    private static final String SMALL_JVM = "-Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1";
    /** Registrars and pu-sims: a larger young generation and the optimizing JIT compiler (they carry the peak load). */
    static final String LONG_JVM = "-Xmx384m -Xmn256m -XX:+UseSerialGC -XX:+AlwaysPreTouch";
    /** Seconds every pu-sim resolves unmeasured before its phase (pu-sim --warmup). */
    static final int PU_WARMUP_S = 5;
    /** Seconds between the last pe-sim's PEs registered and the first phase. */
    private static final int SETTLE_S = 3;
    /** The shortest paced phase and the shortest max phase per pu-sim that give a figure worth printing. */
    private static final int MIN_PACED_S = 4;
    private static final int MIN_MAX_S = 3;

    private static final Pattern LISTENING = Pattern.compile("listening asap=(\\S+) cluster=(\\S+)(?: http=(\\S+))?");
    /** pe-sim's stderr line once its hold has settled. */
    private static final Pattern HOLDING =
            Pattern.compile("holding: (\\d+) PEs registered;.* leaving at (\\S+) ");
    /**
     * The simulators' client request timeout (their default is 2 s). In the max-rate resolution phase ten JVMs share
     * two cores, and registration, re-registration and resolution answers took longer than 2 s now and then: the
     * client counted a failure and failed over, which failed the testbed although the registrar answered. 5 s
     * still catches a registrar that does not answer at all.
     */
    private static final String SIM_REQUEST_TIMEOUT_MS = "5000";

    private final List<Child> children = new CopyOnWriteArrayList<>();
    private final PrintStream stdout = System.out;

    /** One child JVM with its stdout/stderr files. */
    static final class Child {
        final String name;
        final String role; // registrar, pe, pu
        final String policy;
        final Process process;
        final Path outFile;
        final Path errFile;
        final double startedAt;
        Integer exit;
        /** A registrar's HTTP endpoint (metrics), host:port, once it reported listening. */
        volatile String http;

        Child(String name, String role, String policy, Process process, Path outFile, Path errFile, double at) {
            this.name = name;
            this.role = role;
            this.policy = policy;
            this.process = process;
            this.outFile = outFile;
            this.errFile = errFile;
            this.startedAt = at;
        }

        String lastJsonLine() {
            String last = null;
            for (String line : readLines(outFile)) {
                if (line.startsWith("{")) {
                    last = line;
                }
            }
            return last;
        }

        String lastStdoutLine() {
            List<String> lines = readLines(outFile);
            return lines.isEmpty() ? null : lines.get(lines.size() - 1);
        }
    }

    private long t0;
    private long t0Millis;

    /** Testbed seconds (since its start) of a wall-clock time in epoch milliseconds. */
    double testbedSeconds(long epochMillis) {
        return (epochMillis - t0Millis) / 1000.0;
    }

    private double elapsed() {
        return (System.nanoTime() - t0) / 1e9;
    }

    double elapsedNow() {
        return elapsed();
    }

    /**
     * How --duration is spent: two paced phases of {@code paced} s (all pu-sims together), then the max phase,
     * {@code maxEach} s per pu-sim, one after the other. Each pu-sim also warms up for {@link #PU_WARMUP_S} first.
     */
    record Plan(int paced, int maxEach, int puSims) {
        static Plan of(int duration, int puSims) {
            int paced = duration / 4;
            return new Plan(paced, puSims < 1 ? 0 : (duration - 2 * paced) / puSims, puSims);
        }

        /** Seconds from the first phase to the end of the last, the pu-sims' warm-ups included. */
        double total() {
            return 2 * (paced + PU_WARMUP_S) + puSims * (maxEach + PU_WARMUP_S);
        }
    }

    Plan plan;

    /** One line saying why the arguments cannot give a meaningful run, or null. */
    String refusal() {
        if (peSims < 1 || puSims < 1) {
            return "--pe-sims and --pu-sims must be at least 1 (got " + peSims + " and " + puSims + ")";
        }
        if (pools < 1 || pesPerPool < 1) {
            return "--pools and --pes-per-pool must be at least 1 (got " + pools + " and " + pesPerPool + ")";
        }
        if (rate < 2) {
            return "--rate must be at least 2 resolutions/s (its first phase runs at half of it), got " + rate;
        }
        if (policies.isEmpty()) {
            return "--policies names no policy";
        }
        Plan p = Plan.of(duration, puSims);
        if (p.paced() < MIN_PACED_S || p.maxEach() < MIN_MAX_S) {
            int least = MIN_PACED_S * 4;
            while (Plan.of(least, puSims).maxEach() < MIN_MAX_S) {
                least++;
            }
            return "--duration " + duration + " is too short for the phases: a quarter each for the two paced "
                    + "phases (at least " + MIN_PACED_S + " s) and the rest for the max phase (at least " + MIN_MAX_S
                    + " s per pu-sim); with " + puSims + " pu-sims use at least " + least;
        }
        if (hold < 3) {
            // the registrars write their status files every second: settling plus two rewrites need a few seconds
            return "--hold must be at least 3 seconds, got " + hold;
        }
        if (capacity < 0) {
            return "--capacity must be 0 (skip) or more seconds, got " + capacity;
        }
        if (capacityWarmup < 0) {
            return "--capacity-warmup must be 0 (skip) or more seconds, got " + capacityWarmup;
        }
        if (peSimNice < 0 || peSimNice > 19) {
            return "--pe-sim-nice must be 0-19, got " + peSimNice;
        }
        for (String name : policies) {
            if (Policy.fromShortName(name) == null) {
                return "unknown policy '" + name + "' in --policies";
            }
        }
        return null;
    }

    @Override
    public Integer call() throws Exception {
        String refused = refusal();
        if (refused != null) {
            System.err.println("testbed: " + refused + " (see --help)");
            return 2;
        }
        plan = Plan.of(duration, puSims);
        System.setProperty("java.awt.headless", "true");
        root = root.toAbsolutePath().normalize();
        if (out == null) {
            out = root.resolve("target/testbed")
                    .resolve(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        }
        out = out.toAbsolutePath().normalize();
        Files.createDirectories(out.resolve("logs"));
        Thread hook = new Thread(this::stopAll, "testbed-stop-children");
        Runtime.getRuntime().addShutdownHook(hook);
        t0 = System.nanoTime();
        t0Millis = System.currentTimeMillis();
        try {
            return run();
        } finally {
            stopAll();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // already running
            }
        }
    }

    private int run() throws Exception {
        List<String> problems = new ArrayList<>();
        int idBase = 0x7E500000 + (int) (ProcessHandle.current().pid() & 0xFFFF) * 4;
        stdout.printf("testbed: out=%s duration=%ds hold=%ds pe-sims=%d (pools %d x %d PEs each) pu-sims=%d "
                + "policies=%s%n", out, duration, hold, peSims, pools, pesPerPool, puSims, policies);
        Child primary = startRegistrar("registrar-1", idBase + 1, null);
        String[] primaryAddr = awaitListening(primary);
        Child backup = startRegistrar("registrar-2", idBase + 2, primaryAddr[1]);
        String[] backupAddr = awaitListening(backup);
        awaitClustered();
        stdout.printf("testbed: primary 0x%08x asap=%s, backup 0x%08x asap=%s, clustered%n",
                idBase + 1, primaryAddr[0], idBase + 2, backupAddr[0]);
        awaitShardsSettled(primary, problems);
        String registrars = primaryAddr[0];
        if (capacity > 0) {
            measureCapacity(primaryAddr[0], problems);
        }

        // pe-sims: process i serves policy i % n with its own pool prefix. They start one at a time, each once the
        // PEs of the one before are registered (six JVMs starting together on two cores starved each other and the
        // registrar: registrations timed out), and their load lasts until the testbed closes their standard input
        // after the last phase (--duration is only a bound), so no phase can outlast the PEs it resolves.
        Map<String, List<String>> poolsByPolicy = new LinkedHashMap<>();
        for (String p : policies) {
            poolsByPolicy.put(p.toUpperCase(Locale.ROOT), new ArrayList<>());
        }
        int pesTotal = peSims * pools * pesPerPool;
        int burst = Math.max(1, pools * pesPerPool / 10);
        Monitor monitor = new Monitor(this, primary, backup);
        Thread monitorThread = new Thread(monitor, "testbed-monitor");
        monitorThread.setDaemon(true);
        monitorThread.start();
        awaitElements(primary, 0, 15, "the capacity measurement's PEs to leave", problems);
        double loadStart = elapsed();
        int bound = (int) Math.ceil(plan.total()) + 60 * peSims + 120;
        List<Child> peChildren = new ArrayList<>();
        for (int i = 0; i < peSims; i++) {
            String policy = policies.get(i % policies.size()).toUpperCase(Locale.ROOT);
            String prefix = policy.toLowerCase(Locale.ROOT) + i + "-";
            for (int p = 0; p < pools; p++) {
                poolsByPolicy.get(policy).add(prefix + p);
            }
            // --life stays pe-sim's default 30 s: it must exceed the hold plus the longest re-registration interval
            List<String> nice = peSimNice == 0 ? List.of() : List.of("nice", "-n", "" + peSimNice);
            peChildren.add(start("pe-sim-" + (i + 1), "pe", policy, concat(nice, launcher("pe-sim"), "--registrars",
                    registrars, "--pools", "" + pools, "--pes-per-pool", "" + pesPerPool, "--policy", policy,
                    "--pool-prefix", prefix, "--rereg-interval", "500..3000", "--burst", burst + "@5",
                    "--duration", "" + bound, "--load-until-stdin-closes", "--hold", "" + hold,
                    "--request-timeout", SIM_REQUEST_TIMEOUT_MS, "--seed", "" + (i + 1)), LONG_JVM));
            // a burst takes PEs out for a moment: 98 % of the PEs so far count as registered
            awaitElements(primary, (long) Math.floor(0.98 * (i + 1) * pools * pesPerPool), 60,
                    "pe-sim-" + (i + 1) + "'s PEs", problems);
        }
        double rampSeconds = elapsed() - loadStart;
        stdout.printf(Locale.ROOT, "testbed: %d PEs registered by %d pe-sims in %.1f s; settling %d s%n", pesTotal,
                peSims, rampSeconds, SETTLE_S);
        sleep(SETTLE_S * 1000L);

        // pu-sims in phases: rate/2 and rate (all pu-sims together), then max (each pu-sim alone, as the paper's
        // per-policy figures are); every pu-sim resolves PU_WARMUP_S unmeasured first (its JVM and JIT)
        String[] phases = {"" + Math.max(1, rate / 2), "" + rate, "max"};
        List<PuPhase> puPhases = new ArrayList<>();
        for (int ph = 0; ph < phases.length; ph++) {
            boolean max = phases[ph].equals("max");
            int each = max ? plan.maxEach() : plan.paced();
            double began = elapsed();
            stdout.printf(Locale.ROOT, "testbed: phase %s: %s%n", max ? "max" : phases[ph] + "/s per pu-sim",
                    max ? puSims + " pu-sims one after the other, " + each + " s each" : puSims
                            + " pu-sims together for " + each + " s");
            List<Child> group = new ArrayList<>();
            for (int u = 0; u < puSims; u++) {
                String policy = policies.get(u % policies.size()).toUpperCase(Locale.ROOT);
                Child pu = start("pu-sim-" + (u + 1) + "-phase" + (ph + 1), "pu", policy,
                        List.of(launcher("pu-sim"), "--registrars", registrars, "--pool-handles",
                                String.join(",", poolsByPolicy.get(policy)), "--rate", phases[ph], "--pus", "2",
                                "--warmup", "" + PU_WARMUP_S, "--duration", "" + each,
                                "--request-timeout", SIM_REQUEST_TIMEOUT_MS, "--seed", "" + (u + 1 + 10 * ph)),
                        LONG_JVM);
                group.add(pu);
                if (max) {
                    waitExit(pu, PU_WARMUP_S + each + 60);
                }
            }
            for (Child c : group) {
                waitExit(c, PU_WARMUP_S + each + 60);
            }
            puPhases.add(new PuPhase(phases[ph], each, group, began, elapsed()));
        }
        // the load is over: the pe-sims stop re-registering and hold their PEs registered
        for (Child c : peChildren) {
            try {
                c.process.getOutputStream().close();
            } catch (IOException gone) {
                // an exited pe-sim is reported with its exit code
            }
        }
        // the pe-sims end their load and hold their PEs registered: compare the registrars now, not once they left
        Map<Child, Hold> holds = awaitHolds(peChildren, elapsed() + 60);
        monitor.loadOver = true;
        Agreement agreement;
        double loadSeconds;
        if (holds.isEmpty()) {
            loadSeconds = elapsed() - loadStart;
            agreement = new Agreement(false, "no pe-sim reported its hold, so nothing was compared", -1, null, null,
                    -1, -1);
        } else {
            long expected = 0;
            double loadEndAt = 0;
            double holdEndAt = Double.MAX_VALUE;
            for (Hold h : holds.values()) {
                expected += h.registered();
                loadEndAt = Math.max(loadEndAt, h.beganAt());
                holdEndAt = Math.min(holdEndAt, h.endsAt());
            }
            for (Child c : peChildren) {
                if (!holds.containsKey(c)) {
                    problems.add(c.name + " did not report its hold");
                    expected = -1; // then the PE count on the registrars cannot be checked
                }
            }
            loadSeconds = loadEndAt - loadStart;
            // stop comparing half a second before the first pe-sim's PEs leave
            agreement = awaitAgreement(primary, backup, expected, loadEndAt, holdEndAt - 0.5);
        }
        for (Child c : children) {
            if (!c.role.equals("registrar")) {
                waitExit(c, hold + 60);
            }
        }
        monitor.stop = true;
        monitorThread.join(3000);
        Map<String, String> heap = new LinkedHashMap<>();
        for (Child r : List.of(primary, backup)) {
            heap.put(r.name, Monitor.heapUsed(r));
        }
        for (Child c : children) {
            if (c.role.equals("registrar") && !c.process.isAlive()) {
                problems.add(c.name + " exited early with " + c.process.exitValue());
            }
        }
        stopAll();
        for (Child c : children) {
            if (c.role.equals("pe") || c.role.equals("pu")) {
                if (c.exit == null || c.exit != 0) {
                    problems.add(c.name + " exited with " + c.exit);
                }
                String json = c.lastJsonLine();
                if (json == null) {
                    problems.add(c.name + " printed no JSON summary");
                } else if (num(json, "failures") > 0 || num(json, "errors") > 0) {
                    problems.add(c.name + " reported failures/errors: " + json);
                }
            }
        }
        for (PuPhase ph : puPhases) {
            for (Child c : ph.group()) {
                if (!ph.max() && !reached(ph, c)) {
                    problems.add("the " + ph.rate() + "/s phase did not reach its rate: " + c.name + " resolved "
                            + Report.fmt(num(c.lastJsonLine(), "rate")) + "/s");
                }
                if (ph.max() && num(c.lastJsonLine(), "resolutions") <= 0) {
                    problems.add("the max phase gave no figure: " + c.name + " resolved nothing");
                }
            }
        }
        if (puPhases.size() != 3) {
            problems.add("only " + puPhases.size() + " of the 3 resolution phases ran");
        }
        if (monitor.scrapeFailures * 10 > monitor.scrapes) {
            problems.add(monitor.scrapeFailures + " of " + monitor.scrapes + " metrics scrapes failed (last: "
                    + monitor.lastScrapeFailure + ")");
        }
        if (!agreement.agree) {
            problems.add("registrars did not agree with the PEs registered: " + agreement.detail);
        }
        Report report = new Report(this, monitor, puPhases, agreement, heap, problems, pesTotal, loadSeconds);
        String text = report.render();
        stdout.print(text);
        Files.writeString(out.resolve("report.md"), text);
        report.writeCsvAndCharts(out);
        stdout.printf("testbed: report, CSV and charts in %s%n", out);
        stdout.flush();
        return problems.isEmpty() ? 0 : 1;
    }

    /** Whether a pu-sim of a paced phase resolved at least 95 % of the phase's rate. */
    static boolean reached(PuPhase ph, Child c) {
        double got = num(c.lastJsonLine(), "rate");
        return got >= 0.95 * Double.parseDouble(ph.rate());
    }

    /** One pu-sim phase: its rate (per pu-sim, or "max"), measured seconds per pu-sim, its pu-sims, testbed times. */
    record PuPhase(String rate, int seconds, List<Child> group, double began, double ended) {
        boolean max() {
            return rate.equals("max");
        }
    }

    /** Registrar capacity per policy (closed loop through the primary): new registrations/s, re-registrations/s. */
    final Map<String, double[]> capacities = new LinkedHashMap<>();


    /**
     * Before the load, on the idle cluster: per policy, loadgen churn (new PEs) and loadgen register (re-registration
     * of 5 PEs per pool per connection), {@link #capacity} s each after 1 s of warm-up. The loadgen PEs leave with
     * its connections, before the pe-sims start.
     */
    private void measureCapacity(String primaryAsap, List<String> problems) throws IOException, InterruptedException {
        String port = primaryAsap.substring(primaryAsap.lastIndexOf(':') + 1);
        int runs = policies.size() * CAPACITY_MODES.size();
        stdout.printf(Locale.ROOT, "testbed: measuring the primary's capacity: %s%d s per figure and policy, about "
                + "%d s%n", capacityWarmup > 0 ? "every figure once unmeasured (the JIT warm-up), then " : "",
                capacity, (capacityWarmup > 0 ? runs * (capacityWarmup + 3) : 0) + runs * (capacity + 4));
        // the whole sequence once unmeasured first: the primary's JIT compiles the registration and resolution
        // paths of every policy (measured cold, the first figure came out at half of the same one measured later)
        for (boolean warm : capacityWarmup > 0 ? new boolean[] {true, false} : new boolean[] {false}) {
            for (String p : policies) {
                String policy = p.toUpperCase(Locale.ROOT);
                String code = "0x" + Integer.toHexString(Policy.fromShortName(policy).code());
                double[] rates = new double[CAPACITY_MODES.size()];
                for (int m = 0; m < CAPACITY_MODES.size(); m++) {
                    String mode = CAPACITY_MODES.get(m);
                    String tag = (warm ? "warmup-" : "") + mode + "-" + policy.toLowerCase(Locale.ROOT);
                    Child lg = runLoadgen("loadgen-" + tag, policy, port, mode, "capacity-" + tag + "-", code,
                            warm ? 1 : Math.min(LOADGEN_WARMUP_S, capacity), warm ? capacityWarmup : capacity);
                    String line = lg.lastStdoutLine();
                    JsonNode summary = readJson(line);
                    if (lg.exit == null || lg.exit != 0 || summary == null || !summary.has("rate")) {
                        problems.add(lg.name + " failed (exit " + lg.exit + "): " + line);
                        rates[m] = Double.NaN;
                        continue;
                    }
                    rates[m] = summary.get("rate").asDouble();
                    if (summary.path("failed").asLong() != 0 || summary.path("internal_errors").asLong() != 0) {
                        problems.add(lg.name + " had failed requests or internal errors: " + line);
                    }
                }
                if (!warm) {
                    capacities.put(policy, rates);
                    stdout.printf(Locale.ROOT, "testbed: capacity %s: %,.0f new registrations/s, %,.0f "
                            + "re-registrations/s, %,.0f resolutions/s (%d s each, closed loop through the primary)%n",
                            policy, rates[0], rates[1], rates[2], capacity);
                }
            }
        }
    }

    /** loadgen's modes for Table 2's rows: new registrations, re-registrations, handle resolutions. */
    static final List<String> CAPACITY_MODES = List.of("churn", "register", "resolve");
    /** loadgen's own unmeasured seconds before each measured figure (its JVM's JIT). */
    private static final int LOADGEN_WARMUP_S = 2;

    /**
     * Runs deploy/bin/loadgen against the primary, closed loop with 4 connections x 32 requests in flight, and waits
     * for it to exit, over 10 pools: resolve's of the testbed's --pes-per-pool PEs (registered first), churn's of 5
     * PEs, and register re-registers 5 PEs per pool and connection over and over.
     */
    private Child runLoadgen(String name, String policy, String port, String mode, String poolPrefix,
                             String policyCode, int warmupSeconds, int seconds) throws IOException, InterruptedException {
        String pes = mode.equals("resolve") ? "" + pesPerPool : "5";
        Child lg = start(name, "loadgen", policy, List.of(launcher("loadgen"), "--port", port, "--mode", mode, "-c",
                "4", "-k", "32", "--pools", "10", "--pes-per-pool", pes, "--pool-prefix", poolPrefix, "--policy",
                policyCode, "--warmup", "" + warmupSeconds, "--duration", "" + seconds), "-Xmx128m -XX:+UseSerialGC");
        waitExit(lg, warmupSeconds + seconds + 60);
        return lg;
    }

    /**
     * Waits until the registrar holds at least {@code target} PEs (exactly 0 when {@code target} is 0), scraping its
     * /metrics every 100 ms for at most {@code seconds}; if it does not, adds a problem naming {@code what}.
     */
    private void awaitElements(Child registrar, long target, int seconds, String what, List<String> problems) {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        double last = Double.NaN;
        while (System.nanoTime() < deadline) {
            try {
                last = org.poolkeeper.tools.metrics.Exposition.scrape(registrar.http, java.time.Duration.ofSeconds(2))
                        .sum("poolkeeper_pool_elements");
            } catch (IOException | IllegalArgumentException e) {
                last = Double.NaN;
            }
            if (target == 0 ? last == 0 : last >= target) {
                return;
            }
            sleep(100);
        }
        problems.add("waited " + seconds + " s for " + what + ": " + registrar.name + " holds " + Report.fmt(last)
                + " PEs, " + (target == 0 ? "not 0" : "fewer than " + target));
    }

    /** A pe-sim's hold: when it began and ends (testbed seconds) and how many PEs it holds registered. */
    record Hold(double beganAt, double endsAt, long registered) { }

    /**
     * The registrars' comparison during the hold: whether they agreed, on how many PEs ({@code elements}, -1 if
     * unread), with which checksums, against how many PEs the pe-sims hold ({@code expected}, -1 if unknown), and
     * how many seconds after the end of the load the agreement was confirmed ({@code reachedAfter}, -1 if not).
     */
    record Agreement(boolean agree, String detail, long elements, String primaryChecksum, String backupChecksum,
                     long expected, double reachedAfter) { }

    List<Child> children() {
        return children;
    }

    Path out() {
        return out;
    }

    /**
     * Waits until every pe-sim has printed its {@code holding:} line (or exited, or {@code deadline} passed) and
     * returns the holds seen.
     */
    private Map<Child, Hold> awaitHolds(List<Child> peChildren, double deadline) {
        Map<Child, Hold> holds = new LinkedHashMap<>();
        while (true) {
            int waiting = 0;
            for (Child c : peChildren) {
                if (holds.containsKey(c)) {
                    continue;
                }
                Matcher m = null;
                for (String line : readLines(c.errFile)) {
                    Matcher found = HOLDING.matcher(line);
                    if (found.find()) {
                        m = found;
                    }
                }
                if (m != null) {
                    double endsAt;
                    try {
                        endsAt = elapsed() + (Instant.parse(m.group(2)).toEpochMilli() - System.currentTimeMillis())
                                / 1000.0;
                    } catch (DateTimeParseException e) {
                        endsAt = elapsed(); // unreadable: assume the hold is over
                    }
                    holds.put(c, new Hold(endsAt - hold, endsAt, Long.parseLong(m.group(1))));
                } else if (c.process.isAlive()) {
                    waiting++;
                }
            }
            if (waiting == 0 || elapsed() > deadline) {
                return holds;
            }
            sleep(200);
        }
    }

    /**
     * Compares the registrars' status files until both show the same checksum, owner checksums and PE count, the
     * count nonzero and equal to {@code expected} (unless that is -1), in two consecutive rewrites of each file;
     * gives up at {@code deadline} (testbed seconds).
     */
    private Agreement awaitAgreement(Child a, Child b, long expected, double loadEndAt, double deadline) {
        FileTime[] streak = null; // the status files' versions when the current run of agreeing samples began
        String detail;
        while (true) {
            FileTime ma = modified(statusFile(a));
            FileTime mb = modified(statusFile(b));
            String sa = readString(statusFile(a));
            String sb = readString(statusFile(b));
            boolean consistent = ma != null && mb != null && ma.equals(modified(statusFile(a)))
                    && mb.equals(modified(statusFile(b))); // not rewritten while read
            String ca = str(sa, "checksum");
            String cb = str(sb, "checksum");
            String oa = ownerChecksums(sa);
            String ob = ownerChecksums(sb);
            long ea = (long) num(sa, "elements");
            long eb = (long) num(sb, "elements");
            boolean same = sa != null && sb != null && ca != null && ca.equals(cb) && oa.equals(ob) && ea == eb;
            boolean ok = same && ea > 0 && (expected < 0 || ea == expected);
            detail = "primary " + ea + " PEs checksum=" + ca + " owners=" + oa + "; backup " + eb + " PEs checksum="
                    + cb + " owners=" + ob + (expected < 0 ? "; PEs held by the pe-sims unknown"
                    : "; the pe-sims hold " + expected + " PEs");
            double now = elapsed();
            if (consistent) {
                if (!ok) {
                    streak = null;
                } else if (streak == null) {
                    streak = new FileTime[] {ma, mb};
                } else if (ma.compareTo(streak[0]) > 0 && mb.compareTo(streak[1]) > 0) {
                    return new Agreement(true, detail, ea, ca, cb, expected, now - loadEndAt);
                }
            }
            if (now > deadline) {
                return new Agreement(false, "no agreement within the hold: " + detail, ea, ca, cb, expected, -1);
            }
            sleep(250);
        }
    }

    private static FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return null;
        }
    }

    static String ownerChecksums(String json) {
        JsonNode node = at(json, "owner_checksums");
        return node == null ? "" : node.toString();
    }

    private void awaitClustered() throws IOException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            boolean ok = true;
            for (Child c : children) {
                String s = readString(statusFile(c));
                ok &= s != null && s.contains("\"ready\":true") && num(s, "members") >= 2;
            }
            if (ok) {
                return;
            }
            sleep(250);
        }
        throw new IOException("registrars did not form a cluster of 2 within 60 s");
    }

    /**
     * Waits until the primary hosts no more than half of the shards (plus one): a registrar alone hosts them all,
     * and the cluster hands half of them off to the backup after it joined. Measured during those hand-offs, the
     * figures were the hand-offs' (and a churn deregistration found its PE missing at the shard's new home).
     */
    private void awaitShardsSettled(Child registrar, List<String> problems) {
        long deadline = System.nanoTime() + 60_000_000_000L;
        double hosted = -1;
        double shards = -1;
        while (System.nanoTime() < deadline) {
            String s = readString(statusFile(registrar));
            hosted = num(s, "hosted_shards");
            shards = num(s, "shards");
            if (shards > 0 && hosted >= 0 && hosted <= Math.ceil(shards / 2) + 1) {
                stdout.printf(Locale.ROOT, "testbed: shards settled (the primary hosts %.0f of %.0f)%n", hosted,
                        shards);
                return;
            }
            sleep(250);
        }
        problems.add("the shards did not settle within 60 s: the primary still hosts " + Report.fmt(hosted) + " of "
                + Report.fmt(shards));
    }

    Path statusFile(Child registrar) {
        return out.resolve(registrar.name + ".status.json");
    }

    private Child startRegistrar(String name, int id, String seed) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(launcher("registrar"), "--host", "127.0.0.1", "--asap-port", "0",
                "--cluster-port", "0", "--http-port", "0", "--registrar-id", "" + id));
        if (seed != null) {
            cmd.add("--seed");
            cmd.add(seed);
        }
        // a joining backup takes its half of the shards in one rebalance round instead of five (10 % per round):
        // the capacity figures are measured once no shard is handed off any more (awaitShardsSettled)
        String opts = LONG_JVM + " -Dpoolkeeper.registrar.status-file=" + out.resolve(name + ".status.json")
                + " -Dpekko.cluster.sharding.least-shard-allocation-strategy.rebalance-relative-limit=0.5"
                + " -Dpekko.cluster.sharding.least-shard-allocation-strategy.rebalance-absolute-limit=1000";
        return start(name, "registrar", null, cmd, opts);
    }

    private String[] awaitListening(Child c) throws IOException {
        long deadline = System.nanoTime() + 90_000_000_000L;
        while (System.nanoTime() < deadline) {
            for (String line : readLines(c.outFile)) {
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    if (m.group(3) == null) {
                        throw new IOException(c.name + " started without an HTTP endpoint: " + line);
                    }
                    c.http = m.group(3);
                    return new String[] {m.group(1), m.group(2)};
                }
            }
            if (!c.process.isAlive()) {
                throw new IOException(c.name + " exited with " + c.process.exitValue() + "; see " + c.errFile);
            }
            sleep(100);
        }
        throw new IOException(c.name + " did not report listening within 90 s; see " + c.errFile);
    }

    private static List<String> concat(List<String> prefix, String... rest) {
        List<String> all = new ArrayList<>(prefix);
        all.addAll(List.of(rest));
        return all;
    }

    private String launcher(String name) {
        return root.resolve("deploy/bin").resolve(name).toString();
    }

    private Child start(String name, String role, String policy, List<String> cmd) throws IOException {
        return start(name, role, policy, cmd, SMALL_JVM);
    }

    private Child start(String name, String role, String policy, List<String> cmd, String javaOpts)
            throws IOException {
        Path o = out.resolve("logs").resolve(name + ".out");
        Path e = out.resolve("logs").resolve(name + ".err");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(o.toFile()).redirectError(e.toFile());
        // the out dir in every child's command line marks it as this testbed's (tests look for orphans by it)
        // each JVM's GC pauses in logs/<name>.gc.log: where a latency spike came from
        pb.environment().put("JAVA_OPTS", javaOpts + " -Xlog:gc:file=" + out.resolve("logs").resolve(name + ".gc.log")
                + " -Dpoolkeeper.testbed=" + out);
        Child c = new Child(name, role, policy, pb.start(), o, e, elapsed());
        children.add(c);
        return c;
    }

    private static void waitExit(Child c, long seconds) throws InterruptedException {
        if (c.process.waitFor(seconds, TimeUnit.SECONDS)) {
            c.exit = c.process.exitValue();
        }
    }

    /**
     * Stops every child JVM (and anything it started): SIGTERM, then SIGKILL after 10 s. The simulators first, then
     * the registrars one at a time, the backup (the joiner) before the primary, so neither waits for a leaving peer.
     */
    synchronized void stopAll() {
        List<Child> sims = new ArrayList<>();
        List<Child> registrars = new ArrayList<>();
        for (Child c : children) {
            (c.role.equals("registrar") ? registrars : sims).add(c);
        }
        terminate(sims);
        for (int i = registrars.size() - 1; i >= 0; i--) {
            terminate(List.of(registrars.get(i)));
        }
        for (Child c : children) {
            if (c.exit == null && !c.process.isAlive() && !c.role.equals("registrar")) {
                c.exit = c.process.exitValue();
            }
        }
    }

    private static void terminate(List<Child> group) {
        List<ProcessHandle> handles = new ArrayList<>();
        for (Child c : group) {
            c.process.descendants().forEach(handles::add);
            handles.add(c.process.toHandle());
        }
        for (ProcessHandle h : handles) {
            h.destroy();
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        for (ProcessHandle h : handles) {
            try {
                long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
                h.onExit().get(left, TimeUnit.MILLISECONDS);
            } catch (Exception timeout) {
                h.destroyForcibly();
            }
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static List<String> readLines(Path p) {
        try {
            return Files.exists(p) ? Files.readAllLines(p, StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            return List.of();
        }
    }

    static String readString(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The node at a dotted path ({@code "latency_us.p99"}) of a JSON text, or {@code null} if the text is missing,
     * not (yet completely) written, or lacks the path.
     */
    static JsonNode at(String json, String path) {
        if (json == null) {
            return null;
        }
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            return null; // e.g. a status file caught while it is being rewritten
        }
        for (String key : path.split("\\.")) {
            if (node == null) {
                return null;
            }
            node = node.get(key);
        }
        return node;
    }

    /** A JSON text as a tree, or {@code null} if it is missing or no JSON. */
    static JsonNode readJson(String json) {
        if (json == null) {
            return null;
        }
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /** The number at a dotted path, or -1 if absent. */
    static double num(String json, String path) {
        JsonNode node = at(json, path);
        return node != null && node.isNumber() ? node.asDouble() : -1;
    }

    /** The text at a dotted path, or {@code null} if absent. */
    static String str(String json, String path) {
        JsonNode node = at(json, path);
        return node != null && node.isTextual() ? node.asText() : null;
    }
}
