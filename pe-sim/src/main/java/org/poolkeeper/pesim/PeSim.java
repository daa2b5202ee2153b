package org.poolkeeper.pesim;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.poolkeeper.client.ClientSettings;
import org.poolkeeper.client.Policy;
import org.poolkeeper.client.PoolElementClient;
import org.poolkeeper.client.RegistrarAddress;
import org.poolkeeper.simsupport.ClientSecurityOptions;
import org.poolkeeper.simsupport.SimulatorCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * pe-sim: a load generator of simulated pool elements. Each pool element is an actor that registers,
 * re-registers on its own randomized interval, answers keep-alives through the client library, and leaves
 * (or crashes) as the options say. With {@code --hold} the PEs stay registered, answering keep-alives but
 * changing nothing, for a while after the load before they leave, so that registrars can be compared with a
 * populated handlespace. The last stdout line is a JSON summary.
 */
@Command(name = "pe-sim", mixinStandardHelpOptions = true, versionProvider = org.poolkeeper.simsupport.VersionLine.class, sortOptions = false,
        description = "Simulated pool elements registering with Poolkeeper registrars. Progress on stderr every 5 s;"
                + " the last line on stdout is a JSON summary.")
public final class PeSim implements Callable<Integer> {
    @Mixin
    ClientSecurityOptions security = new ClientSecurityOptions();

    @Option(names = {"-r", "--registrars"}, required = true, paramLabel = "h:p[,h:p...]",
            description = "Registrars to use, in fail-over order.")
    String registrars;

    @Option(names = "--pools", defaultValue = "10", description = "Number of pools (default: ${DEFAULT-VALUE}).")
    int pools;

    @Option(names = "--pes-per-pool", defaultValue = "10", description = "Pool elements per pool (default: ${DEFAULT-VALUE}).")
    int pesPerPool;

    @Option(names = "--pool-prefix", defaultValue = "pool-",
            description = "Pools are named <prefix>0 ... <prefix><P-1> (default: ${DEFAULT-VALUE}).")
    String poolPrefix;

    @Option(names = "--policy", defaultValue = "RR",
            description = "RR, WRR, RAND, WRAND, PRIO, LU, LUD, PLU, RLU, or mixed (pools cycle RR, LU, RAND, WRAND)"
                    + " (default: ${DEFAULT-VALUE}).")
    String policy;

    @Option(names = "--rereg-interval", defaultValue = "1000..3000", paramLabel = "MIN..MAX",
            description = "Re-registration interval in ms, drawn per PE (default: ${DEFAULT-VALUE}).")
    String reregInterval;

    @Option(names = "--life", defaultValue = "30000", paramLabel = "MS",
            description = "Registration life in ms (default: ${DEFAULT-VALUE}).")
    int lifeMs;

    @Option(names = "--churn", defaultValue = "0", paramLabel = "PER_SEC",
            description = "PEs leaving (and as many new ones joining) per second (default: ${DEFAULT-VALUE}).")
    double churn;

    @Option(names = "--burst", paramLabel = "COUNT@EVERY",
            description = "Every EVERY seconds, COUNT PEs leave and COUNT new ones join, e.g. 20@10.")
    String burst;

    @Option(names = "--crash-fraction", defaultValue = "0", paramLabel = "F",
            description = "Fraction of PEs that stop answering keep-alives during the run (default: ${DEFAULT-VALUE}).")
    double crashFraction;

    @Option(names = "--connections", defaultValue = "1", paramLabel = "C",
            description = "Registrar connections the PEs share (default: ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--duration", defaultValue = "30", paramLabel = "S",
            description = "Run time in seconds (default: ${DEFAULT-VALUE}).")
    double durationSeconds;

    @Option(names = "--hold", defaultValue = "0", paramLabel = "S",
            description = "After --duration, keep the registered PEs registered for S more seconds, answering"
                    + " keep-alives but with no registrations, re-registrations, churn, bursts or crashes; then"
                    + " leave. --life must exceed S plus the longest --rereg-interval (default: ${DEFAULT-VALUE}).")
    double holdSeconds;

    @Option(names = "--load-until-stdin-closes",
            description = "End the load (and begin the hold) when standard input closes, or at --duration if that "
                    + "comes first: for a driver that decides when the load is over (deploy/testbed.sh).")
    boolean loadUntilStdinCloses;

    @Option(names = "--request-timeout", defaultValue = "2000", paramLabel = "MS",
            description = "How long a registration, re-registration or deregistration waits for the registrar's"
                    + " answer before it counts as a failure and the client fails over (default: ${DEFAULT-VALUE}).")
    long requestTimeoutMs;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    public static void main(String[] args) {
        SimulatorCommand.run("pe-sim", new PeSim(), args);
    }

    PeSimOptions validate() {
        List<RegistrarAddress> addresses = RegistrarAddress.parseList(registrars);
        SimulatorCommand.require(pools >= 1, "--pools must be at least 1");
        SimulatorCommand.require(pesPerPool >= 0, "--pes-per-pool must not be negative");
        Policy chosen = null;
        if (!policy.equalsIgnoreCase("mixed")) {
            chosen = Policy.fromShortName(policy);
            SimulatorCommand.require(chosen != null, "unknown --policy '" + policy + "'");
        }
        String[] range = reregInterval.split("\\.\\.");
        long min;
        long max;
        try {
            min = Long.parseLong(range[0].trim());
            max = range.length > 1 ? Long.parseLong(range[1].trim()) : min;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--rereg-interval must be MIN..MAX in ms, got '" + reregInterval + "'");
        }
        SimulatorCommand.require(range.length <= 2 && min >= 1 && max >= min, "--rereg-interval must be MIN..MAX with 1 <= MIN <= MAX");
        SimulatorCommand.require(lifeMs >= 1, "--life must be at least 1 ms");
        SimulatorCommand.require(churn >= 0, "--churn must not be negative");
        int burstCount = 0;
        Duration burstEvery = Duration.ZERO;
        if (burst != null) {
            String[] parts = burst.split("@");
            try {
                SimulatorCommand.require(parts.length == 2, "--burst must be COUNT@EVERY");
                burstCount = Integer.parseInt(parts[0].trim());
                burstEvery = Duration.ofMillis((long) (Double.parseDouble(parts[1].trim()) * 1000));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--burst must be COUNT@EVERY, got '" + burst + "'");
            }
            SimulatorCommand.require(burstCount >= 1 && burstEvery.toMillis() >= 1, "--burst needs COUNT >= 1 and EVERY > 0");
        }
        SimulatorCommand.require(crashFraction >= 0 && crashFraction <= 1, "--crash-fraction must be between 0 and 1");
        SimulatorCommand.require(connections >= 1, "--connections must be at least 1");
        SimulatorCommand.require(durationSeconds > 0, "--duration must be positive");
        SimulatorCommand.require(holdSeconds >= 0, "--hold must not be negative");
        SimulatorCommand.require(requestTimeoutMs >= 1, "--request-timeout must be at least 1 ms");
        long holdMs = (long) (holdSeconds * 1000);
        // a PE last re-registered up to one interval before the hold began; the registrar drops it a life later
        SimulatorCommand.require(holdMs == 0 || lifeMs > holdMs + max, "--life (" + lifeMs + " ms) must exceed --hold"
                + " plus the longest --rereg-interval (" + (holdMs + max) + " ms), or the PEs expire during the hold");
        return new PeSimOptions(addresses, pools, pesPerPool, poolPrefix, chosen, min, max, lifeMs, churn, burstCount,
                burstEvery, crashFraction, connections, Duration.ofMillis((long) (durationSeconds * 1000)),
                Duration.ofMillis(holdMs), Duration.ofMillis(requestTimeoutMs), seed);
    }

    @Override
    public Integer call() throws Exception {
        PeSimOptions options;
        try {
            options = validate();
            security.tls(); // the files are read now: a bad one is a usage error
        } catch (IllegalArgumentException e) {
            System.err.println("pe-sim: " + e.getMessage() + " (see --help)");
            return 2;
        }
        if (!SimulatorCommand.anyReachable(options.registrars())) {
            System.err.println("pe-sim: cannot reach any registrar at " + options.registrars());
            return 3;
        }
        ActorSystem<PeSimulator.Command> system = null;
        ActorSystem<Void> base = null;
        List<PoolElementClient> clients = new ArrayList<>();
        SimStats stats = new SimStats();
        CompletableFuture<Void> finished = new CompletableFuture<>();
        long start = System.nanoTime();
        try {
            base = ActorSystem.create(org.apache.pekko.actor.typed.javadsl.Behaviors.empty(),
                    "pe-sim-clients", SimulatorCommand.quietConfig());
            for (int i = 0; i < options.connections(); i++) {
                clients.add(PoolElementClient.create(base, security.apply(ClientSettings.of(options.registrars())
                        .withRequestTimeout(options.requestTimeout()))));
            }
            system = ActorSystem.create(PeSimulator.create(options, clients, stats, finished), "pe-sim",
                    SimulatorCommand.quietConfig());
            if (loadUntilStdinCloses) {
                endLoadWhenStdinCloses(system);
            }
            finished.get(options.duration().toMillis() + options.hold().toMillis() + 30_000, TimeUnit.MILLISECONDS);
            long failovers = clients.stream().mapToLong(PoolElementClient::failovers).sum();
            for (PoolElementClient client : clients) {
                client.close();
            }
            long loadEnd = stats.loadEndNanos != 0 ? stats.loadEndNanos : System.nanoTime();
            printSummary(stats, failovers, (loadEnd - start) / 1e9, (System.nanoTime() - start) / 1e9);
            if (stats.registrations.sum() == 0 && options.pools() * options.pesPerPool() > 0) {
                System.err.println("pe-sim: no registration succeeded");
                return 1;
            }
            return 0;
        } finally {
            if (system != null) {
                system.terminate();
            }
            if (base != null) {
                base.terminate();
            }
        }
    }

    /** A daemon thread that reads standard input to its end, then ends the load. */
    private static void endLoadWhenStdinCloses(ActorSystem<PeSimulator.Command> system) {
        Thread reader = new Thread(() -> {
            try {
                while (System.in.read() != -1) {
                    // only the end of input counts
                }
            } catch (java.io.IOException closed) {
                // a broken pipe ends the load too
            }
            system.tell(PeSimulator.Stop.INSTANCE);
        }, "pe-sim-stdin");
        reader.setDaemon(true);
        reader.start();
    }

    static void printSummary(SimStats stats, long failovers, double loadSeconds, double durationSeconds) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode json = mapper.createObjectNode();
        json.put("registrations", stats.registrations.sum());
        json.put("reregistrations", stats.reregistrations.sum());
        json.put("deregistrations", stats.deregistrations.sum());
        json.put("failures", stats.failures.sum());
        ObjectNode kinds = json.putObject("failure_kinds");
        stats.failureKinds.forEach((k, v) -> kinds.put(k, v.sum()));
        json.put("failovers", failovers);
        json.put("crashed", stats.crashed.sum());
        json.put("registered_at_hold", stats.registeredAtHold);
        stats.latency.writeTo(json);
        json.put("load_s", Math.round(loadSeconds * 1000) / 1000.0);
        json.put("duration_s", Math.round(durationSeconds * 1000) / 1000.0);
        PrintWriter out = new PrintWriter(System.out, true);
        out.println(json.toString());
    }
}
