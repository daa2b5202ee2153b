package org.poolkeeper.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.poolkeeper.handlespace.PolicyType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bench paper-table}: every cell of the paper's Table 1 / Figure 2, plus memory and sync figures. */
@Command(name = "paper-table", mixinStandardHelpOptions = true, versionProvider = org.poolkeeper.registrar.VersionLine.class,
        description = {"Measures every cell (policy x operation x size) the paper's way in FORKS separate JVMs, one "
                + "after the other: in each, a warm-up, then REPS windows of fixed length counting operations (the "
                + "fork's figure: their mean); a cell's figure is the median across forks, with their min-max.",
                "Writes table1.md, results.csv, figure2.png, memory.md and sync.md into DIR and prints table1.md."})
public final class PaperTableCommand implements Callable<Integer> {
    static final List<PolicyType> PAPER_POLICIES = List.of(PolicyType.ROUND_ROBIN, PolicyType.LEAST_USED,
            PolicyType.RANDOM, PolicyType.WEIGHTED_RANDOM);
    static final List<PolicyType> EXTRA_POLICIES = List.of(PolicyType.WEIGHTED_ROUND_ROBIN, PolicyType.PRIORITY,
            PolicyType.LEAST_USED_DEGRADATION, PolicyType.PRIORITY_LEAST_USED, PolicyType.RANDOMIZED_LEAST_USED);
    static final String DEFAULT_SIZES = "10,100,1000,3000,10000,100000,1000x100";
    static final String QUICK_SIZES = "100,3000";
    static final String DEFAULT_WINDOW = "80ms";
    static final int DEFAULT_REPS = 5;
    static final int DEFAULT_FORKS = 3;

    @Option(names = "--quick", description = "Smoke run (< 60 s): sizes " + QUICK_SIZES + ", 1 fork, 3 reps of "
            + "10 ms, no extra policies, memory at 3,000 and 100,000 PEs, sync at 2,000 PEs.")
    boolean quick;

    @Option(names = "--forks", description = "Separate JVMs every cell is measured in, one after the other (default 3; "
            + "--quick: 1, in this JVM).")
    Integer forks;

    /** Set in a fork: measure every cell and write the fork's figures to this CSV. */
    @Option(names = "--fork-worker", hidden = true, paramLabel = "FILE")
    Path forkWorker;

    @Option(names = "--fork-label", hidden = true)
    String forkLabel = "";

    @Option(names = "--window", paramLabel = "DURATION", description = "Length of one repetition, e.g. 100ms, 1s "
            + "(default ${DEFAULT-VALUE}: a full run of ~330 cells in 3 forks stays within ~15 min on 2 cores; "
            + "--quick: 10ms).", defaultValue = DEFAULT_WINDOW)
    String window;

    @Option(names = "--reps", description = "Repetitions per cell and fork (default " + DEFAULT_REPS + "; --quick: 3)."
            + " The paper's 18 repetitions in one process hid the variance between processes.")
    Integer reps;

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
    public Integer call() throws IOException, InterruptedException {
        Settings s = settings();
        PrintStream err = System.err;
        if (forkWorker != null) {
            Files.writeString(forkWorker, forkCsv(measureEveryCell(s, forkLabel, err)), StandardCharsets.UTF_8);
            return 0;
        }
        Files.createDirectories(s.out);
        err.printf("paper-table: %d cells in %d fork%s, window %s, %d reps, warm-up %s per cell and fork -> %s%n",
                s.cellCount(), s.forks, s.forks == 1 ? "" : "s", Durations.format(s.windowNs), s.reps,
                Durations.format(s.warmupNs), s.out.toAbsolutePath());
        RunInfo info = RunInfo.capture(s);
        long start = System.nanoTime();

        // memory first, on a clean heap
        MemoryProbe.Result memory = s.memory ? MemoryProbe.measure(s.memorySizes, err) : null;

        List<Map<String, Double>> forkFigures = new ArrayList<>();
        if (s.forks == 1) {
            forkFigures.add(measureEveryCell(s, "", err));
        } else {
            long forksStart = System.nanoTime();
            for (int f = 1; f <= s.forks; f++) {
                if (f > 1) {
                    long each = (System.nanoTime() - forksStart) / (f - 1);
                    err.printf("paper-table: fork %d of %d starts; a fork takes %s, about %s left%n", f, s.forks,
                            Durations.format(each), Durations.format(each * (s.forks - f + 1)));
                }
                forkFigures.add(runFork(s, f));
            }
        }
        List<Cell> cells = merge(s, forkFigures);

        SyncBench.Result sync = s.sync ? SyncBench.measure(s.syncSizes, s.windowNs, s.quick ? s.reps : 10, err) : null;
        info.finish();

        Anchors anchors = Anchors.load();
        Reports reports = new Reports(s, info, cells, anchors);
        Files.writeString(s.out.resolve("results.csv"), reports.csv(), StandardCharsets.UTF_8);
        String table = reports.table1();
        Files.writeString(s.out.resolve("table1.md"), table, StandardCharsets.UTF_8);
        Figure2.write(cells, anchors, s.out.resolve("figure2.png"));
        Files.writeString(s.out.resolve("memory.md"), MemoryProbe.markdown(memory, info), StandardCharsets.UTF_8);
        Files.writeString(s.out.resolve("sync.md"), SyncBench.markdown(sync, info), StandardCharsets.UTF_8);
        err.printf("paper-table: done in %s; files in %s%n", Durations.format(System.nanoTime() - start),
                s.out.toAbsolutePath());
        System.out.print(table);
        System.out.flush();
        return 0;
    }

    private static String cellKey(PolicyType policy, Operation op, Shape shape) {
        return policy.shortName() + "," + op.csvName() + "," + shape.pools() + "," + shape.pesPerPool();
    }

    /** Every cell of the run, measured in this JVM after a warm-up: cell key -> the mean of its windows. */
    private static Map<String, Double> measureEveryCell(Settings s, String label, PrintStream err) {
        warmUpEverything(s, err);
        Map<String, Double> figures = new LinkedHashMap<>();
        long start = System.nanoTime();
        int total = s.cellCount();
        for (Shape shape : s.shapes) {
            for (PolicyType policy : s.policies) {
                runShape(s, shape, policy, figures, start, total, label, err);
            }
        }
        for (PolicyType policy : s.extraPolicies) {
            runShape(s, Shape.PAPER, policy, figures, start, total, label, err);
        }
        return figures;
    }

    private static String forkCsv(Map<String, Double> figures) {
        StringBuilder b = new StringBuilder("policy,operation,pools,pes,ops_per_s\n");
        figures.forEach((key, rate) -> b.append(key).append(',').append(String.format(Locale.ROOT, "%.1f", rate))
                .append('\n'));
        return b.toString();
    }

    /**
     * Runs fork {@code f} as a separate JVM with this JVM's options and class path, its progress on this stderr,
     * and reads its figures back.
     */
    private Map<String, Double> runFork(Settings s, int f) throws IOException, InterruptedException {
        Path file = s.out.resolve("fork-" + f + ".csv");
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!arg.startsWith("-agentlib:jdwp") && !arg.startsWith("-XX:StartFlightRecording")) {
                cmd.add(arg); // a debugger or a recording belongs to this JVM alone
            }
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), BenchMain.class.getName(), "paper-table",
                "--fork-worker", file.toString(), "--fork-label", "fork " + f + "/" + s.forks + " ",
                "--window", (s.windowNs / 1000) + "us", "--reps", "" + s.reps,
                "--sizes", String.join(",", s.shapes.stream().map(Shape::toString).toList()),
                "--policies", String.join(",", s.policies.stream().map(PolicyType::shortName).toList()),
                "--extra-policies", s.extraPolicies.isEmpty() ? "none"
                        : String.join(",", s.extraPolicies.stream().map(PolicyType::shortName).toList())));
        if (s.quick) {
            cmd.add("--quick");
        }
        Process fork = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        int exit = fork.waitFor();
        if (exit != 0) {
            throw new IllegalStateException("fork " + f + " of " + s.forks + " exited with " + exit
                    + " (its lines above say why)");
        }
        Map<String, Double> figures = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (String line : lines.subList(1, lines.size())) {
            int comma = line.lastIndexOf(',');
            figures.put(line.substring(0, comma), Double.parseDouble(line.substring(comma + 1)));
        }
        Files.delete(file);
        return figures;
    }

    /** One cell per measured key: the forks' figures, their median and min-max. */
    private static List<Cell> merge(Settings s, List<Map<String, Double>> forks) {
        List<Cell> cells = new ArrayList<>();
        List<Shape> shapes = new ArrayList<>(s.shapes);
        for (Shape shape : shapes) {
            for (PolicyType policy : s.policies) {
                addCells(s, shape, policy, forks, cells);
            }
        }
        for (PolicyType policy : s.extraPolicies) {
            addCells(s, Shape.PAPER, policy, forks, cells);
        }
        return cells;
    }

    private static void addCells(Settings s, Shape shape, PolicyType policy, List<Map<String, Double>> forks,
                                 List<Cell> cells) {
        for (Operation op : s.operations) {
            String key = cellKey(policy, op, shape);
            double[] figures = new double[forks.size()];
            for (int f = 0; f < forks.size(); f++) {
                Double v = forks.get(f).get(key);
                if (v == null) {
                    throw new IllegalStateException("fork " + (f + 1) + " did not measure " + key);
                }
                figures[f] = v;
            }
            cells.add(new Cell(policy, op, shape.pools(), shape.pesPerPool(), figures, Stats.acrossForks(figures)));
        }
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

    private static void runShape(Settings s, Shape shape, PolicyType policy, Map<String, Double> figures,
                                 long start, int total, String label, PrintStream err) {
        for (Operation op : s.operations) {
            Workload w = new Workload(policy, shape.pools(), shape.pesPerPool(), 66).fill();
            OperationLoop loop = OperationLoop.create(op, w);
            double[] rates = Repetitions.measure(loop, s.warmupNs, s.windowNs, s.reps);
            Stats stats = Stats.bootstrap(rates);
            figures.put(cellKey(policy, op, shape), stats.center);
            long elapsed = System.nanoTime() - start;
            long eta = elapsed / figures.size() * (total - figures.size());
            err.printf("%s[%3d/%d] %-5s %-14s %9s PEs %,12.1f k/s [%,.1f, %,.1f]  elapsed %s  ETA %s%n", label,
                    figures.size(), total, policy.shortName(), op.csvName(), shape.pools() == 1
                            ? String.format("%,d", shape.pesPerPool())
                            : String.format("%,d×%,d", shape.pools(), shape.pesPerPool()), stats.center / 1e3,
                    stats.low / 1e3, stats.high / 1e3, Durations.format(elapsed), Durations.format(eta));
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
        s.reps = reps != null ? reps : quick ? 3 : DEFAULT_REPS;
        s.forks = forks != null ? forks : quick ? 1 : DEFAULT_FORKS;
        if (s.forks < 1) {
            throw new IllegalArgumentException("--forks must be at least 1");
        }
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
        int forks;
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
