package org.poolkeeper.tools.cli;

import com.typesafe.config.ConfigFactory;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.poolkeeper.client.ClientSettings;
import org.poolkeeper.client.Policy;
import org.poolkeeper.client.PoolElementClient;
import org.poolkeeper.client.PoolElementRegistration;
import org.poolkeeper.client.PoolElementSpec;
import org.poolkeeper.client.PoolkeeperException;
import org.poolkeeper.client.RegistrarAddress;
import org.poolkeeper.simsupport.VersionLine;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code poolkeeper register POOL --address HOST:PORT [--hold | --for D]}: registers a pool element. With
 * {@code --hold} or {@code --for} it keeps it registered while the command runs, as the PE's client: it
 * re-registers, answers the home registrar's keep-alives and fails over to another registrar; Ctrl-C (or SIGTERM,
 * or the end of {@code --for}) deregisters it. Without, it exits once the registrar has accepted the PE, and the
 * registrar removes the PE when this connection's loss grace has passed.
 */
@Command(name = "register", mixinStandardHelpOptions = true, versionProvider = VersionLine.class,
        description = {"Registers a pool element; with --hold, holds the registration until Ctrl-C (SIGINT or "
                + "SIGTERM), with --for until then, and deregisters it.",
                "A PE lives as long as its client's connection to a registrar (the registrar's keep-alives go to "
                + "it): without --hold or --for the command exits once the PE is registered, and the registrar "
                + "removes it after its connection-loss grace (2 s by default). It prints the PE's owner secret: "
                + "with it, 'poolkeeper deregister' removes the PE from elsewhere."})
final class RegisterCommand implements Callable<Integer> {
    @ParentCommand
    PoolkeeperCommand top;

    @Parameters(index = "0", paramLabel = "POOL", description = "The pool handle (UTF-8 text).")
    String pool;

    @Option(names = {"-a", "--address"}, required = true, paramLabel = "HOST:PORT",
            description = "Where the server accepts its users (TCP); repeat for more addresses.")
    List<String> addresses;

    @Option(names = {"-p", "--policy"}, paramLabel = "POLICY", description = "The pool policy: RR (default), WRR, "
            + "RAND, WRAND, PRIO, LU, LUD, PLU, RLU. A pool's policy is its first PE's.")
    String policy = "RR";

    @Option(names = "--weight", paramLabel = "N", description = "Weight (weighted policies; default 1).")
    int weight = 1;

    @Option(names = "--load", paramLabel = "PERCENT", description = "Load, 0-100 (least-used policies; default 0).")
    double load;

    @Option(names = "--priority", paramLabel = "N", description = "Priority (priority policies; default 0).")
    int priority;

    @Option(names = "--pe-id", paramLabel = "ID", converter = PeIds.class,
            description = "The PE id, decimal or 0x-hex (default: a random one).")
    Integer peId;

    @Option(names = "--life", paramLabel = "DURATION", converter = Durations.class,
            description = "Registration life (default: 30s); the command re-registers every third of it.")
    Duration life = Duration.ofSeconds(30);

    @Option(names = "--hold", description = "Hold the registration (re-registering, answering keep-alives, "
            + "failing over) until Ctrl-C (SIGINT) or SIGTERM, then deregister it.")
    boolean hold;

    @Option(names = "--for", paramLabel = "DURATION", converter = Durations.class,
            description = "Hold the registration this long (Ctrl-C ends it sooner), then deregister it.")
    Duration holdFor;

    @Override
    public Integer call() throws InterruptedException {
        PoolElementSpec spec = spec();
        List<RegistrarAddress> registrars = top.registrarList();
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "poolkeeper-register",
                ConfigFactory.parseString("""
                        pekko.actor.provider = local
                        pekko.loglevel = WARNING
                        pekko.log-dead-letters = off
                        pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
                        """).withFallback(ConfigFactory.load()));
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.countDown();
            try {
                done.await(top.timeout.toMillis() + 2_000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "poolkeeper-register-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        PrintWriter out = top.spec.commandLine().getOut();
        PrintWriter err = top.spec.commandLine().getErr();
        try (PoolElementClient client = PoolElementClient.create(system,
                ClientSettings.of(registrars).withRequestTimeout(top.timeout).withTls(top.tls())
                .withToken(top.token()))) {
            PoolElementRegistration registration;
            try {
                registration = client.registerBlocking(spec);
            } catch (PoolkeeperException e) {
                throw new CliException("registration of a PE in pool '" + pool + "' failed: " + e.getMessage());
            }
            String secret = HexFormat.of().formatHex(registration.ownerSecretBytes());
            RegistrarAddress at = client.currentRegistrar();
            if (top.format == PoolkeeperCommand.Format.json) {
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("pool", pool);
                json.put("pe_id", Render.id(registration.peId()));
                json.put("addresses", addresses);
                json.put("policy", spec.policy().shortName());
                json.put("registrar", at == null ? null : at.toString());
                json.put("owner_secret", secret);
                top.printJson(out, json);
            } else {
                out.println("registered PE " + Render.id(registration.peId()) + " in pool '" + pool + "' at "
                        + String.join(",", addresses) + " through registrar " + at);
                out.println("owner secret " + secret);
                out.flush();
            }
            if (!hold && holdFor == null) {
                err.println("not held (no --hold): the registrar removes the PE once this command's connection has "
                        + "been gone for its connection-loss grace");
                err.flush();
                return PoolkeeperCommand.EXIT_OK;
            }
            err.println(holdFor == null ? "holding the registration; Ctrl-C deregisters it"
                    : "holding the registration for " + Durations.format(holdFor) + "; Ctrl-C deregisters it sooner");
            err.flush();
            if (holdFor == null) {
                stop.await();
            } else {
                stop.await(holdFor.toMillis(), TimeUnit.MILLISECONDS);
            }
            try {
                registration.deregister().toCompletableFuture().get(top.timeout.toMillis(), TimeUnit.MILLISECONDS);
                err.println("deregistered PE " + Render.id(registration.peId()) + " from pool '" + pool + "'");
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                Throwable why = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
                err.println("poolkeeper: the deregistration failed (" + (why.getMessage() == null ? why
                        : why.getMessage()) + "); the registrar removes the PE when this connection is gone");
                return PoolkeeperCommand.EXIT_FAILED;
            }
            return PoolkeeperCommand.EXIT_OK;
        } finally {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().completeOnTimeout(null, 5, TimeUnit.SECONDS).join();
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is exiting (Ctrl-C): the hook is running and has been released by done
            }
        }
    }

    private PoolElementSpec spec() {
        Policy p = Policy.fromShortName(policy);
        if (p == null) {
            throw new CliException("--policy '" + policy + "' is not one of RR, WRR, RAND, WRAND, PRIO, LU, LUD, PLU, "
                    + "RLU", PoolkeeperCommand.EXIT_USAGE);
        }
        if (load < 0 || load > 100) {
            throw new CliException("--load must be 0-100 (percent), got " + load, PoolkeeperCommand.EXIT_USAGE);
        }
        if (weight < 1) {
            throw new CliException("--weight must be at least 1, got " + weight, PoolkeeperCommand.EXIT_USAGE);
        }
        if (life.toMillis() < 100 || life.toMillis() > Integer.MAX_VALUE) {
            throw new CliException("--life must be 100ms to 24 days, got " + Durations.format(life),
                    PoolkeeperCommand.EXIT_USAGE);
        }
        List<InetSocketAddress> list = new ArrayList<>();
        for (String a : addresses) {
            list.add(address(a));
        }
        if (list.size() > 64) {
            throw new CliException("at most 64 --address, got " + list.size(), PoolkeeperCommand.EXIT_USAGE);
        }
        int loadValue = (int) Math.round(load / 100.0 * 0xFFFF_FFFFL);
        PoolElementSpec.Builder b = PoolElementSpec.builder(Handles.of(pool).toStringUtf8(), p)
                .addresses(list).weight(weight).load(loadValue).priority(priority).registrationLife(life);
        if (peId != null) {
            b.peId(peId);
        }
        return b.build();
    }

    /** HOST:PORT, the host a name or address resolved now. @throws CliException (usage) if it is not one */
    private static InetSocketAddress address(String text) {
        RegistrarAddress parsed;
        try {
            parsed = RegistrarAddress.parse(text);
        } catch (IllegalArgumentException e) {
            throw new CliException("--address: " + e.getMessage(), PoolkeeperCommand.EXIT_USAGE);
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(parsed.host()), parsed.port());
        } catch (UnknownHostException e) {
            throw new CliException("--address " + text + ": unknown host " + parsed.host(),
                    PoolkeeperCommand.EXIT_USAGE);
        }
    }

    /** PE ids: decimal or 0x-hex, 1 .. 2^32-1. */
    static final class PeIds implements CommandLine.ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            try {
                long id = v.startsWith("0x") ? Long.parseLong(v.substring(2), 16) : Long.parseLong(v);
                if (id < 1 || id > 0xFFFF_FFFFL) {
                    throw new CommandLine.TypeConversionException("'" + value + "' is not 1 to 0xffffffff");
                }
                return (int) id;
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a PE id (decimal or 0x-hex)");
            }
        }
    }
}
