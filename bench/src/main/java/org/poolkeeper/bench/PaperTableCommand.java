package org.poolkeeper.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.poolkeeper.handlespace.PolicyType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bench paper-table}: every cell of the paper's Table 1 / Figure 2, plus memory and sync figures. */
@Command(name = "paper-table", mixinStandardHelpOptions = true, versionProvider = org.poolkeeper.registrar.VersionLine.class,
        description = {"Measures every cell (policy x operation x size) the paper's way: warm-up, then REPS windows of "
                + "fixed length counting operations; mean with a bootstrap 95 %% CI (10,000 resamples).",
                "Writes table1.md, results.csv, figure2.png, memory.md and sync.md into DIR and prints table1.md."})
public final class PaperTableCommand implements Callable<Integer> {
    static final List<PolicyType> PAPER_POLICIES = List.of(PolicyType.ROUND_ROBIN, PolicyType.LEAST_USED,
            PolicyType.RANDOM, PolicyType.WEIGHTED_RANDOM);
    static final List<PolicyType> EXTRA_POLICIES = List.of(PolicyType.WEIGHTED_ROUND_ROBIN, PolicyType.PRIORITY,
            PolicyType.LEAST_USED_DEGRADATION, PolicyType.PRIORITY_LEAST_USED, PolicyType.RANDOMIZED_LEAST_USED);
    static final String DEFAULT_SIZES = "10,100,1000,3000,10000,100000,1000x100";
    static final String QUICK_SIZES = "100,3000";
    static final String DEFAULT_WINDOW = "80ms";

    @Option(names = "--quick", description = "Smoke run (< 60 s): sizes " + QUICK_SIZES + ", 5 reps of 10 ms, "
            + "no extra policies, memory at 3,000 and 100,000 PEs, sync at 2,000 PEs.")
    boolean quick;

    @Option(names = "--window", paramLabel = "DURATION", description = "Length of one repetition, e.g. 100ms, 1s "
            + "(default ${DEFAULT-VALUE}: a full run of ~330 cells stays within ~15 min on 2 cores; --quick: 10ms).",
            defaultValue = DEFAULT_WINDOW)
    String window;

    @Option(names = "--reps", description = "Repetitions per cell (default ${DEFAULT-VALUE}, the paper's; --quick: 5).",
            defaultValue = "18")
    int reps;

    @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default target/bench/<timestamp>/).")
    Path out;

    @Option(names = "--sizes", split = ",", paramLabel = "SIZE", description = "PEs per pool (N) or POOLSxN; default "
            + DEFAULT_SIZES)
    List<String> sizes;

    @Option(names = "--policies", split = ",", paramLabel = "POLICY",
            description = "Policies measured at every size (default RR,LU,RAND,WRAND).")
    List<String> policies;

    @Option(names = "--extra-policies", split = ",", paramLabel = "POLICY",
            description = "Policies measured at 3,000 PEs only (default WRR,PRIO,LUD,PLU,RLU; 'none' for none).")
    List<String> extraPolicies;

    @Option(names = "--no-memory", description = "Skip memory.md's measurement (writes a stub).")
    boolean noMemory;

    @Option(names = "--no-sync", description = "Skip sync.md's measurement (writes a stub).")
    boolean noSync;

    @Override
    public Integer call() throws IOException {
        Settings s = settings();
        Files.createDirectories(s.out);
        PrintStream err = System.err;
        err.printf("paper-table: %d cells, window %s, %d reps, warm-up %s per cell -> %s%n", s.cellCount(),
                Durations.format(s.windowNs), s.reps, Durations.format(s.warmupNs), s.out.toAbsolutePath());
        RunInfo info = RunInfo.capture(s);

        // memory first, on a clean heap
        MemoryProbe.Result memory = s.memory ? MemoryProbe.measure(s.memorySizes, err) : null;

        warmUpEverything(s, err);
        List<Cell> cells = new ArrayList<>();
        long start = System.nanoTime();
        int total = s.cellCount();
        for (Shape shape : s.shapes) {
            for (PolicyType policy : s.policies) {
                runShape(s, shape, policy, cells, start, total, err);
            }
        }
        for (PolicyType policy : s.extraPolicies) {
            runShape(s, Shape.PAPER, policy, cells, start, total, err);
        }

        SyncBench.Result sync = s.sync ? SyncBench.measure(s.syncSizes, s.windowNs, Math.min(s.reps, 10), err) : null;
        info.finish();

        Reports reports = new Reports(s, info, cells);
        Files.writeString(s.out.resolve("results.csv"), reports.csv(), StandardCharsets.UTF_8);
        String table = reports.table1();
        Files.writeString(s.out.resolve("table1.md"), table, StandardCharsets.UTF_8);
        Figure2.write(cells, s.out.resolve("figure2.png"));
        Files.writeString(s.out.resolve("memory.md"), MemoryProbe.markdown(memory, info), StandardCharsets.UTF_8);
        Files.writeString(s.out.resolve("sync.md"), SyncBench.markdown(sync, info), StandardCharsets.UTF_8);
        err.printf("paper-table: done in %s; files in %s%n", Durations.format(System.nanoTime() - start),
                s.out.toAbsolutePath());
        System.out.print(table);
        System.out.flush();
        return 0;
    }

    /** One window of every operation under every policy, so that the first cells do not run interpreted. */
    private static void warmUpEverything(Settings s, PrintStream err) {
        long t0 = System.nanoTime();
        for (PolicyType policy : s.policies) {
            for (Operation op : s.operations) {
                Repetitions.one(OperationLoop.create(op, new Workload(policy, 1, 1000, 66).fill()), s.windowNs);
            }
        }
        err.printf("paper-table: JIT warm-up of every operation took %s%n", Durations.format(System.nanoTime() - t0));
    }

    private static void runShape(Settings s, Shape shape, PolicyType policy, List<Cell> cells, long start, int total,
                                 PrintStream err) {
        for (Operation op : s.operations) {
            Workload w = new Workload(policy, shape.pools(), shape.pesPerPool(), 66).fill();
            OperationLoop loop = OperationLoop.create(op, w);
            double[] rates = Repetitions.measure(loop, s.warmupNs, s.windowNs, s.reps);
            Cell cell = new Cell(policy, op, shape.pools(), shape.pesPerPool(), rates, Stats.bootstrap(rates));
            cells.add(cell);
            long elapsed = System.nanoTime() - start;
            long eta = elapsed / cells.size() * (total - cells.size());
            err.printf("[%3d/%d] %-5s %-14s %9s PEs %,12.1f k/s [%,.1f, %,.1f]  elapsed %s  ETA %s%n", cells.size(),
                    total, policy.shortName(), op.csvName(), cell.sizeLabel(), cell.stats().mean / 1e3,
                    cell.stats().low / 1e3, cell.stats().high / 1e3, Durations.format(elapsed), Durations.format(eta));
        }
    }

    private static List<PolicyType> parsePolicies(List<String> names, List<PolicyType> defaults) {
        if (names == null) {
            return defaults;
        }
        List<PolicyType> list = new ArrayList<>();
        for (String name : names) {
            if (name.equalsIgnoreCase("none")) {
                continue;
            }
            PolicyType type = PolicyType.fromShortName(name.trim());
            if (type == null) {
                throw new IllegalArgumentException("unknown policy " + name);
            }
            list.add(type);
        }
        return list;
    }

    Settings settings() {
        Settings s = new Settings();
        s.quick = quick;
        s.windowNs = quick && window.equals(DEFAULT_WINDOW) ? 10_000_000L : Durations.parse(window);
        s.reps = quick && reps == 18 ? 5 : reps;
        if (s.reps < 2) {
            throw new IllegalArgumentException("--reps must be at least 2");
        }
        s.warmupNs = quick ? s.windowNs : 2 * s.windowNs;
        List<String> sizeList = sizes != null ? sizes : List.of((quick ? QUICK_SIZES : DEFAULT_SIZES).split(","));
        s.shapes = sizeList.stream().map(Shape::parse).toList();
        s.policies = parsePolicies(policies, PAPER_POLICIES);
        s.extraPolicies = parsePolicies(extraPolicies, quick ? List.of() : EXTRA_POLICIES);
        s.operations = List.of(Operation.values());
        s.memory = !noMemory;
        s.memorySizes = quick ? new int[] {3_000, 100_000} : new int[] {3_000, 1_000_000};
        s.sync = !noSync;
        s.syncSizes = quick ? new int[] {2_000} : new int[] {2_000, 100_000};
        s.out = out != null ? out
                : Path.of("target", "bench", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        return s;
    }

    /** The resolved settings of one run. */
    static final class Settings {
        boolean quick;
        long windowNs;
        long warmupNs;
        int reps;
        List<Shape> shapes;
        List<PolicyType> policies;
        List<PolicyType> extraPolicies;
        List<Operation> operations;
        boolean memory;
        int[] memorySizes;
        boolean sync;
        int[] syncSizes;
        Path out;

        int cellCount() {
            return (shapes.size() * policies.size() + extraPolicies.size()) * operations.size();
        }
    }
}
