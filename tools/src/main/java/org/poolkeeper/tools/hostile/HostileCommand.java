package org.poolkeeper.tools.hostile;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.poolkeeper.tools.ToolCli;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hostile}: one registrar JVM with default settings against clients that do not play by the rules, written
 * against the wire format only ({@link FrameConnection}). One row per phase: {@code hijack} (taking over or removing
 * another connection's PEs without its owner secret), {@code reports} (one client removing a healthy PE by
 * unreachability reports), {@code ownerless} (registrations whose connection is gone), five floods (one-PE pools,
 * short connections, unfinished 64 KiB frames, handle resolutions, unreachability reports) while a legitimate owner
 * and pool user go on, and {@code fuzz} (mutated frames of every message kind), then a scan of the registrar's log.
 * A registrar that exited fails the phase it died in (exit code and the end of its log) and is started again for
 * the next one. Progress on stderr, a table on stdout and in {@code report.md}, figures in {@code results.json}; exit
 * 0 only if every check of every phase passed.
 */
@Command(name = "hostile", mixinStandardHelpOptions = true, versionProvider = org.poolkeeper.simsupport.VersionLine.class, sortOptions = false,
        description = "Hostile clients against one registrar: PE hijacking, unreachability-report abuse, ownerless "
                + "registrations, floods, fuzzed frames; checks that legitimate clients are not harmed.")
public final class HostileCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> PHASES = List.of("hijack", "reports", "ownerless", "floods", "fuzz");

    public static int run(String... args) {
        return ToolCli.run("hostile", new HostileCommand(), args);
    }

    @Option(names = "--root", required = true, description = "The project root (deploy/bin is started from there).")
    Path root;

    @Option(names = "--phases", defaultValue = "hijack,reports,ownerless,floods,fuzz", split = ",",
            description = "Which phases, in order (default: ${DEFAULT-VALUE}).")
    List<String> phases;

    @Option(names = "--floods", defaultValue = "pools,short,slow,resolutions,reports", split = ",",
            description = "Which floods the floods phase runs, in order (default: ${DEFAULT-VALUE}).")
    List<String> floods;

    @Option(names = "--hijack-pools", defaultValue = "4", description = "Pools of the hijacked owner (default: "
            + "${DEFAULT-VALUE}).")
    int hijackPools;

    @Option(names = "--hijack-pes", defaultValue = "25", description = "PEs per hijacked pool, 1..128 (default: "
            + "${DEFAULT-VALUE}).")
    int hijackPes;

    @Option(names = "--same-reports", defaultValue = "20", description = "Unreachability reports on one PE from one "
            + "connection (default: ${DEFAULT-VALUE}).")
    int sameReports;

    @Option(names = "--ownerless-connections", defaultValue = "500", description = "Short connections that register "
            + "and close at once (default: ${DEFAULT-VALUE}).")
    int ownerlessConnections;

    @Option(names = "--ownerless-registrations", defaultValue = "20", description = "Registrations each of them "
            + "pipelines, 1..1000 (default: ${DEFAULT-VALUE}).")
    int ownerlessRegistrations;

    @Option(names = "--ownerless-wait", defaultValue = "15", description = "Seconds after which none of their PEs may "
            + "be listed; above keep-alive interval + timeout (10 s) (default: ${DEFAULT-VALUE}).")
    int ownerlessWait;

    @Option(names = "--flood-seconds", defaultValue = "30", description = "Length of the pools, short, resolutions "
            + "and reports floods (default: ${DEFAULT-VALUE}).")
    int floodSeconds;

    @Option(names = "--slow-connections", defaultValue = "4000", description = "Connections of the slow flood, each "
            + "with an unfinished 65,535-byte frame (default: ${DEFAULT-VALUE}).")
    int slowConnections;

    @Option(names = "--slow-hold", defaultValue = "15", description = "Seconds the slow flood holds its connections; "
            + "13 or more also checks that the registrar closed every one it accepted (default: ${DEFAULT-VALUE}).")
    int slowHold;

    @Option(names = "--report-flood-connections", defaultValue = "2", description = "Connections of the reports "
            + "flood, 1..2: three distinct reporters remove a PE by the rules (default: ${DEFAULT-VALUE}).")
    int reportFloodConnections;

    @Option(names = "--max-eu-rate", defaultValue = "20", description = "The registrar's max-eu-rate, which the "
            + "reports flood checks (default: ${DEFAULT-VALUE}, the registrar's default).")
    int maxEuRate;

    @Option(names = "--legit-pes", defaultValue = "10", description = "PEs of the legitimate owner during the floods, "
            + "1..128 (default: ${DEFAULT-VALUE}).")
    int legitPes;

    @Option(names = "--fuzz-frames", defaultValue = "10000000", description = "Mutated frames of the fuzz phase "
            + "(default: ${DEFAULT-VALUE}).")
    long fuzzFrames;

    @Option(names = "--fuzz-per-connection", defaultValue = "1000", description = "Frames per fuzz connection "
            + "(default: ${DEFAULT-VALUE}).")
    int fuzzPerConnection;

    @Option(names = "--fuzz-workers", defaultValue = "2", description = "Fuzzing threads, each with its own "
            + "connection (default: ${DEFAULT-VALUE}).")
    int fuzzWorkers;

    @Option(names = "--attacker-addresses", defaultValue = "16", description = "Loopback source addresses the "
            + "attackers spread over, 127.0.0.2 on, 1..250 (default: ${DEFAULT-VALUE}).")
    int attackerAddresses;

    @Option(names = "--registrar-opts", defaultValue = "", description = "More JVM options for the registrar "
            + "(-Dpoolkeeper.registrar.KEY=VALUE); the default is none: default settings.")
    String registrarOpts;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", description = "Registrar logs, status files and the report (default "
            + "target/hostile/<timestamp> under the root).")
    Path out;

    private final long t0 = System.nanoTime();
    private final List<PhaseResult> results = new ArrayList<>();
    private Registrar registrar;
    private Context ctx;
    private FloodPhase floodPhase;

    @Override
    public Integer call() throws Exception {
        validate();
        if (out == null) {
            out = root.resolve("target/hostile").resolve(LocalDateTime.now().format(
                    DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        }
        Files.createDirectories(out);
        registrar = new Registrar(root, out, 0x4057, registrarOpts, this::sayLine);
        Thread hook = new Thread(registrar::close, "hostile-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        Registrar.LogScan scan;
        try {
            startRegistrar();
            ctx = new Context(registrar, seed, attackerAddresses, this::sayLine);
            for (String phase : phases) {
                switch (phase) {
                    case "hijack" -> row("hijack", r -> new HijackPhase(ctx, hijackPools, hijackPes).run(r));
                    case "reports" -> row("reports", r -> new ReportsPhase(ctx, sameReports).run(r));
                    case "ownerless" -> row("ownerless", r -> new OwnerlessPhase(ctx, ownerlessConnections,
                            ownerlessRegistrations, ownerlessWait).run(r));
                    case "floods" -> {
                        for (String flood : floods) {
                            row("flood-" + flood, r -> floods().run(flood, r));
                        }
                        closeFloods();
                    }
                    case "fuzz" -> row("fuzz", r -> new FuzzPhase(ctx, fuzzFrames, fuzzPerConnection, fuzzWorkers)
                            .run(r));
                    default -> throw new IllegalStateException("unknown phase " + phase);
                }
            }
            scan = registrar.scanLog();
        } finally {
            closeFloods();
            registrar.close();
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        PhaseResult log = new PhaseResult("log");
        log.figure("warn_lines", scan.warnings()).figure("error_lines", scan.errors())
                .figure("out_of_memory", scan.outOfMemory()).figure("actor_failures", scan.actorFailures())
                .figure("stack_frames", scan.stackFrames()).figure("registrar_starts", registrar.starts());
        log.detail("first_errors", String.join("\n", scan.firstErrors()));
        log.check(scan.outOfMemory() == 0, "the registrar's log names OutOfMemoryError %d times", scan.outOfMemory());
        log.check(scan.actorFailures() == 0, "an actor failed (\"saw failure\") %d times: %s", scan.actorFailures(),
                scan.firstErrors().isEmpty() ? "" : scan.firstErrors().get(0));
        results.add(log);
        sayLine(String.format(Locale.ROOT, "log: %d WARN, %d ERROR lines, %d OutOfMemoryError, %d actor failures",
                scan.warnings(), scan.errors(), scan.outOfMemory(), scan.actorFailures()));
        boolean pass = results.stream().allMatch(PhaseResult::pass);
        String report = report(pass);
        Files.writeString(out.resolve("report.md"), report);
        ObjectNode json = JSON.createObjectNode();
        ArrayNode rows = json.putArray("phases");
        results.forEach(r -> rows.add(r.toJson()));
        json.put("pass", pass);
        Files.writeString(out.resolve("results.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json));
        System.out.print(report);
        System.out.flush();
        return pass ? 0 : 1;
    }

    private void validate() {
        String bad = null;
        if (hijackPools < 1 || hijackPools > 50 || hijackPes < 1 || hijackPes > 128) {
            bad = "--hijack-pools 1..50, --hijack-pes 1..128 (a resolution lists up to 128 PEs)";
        } else if (sameReports < 1 || ownerlessConnections < 1 || ownerlessRegistrations < 1
                || ownerlessRegistrations > 1000 || ownerlessWait < 11) {
            bad = "--same-reports >= 1, --ownerless-connections >= 1, --ownerless-registrations 1..1000, "
                    + "--ownerless-wait >= 11 (longer than keep-alive interval + timeout)";
        } else if (floodSeconds < 1 || slowConnections < 1 || slowConnections > 15_000 || slowHold < 1
                || legitPes < 1 || legitPes > 128) {
            bad = "--flood-seconds >= 1, --slow-connections 1..15000, --slow-hold >= 1, --legit-pes 1..128";
        } else if (reportFloodConnections < 1 || reportFloodConnections > 2 || maxEuRate < 1) {
            bad = "--report-flood-connections 1..2 (three distinct reporters remove a PE by the rules), "
                    + "--max-eu-rate >= 1";
        } else if (fuzzFrames < 1 || fuzzPerConnection < 1 || fuzzWorkers < 1 || fuzzWorkers > 16
                || attackerAddresses < 1 || attackerAddresses > 250) {
            bad = "--fuzz-frames >= 1, --fuzz-per-connection >= 1, --fuzz-workers 1..16, --attacker-addresses 1..250";
        }
        if (bad != null) {
            throw new CommandLine.ParameterException(new CommandLine(this), "out of range: " + bad);
        }
        for (String p : phases) {
            if (!PHASES.contains(p)) {
                throw new CommandLine.ParameterException(new CommandLine(this), "unknown phase '" + p + "' ("
                        + String.join(", ", PHASES) + ")");
            }
        }
        for (String f : floods) {
            if (!FloodPhase.FLOODS.contains(f)) {
                throw new CommandLine.ParameterException(new CommandLine(this), "unknown flood '" + f + "' ("
                        + String.join(", ", FloodPhase.FLOODS) + ")");
            }
        }
    }

    private interface Body {
        void run(PhaseResult r) throws Exception;
    }

    /**
     * Runs one phase as one row. A registrar that died before is started again first; an exception of the phase is
     * one failed check; a registrar that is not alive afterwards fails the row with its exit code and log tail.
     */
    private void row(String name, Body body) throws Exception {
        PhaseResult r = new PhaseResult(name);
        results.add(r);
        if (!registrar.alive()) {
            closeFloods();
            sayLine(name + ": the registrar is gone; starting it again");
            try {
                startRegistrar();
            } catch (Exception e) {
                r.fail("the registrar could not be started again: %s", e.getMessage());
                return;
            }
        }
        sayLine(name + ": start");
        try {
            body.run(r);
        } catch (Exception e) {
            if (registrar.alive()) {
                r.fail("%s", e.getMessage() == null ? e.toString() : e.getMessage());
            }
        }
        if (!registrar.alive()) {
            r.fail("the registrar exited with status %d during this phase; its log ends: %s", registrar.exitValue(),
                    registrar.logTail(8));
        }
        sayLine(String.format(Locale.ROOT, "%s: %s%s", name, r.pass() ? "PASS" : "FAIL",
                r.pass() ? "" : " - " + String.join("; ", r.failures())));
    }

    private void startRegistrar() throws Exception {
        registrar.start();
        if (!registrar.awaitReady()) {
            throw new IllegalStateException("the registrar did not report ready within 30 s: " + registrar.logTail(5));
        }
    }

    private FloodPhase floods() throws Exception {
        if (floodPhase == null) {
            floodPhase = new FloodPhase(ctx, floodSeconds, slowConnections, slowHold, reportFloodConnections,
                    legitPes, maxEuRate);
            floodPhase.prepare();
        }
        return floodPhase;
    }

    private void closeFloods() {
        if (floodPhase != null) {
            floodPhase.close();
            floodPhase = null;
        }
    }

    // ------------------------------------------------------------------ output

    private void sayLine(String line) {
        System.err.printf(Locale.ROOT, "hostile [%6.1fs] %s%n", (System.nanoTime() - t0) / 1e9, line);
    }

    private String report(boolean pass) {
        StringBuilder b = new StringBuilder("# Poolkeeper hostile-client run\n\n");
        b.append(String.format(Locale.ROOT, "One registrar (-Xmx256m, SerialGC, default settings but "
                        + "max-hres-items=128 so that a resolution lists every PE%s) on 127.0.0.1; "
                        + "attackers from %d loopback addresses (127.0.0.2 on), legitimate clients from 127.0.0.1. "
                        + "Sizes: hijack %d×%d PEs; %d same-connection reports; ownerless %d connections × %d "
                        + "registrations, %d s wait; floods %d s, %,d slow connections held %d s, %d report flooders; "
                        + "fuzz %,d frames, a new connection every %,d, %d threads; seed %d. Host: %d cores.%n%n",
                registrarOpts.isBlank() ? "" : ", " + registrarOpts, attackerAddresses, hijackPools, hijackPes,
                sameReports, ownerlessConnections, ownerlessRegistrations, ownerlessWait, floodSeconds,
                slowConnections, slowHold, reportFloodConnections, fuzzFrames, fuzzPerConnection, fuzzWorkers, seed,
                Runtime.getRuntime().availableProcessors()));
        b.append("| phase | result | figures |\n| --- | --- | --- |\n");
        for (PhaseResult r : results) {
            b.append("| ").append(r.name).append(" | ").append(r.pass() ? "PASS" : "FAIL").append(" | ")
                    .append(r.figures().replace("|", "/")).append(" |\n");
        }
        b.append('\n').append(pass ? "Result: PASS\n" : "Result: FAIL\n");
        for (PhaseResult r : results) {
            for (String f : r.failures()) {
                b.append("- ").append(r.name).append(": ").append(f).append('\n');
            }
        }
        b.append("\nRegistrar logs, status files and results.json: ").append(out).append('\n');
        return b.toString();
    }
}
