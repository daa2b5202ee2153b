package org.poolkeeper.pusim;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.poolkeeper.client.ClientSettings;
import org.poolkeeper.client.PoolUserClient;
import org.poolkeeper.client.RegistrarAddress;
import org.poolkeeper.simsupport.ClientSecurityOptions;
import org.poolkeeper.simsupport.SimulatorCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * pu-sim: a load generator of simulated pool users. Each pool user is an actor with its own registrar
 * connection that resolves pool handles at a target rate (or as fast as answers come), measuring latency and
 * how selection matched each pool's policy. The last stdout line is a JSON summary.
 */
@Command(name = "pu-sim", mixinStandardHelpOptions = true, versionProvider = org.poolkeeper.simsupport.VersionLine.class, sortOptions = false,
        description = "Simulated pool users resolving pool handles at Poolkeeper registrars. Progress on stderr"
                + " every 5 s; the last line on stdout is a JSON summary.")
public final class PuSim implements Callable<Integer> {
    @Mixin
    ClientSecurityOptions security = new ClientSecurityOptions();

    @Option(names = {"-r", "--registrars"}, required = true, paramLabel = "h:p[,h:p...]",
            description = "Registrars to use, in fail-over order.")
    String registrars;

    @Option(names = "--spread", description = "Spread the pool users over the registrars: user i starts at "
            + "registrar i mod n and fails over to the next ones (default: every user starts at the first).")
    boolean spread;

    @Option(names = "--pools", defaultValue = "10", description = "Resolve <prefix>0 ... <prefix><P-1> (default: ${DEFAULT-VALUE}).")
    int pools;

    @Option(names = "--pool-prefix", defaultValue = "pool-", description = "Pool name prefix (default: ${DEFAULT-VALUE}).")
    String poolPrefix;

    @Option(names = "--pool-handles", paramLabel = "a,b,...", description = "Resolve exactly these pool handles instead.")
    String poolHandles;

    @Option(names = "--rate", defaultValue = "max", paramLabel = "R|max",
            description = "Total resolutions per second, or max (default: ${DEFAULT-VALUE}).")
    String rate;

    @Option(names = "--in-flight", defaultValue = "16", paramLabel = "K",
            description = "Outstanding resolutions per pool user (default: ${DEFAULT-VALUE}).")
    int inFlight;

    @Option(names = "--pus", defaultValue = "2", paramLabel = "N",
            description = "Simulated pool users, each with its own connection (default: ${DEFAULT-VALUE}).")
    int pus;

    @Option(names = "--max-items", defaultValue = "0", paramLabel = "M",
            description = "PEs asked for per resolution; 0 leaves it to the registrar (default: ${DEFAULT-VALUE}).")
    int maxItems;

    @Option(names = "--report-unreachable", defaultValue = "0", paramLabel = "F",
            description = "Fraction of resolutions after which the first PE is reported unreachable (default: ${DEFAULT-VALUE}).")
    double reportUnreachable;

    @Option(names = "--cache-ms", defaultValue = "0",
            description = "Answer from the client's cache for this long (default: ${DEFAULT-VALUE}, no cache).")
    long cacheMs;

    @Option(names = "--request-timeout", defaultValue = "2000", paramLabel = "MS",
            description = "How long a resolution waits for the registrar's answer before it counts as an error and the"
                    + " client fails over (default: ${DEFAULT-VALUE}).")
    long requestTimeoutMs;

    @Option(names = "--duration", defaultValue = "30", paramLabel = "S", description = "Run time in seconds (default: ${DEFAULT-VALUE}).")
    double durationSeconds;

    @Option(names = "--warmup", defaultValue = "0", paramLabel = "S",
            description = "Resolve at the same rate for S seconds first, counted nowhere: the JIT compiles the client's"
                    + " paths before --duration's measured run (default: ${DEFAULT-VALUE}).")
    double warmupSeconds;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    public static void main(String[] args) {
        SimulatorCommand.run("pu-sim", new PuSim(), args);
    }

    PuSimOptions validate() {
        List<RegistrarAddress> addresses = RegistrarAddress.parseList(registrars);
        List<String> handles = new ArrayList<>();
        if (poolHandles != null) {
            Arrays.stream(poolHandles.split(",")).map(String::trim).filter(h -> !h.isEmpty()).forEach(handles::add);
            SimulatorCommand.require(!handles.isEmpty(), "--pool-handles names no pool");
        } else {
            SimulatorCommand.require(pools >= 1, "--pools must be at least 1");
            for (int i = 0; i < pools; i++) {
                handles.add(poolPrefix + i);
            }
        }
        double target = 0;
        if (!rate.equalsIgnoreCase("max")) {
            try {
                target = Double.parseDouble(rate);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--rate must be a number or max, got '" + rate + "'");
            }
            SimulatorCommand.require(target > 0, "--rate must be positive");
        }
        SimulatorCommand.require(inFlight >= 1, "--in-flight must be at least 1");
        SimulatorCommand.require(pus >= 1, "--pus must be at least 1");
        SimulatorCommand.require(maxItems >= 0 && maxItems <= 128, "--max-items must be 0-128");
        SimulatorCommand.require(reportUnreachable >= 0 && reportUnreachable <= 1, "--report-unreachable must be between 0 and 1");
        SimulatorCommand.require(durationSeconds > 0, "--duration must be positive");
        SimulatorCommand.require(warmupSeconds >= 0, "--warmup must not be negative");
        SimulatorCommand.require(cacheMs >= 0, "--cache-ms must not be negative");
        SimulatorCommand.require(requestTimeoutMs >= 1, "--request-timeout must be at least 1 ms");
        return new PuSimOptions(addresses, handles, target, inFlight, pus, maxItems, reportUnreachable,
                Duration.ofMillis((long) (durationSeconds * 1000)), seed, Duration.ofMillis(cacheMs),
                Duration.ofMillis(requestTimeoutMs), Duration.ofMillis((long) (warmupSeconds * 1000)));
    }

    @Override
    public Integer call() throws Exception {
        PuSimOptions options;
        try {
            options = validate();
            security.tls(); // the files are read now: a bad one is a usage error
        } catch (IllegalArgumentException e) {
            System.err.println("pu-sim: " + e.getMessage() + " (see --help)");
            return 2;
        }
        if (!SimulatorCommand.anyReachable(options.registrars())) {
            System.err.println("pu-sim: cannot reach any registrar at " + options.registrars());
            return 3;
        }
        var config = SimulatorCommand.quietConfig();
        ActorSystem<Void> base = ActorSystem.create(Behaviors.empty(), "pu-sim-clients", config);
        List<PoolUserClient> clients = new ArrayList<>();
        PuStats stats = new PuStats();
        CompletableFuture<Void> finished = new CompletableFuture<>();
        ActorSystem<PuSimulator.Command> system = null;
        long start = System.nanoTime();
        long startMillis = System.currentTimeMillis();
        try {
            List<RegistrarAddress> registrars = options.registrars();
            for (int i = 0; i < options.pus(); i++) {
                int first = spread ? i % registrars.size() : 0;
                List<RegistrarAddress> order = new ArrayList<>(registrars.subList(first, registrars.size()));
                order.addAll(registrars.subList(0, first));
                clients.add(PoolUserClient.create(base,
                        security.apply(ClientSettings.of(order).withCacheStaleTimeout(options.cacheStale())
                                .withRequestTimeout(options.requestTimeout()))));
            }
            if (!options.warmup().isZero()) {
                // the same pool users and connections, their answers counted in a throw-away PuStats
                CompletableFuture<Void> warm = new CompletableFuture<>();
                ActorSystem<PuSimulator.Command> warmup = ActorSystem.create(PuSimulator.create(
                        options.withDuration(options.warmup()), clients, new PuStats(), warm, false),
                        "pu-sim-warmup", config);
                try {
                    warm.get(options.warmup().toMillis() + 30_000, TimeUnit.MILLISECONDS);
                } finally {
                    warmup.terminate();
                }
                start = System.nanoTime();
                startMillis = System.currentTimeMillis();
            }
            system = ActorSystem.create(PuSimulator.create(options, clients, stats, finished, true), "pu-sim",
                    config);
            finished.get(options.duration().toMillis() + 30_000, TimeUnit.MILLISECONDS);
            double seconds = (System.nanoTime() - start) / 1e9;
            long failovers = clients.stream().mapToLong(PoolUserClient::failovers).sum();
            printSummary(stats, failovers, Math.min(seconds, options.duration().toMillis() / 1000.0), seconds,
                    startMillis);
            return stats.resolutions.sum() == 0 ? 1 : 0;
        } finally {
            for (PoolUserClient client : clients) {
                client.close();
            }
            base.terminate();
            if (system != null) {
                system.terminate();
            }
        }
    }

    /** The JSON summary; {@code measured_from_ms} is when the measured run (after any warm-up) began, epoch ms. */
    private static void printSummary(PuStats stats, long failovers, double activeSeconds, double durationSeconds,
                                     long startMillis) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode json = mapper.createObjectNode();
        json.put("resolutions", stats.resolutions.sum());
        json.put("errors", stats.errors.sum());
        ObjectNode kinds = json.putObject("error_kinds");
        stats.errorKinds.forEach((kind, count) -> kinds.put(kind, count.sum()));
        json.put("rate", Math.round(stats.resolutions.sum() / activeSeconds));
        stats.latency.writeTo(json);
        json.put("unreachable_reports", stats.unreachableReports.sum());
        json.put("failovers", failovers);
        stats.fairness.writeTo(json.putObject("fairness"));
        json.put("duration_s", Math.round(durationSeconds * 1000) / 1000.0);
        json.put("measured_from_ms", startMillis);
        System.out.println(json.toString());
        System.out.flush();
    }
}
