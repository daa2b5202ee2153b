package org.poolkeeper.bench;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code deploy/bin/bench}: the benchmark runner's entry point. */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = org.poolkeeper.registrar.VersionLine.class,
        description = "Poolkeeper handlespace benchmarks: the paper's Table 1 / Figure 2 / sync / memory figures, and "
                + "JMH microbenchmarks.",
        subcommands = {PaperTableCommand.class, BenchMain.JmhCommand.class, BenchMain.MemoryCommand.class,
            BenchMain.SyncCommand.class})
public final class BenchMain implements Callable<Integer> {

    public static void main(String[] args) throws Exception {
        System.setProperty("java.awt.headless", "true");
        if (args.length > 0 && args[0].equals("jmh")) {
            // JMH parses its own options (-f, -wi, -p policy=RR, -h, ...): hand them over untouched
            org.openjdk.jmh.Main.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        System.exit(run(args));
    }

    /** Runs a command line and returns the exit code (the smoke test calls this in-process). */
    public static int run(String... args) {
        System.setProperty("java.awt.headless", "true");
        CommandLine cli = new CommandLine(new BenchMain());
        // one line, never a stack trace: 2 for bad arguments, 1 for a failure
        cli.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("bench: " + ex.getMessage() + " (see --help)");
            return 2;
        });
        cli.setExecutionExceptionHandler((ex, c, r) -> {
            c.getErr().println("bench: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            return 1;
        });
        return cli.execute(args);
    }

    @Override
    public Integer call() {
        CommandLine.usage(this, System.out);
        return 0;
    }

    @Command(name = "jmh", description = {"Runs the JMH benchmarks (org.poolkeeper.bench.jmh); every argument goes to "
            + "JMH's own runner, e.g. 'bench jmh -f 1 -wi 3 -i 5 -p policy=RR,LU -p operation=resolution1'.",
        "'bench jmh -h' shows JMH's options, 'bench jmh -l' lists the benchmarks."})
    static final class JmhCommand implements Callable<Integer> {
        @Parameters(arity = "0..*", paramLabel = "JMH-ARG", description = "Arguments for JMH.")
        List<String> args = List.of();

        @Override
        public Integer call() throws Exception {
            org.openjdk.jmh.Main.main(args.toArray(new String[0]));
            return 0;
        }
    }

    @Command(name = "memory", mixinStandardHelpOptions = true, versionProvider = org.poolkeeper.registrar.VersionLine.class,
            description = "Measures retained heap per PE (as memory.md) and prints it.")
    static final class MemoryCommand implements Callable<Integer> {
        @Option(names = "--sizes", split = ",", description = "PEs (default 3000,1000000).")
        int[] sizes = {3_000, 1_000_000};

        @Override
        public Integer call() {
            PrintStream err = System.err;
            RunInfo info = RunInfo.now("memory only");
            System.out.print(MemoryProbe.markdown(MemoryProbe.measure(sizes, err), info));
            return 0;
        }
    }

    @Command(name = "sync", mixinStandardHelpOptions = true, versionProvider = org.poolkeeper.registrar.VersionLine.class,
            description = "Measures export/import and delta sync (as sync.md) and prints it.")
    static final class SyncCommand implements Callable<Integer> {
        @Option(names = "--sizes", split = ",", description = "PEs (default 2000,100000).")
        int[] sizes = {2_000, 100_000};

        @Option(names = "--window", description = "Repetition window (default ${DEFAULT-VALUE}).", defaultValue = "100ms")
        String window;

        @Option(names = "--reps", description = "Repetitions (default ${DEFAULT-VALUE}).", defaultValue = "10")
        int reps;

        @Override
        public Integer call() {
            RunInfo info = RunInfo.now("sync only, window " + window + ", " + reps + " repetitions");
            System.out.print(SyncBench.markdown(SyncBench.measure(sizes, Durations.parse(window), reps, System.err),
                    info));
            return 0;
        }
    }
}
