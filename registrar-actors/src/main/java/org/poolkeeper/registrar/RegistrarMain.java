package org.poolkeeper.registrar;

import ch.qos.logback.classic.LoggerContext;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.reflect.Proxy;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.poolkeeper.registrar.node.Authorization;
import org.poolkeeper.registrar.node.BindHost;
import org.poolkeeper.registrar.node.ClusterTlsEngineProvider;
import org.poolkeeper.registrar.node.HttpSettings;
import org.poolkeeper.registrar.node.Membership;
import org.poolkeeper.registrar.node.TlsSettings;
import org.poolkeeper.registrar.node.RegistrarSettings;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Starts one registrar node (what {@code deploy/bin/registrar} runs). Prints one parseable line once the node
 * is up and its ASAP port is open:
 *
 * <pre>poolkeeper registrar 0x1a2b3c4d listening asap=127.0.0.1:3863 cluster=127.0.0.1:7355</pre>
 *
 * SIGTERM (and SIGINT) run Pekko's CoordinatedShutdown (unbind, leave the cluster, stop) and exit 0. Bad
 * arguments or configuration print one line and exit 2; a failed start (port in use …) exits 1; a node the
 * cluster downed exits 3.
 */
@Command(name = "registrar", mixinStandardHelpOptions = true, versionProvider = VersionLine.class,
        sortOptions = false,
        description = "Runs a Poolkeeper RSerPool registrar node (ASAP-style client endpoint + Pekko cluster node).")
public final class RegistrarMain implements Callable<Integer> {

    /** The Logback context property the log patterns show as the node's address. */
    static final String NODE_PROPERTY = "poolkeeper.node";

    @Option(names = "--host", paramLabel = "ADDRESS",
            description = "Address to bind and advertise (default: poolkeeper.registrar.host, 127.0.0.1).")
    String host;

    @Option(names = "--bind-host", paramLabel = "ADDRESS",
            description = "Address to bind the ports to when it is not the advertised --host, e.g. 0.0.0.0 "
                    + "(default: poolkeeper.registrar.bind-host, empty: the host).")
    String bindHost;

    @Option(names = "--asap-port", paramLabel = "PORT",
            description = "Client (ASAP) TCP port; 0 picks a free one (default: 3863).")
    Integer asapPort;

    @Option(names = "--cluster-port", paramLabel = "PORT",
            description = "Cluster (Artery) TCP port; 0 picks a free one (default: 7355).")
    Integer clusterPort;

    @Option(names = "--http-port", paramLabel = "PORT",
            description = "HTTP port for /metrics, /health/live and /health/ready; 0 picks a free one, -1: none "
                    + "(default: -1).")
    Integer httpPort;

    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "Turns TLS on for the client port with this certificate: PKCS#12 (.p12), or PEM with "
                    + "--tls-key (default: poolkeeper.registrar.tls.*, off).")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "PEM PKCS#8 private key of a PEM --tls-cert.")
    Path tlsKey;

    @Option(names = "--tls-ca", paramLabel = "FILE",
            description = "CAs of accepted client certificates (PEM bundle or .p12), for --tls-client-auth.")
    Path tlsCa;

    @Option(names = "--tls-client-auth", paramLabel = "MODE",
            description = "none, optional or required (mutual TLS) (default: none).")
    String tlsClientAuth;

    @Option(names = "--cluster-tls-cert", paramLabel = "FILE",
            description = "Turns TLS on between the registrars with this node's certificate (PKCS#12, or PEM with "
                    + "--cluster-tls-key); needs --cluster-tls-ca (default: poolkeeper.registrar.cluster-tls.*).")
    Path clusterTlsCert;

    @Option(names = "--cluster-tls-key", paramLabel = "FILE", description = "PEM PKCS#8 key of --cluster-tls-cert.")
    Path clusterTlsKey;

    @Option(names = "--cluster-tls-ca", paramLabel = "FILE",
            description = "The cluster's CA: peers must present a certificate it signed.")
    Path clusterTlsCa;

    @Option(names = "--seed", paramLabel = "HOST:PORT",
            description = "Cluster port of a seed registrar; repeatable. None: form a one-node cluster.")
    List<String> seeds = new ArrayList<>();

    @Option(names = "--registrar-id", paramLabel = "ID",
            description = "Registrar id, decimal or 0x-hex, 32 bits (default: random nonzero).")
    String registrarId;

    @Option(names = "--config", paramLabel = "FILE",
            description = "HOCON file overlaying the defaults (poolkeeper.registrar.*, pekko.*).")
    File configFile;

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new RegistrarMain());
        cli.setParameterExceptionHandler((ex, arguments) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("registrar: " + ex.getMessage() + " (see --help)");
            err.flush();
            return 2;
        });
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println("registrar: " + oneLine(ex));
            commandLine.getErr().flush();
            return 1;
        });
        int code = cli.execute(args);
        System.exit(code);
    }

    @Override
    public Integer call() throws Exception {
        Config config;
        RegistrarSettings settings;
        try {
            config = RegistrarServer.loadConfig(overrides(), checkedConfigFile());
            settings = RegistrarSettings.from(config);
            TlsSettings.from(config); // its files are read now: a bad one stops the start with one line
            Authorization.from(config);
            if (config.getBoolean(RegistrarSettings.PATH + ".cluster-tls.enabled")) {
                ClusterTlsEngineProvider.load(config); // as Artery will, but with a one-line error
            }
        } catch (IllegalArgumentException | com.typesafe.config.ConfigException e) {
            System.err.println("registrar: " + e.getMessage());
            return 2;
        }
        String bindAddress = BindHost.of(config);
        int clusterPortSetting = config.getInt(RegistrarSettings.PATH + ".cluster-port");
        String busy = busyPort(bindAddress, settings.asapPort(), bindAddress, clusterPortSetting);
        if (busy != null) {
            System.err.println("registrar: " + busy);
            return 1;
        }
        // initialise logging before Pekko's threads log concurrently; the node address follows once bound
        LoggerContext logging = (LoggerContext) LoggerFactory.getILoggerFactory();
        logging.putProperty(NODE_PROPERTY, settings.host() + " starting");
        ActorSystem<Void> system;
        try {
            system = ActorSystem.create(Behaviors.empty(), RegistrarServer.SYSTEM_NAME, config);
        } catch (RuntimeException e) { // Artery binds the cluster port here
            System.err.println("registrar: " + bindFailure(e, bindAddress, settings.asapPort(), clusterPortSetting)
                    .orElse("start failed: " + oneLine(e)));
            return 1;
        }
        installSignalHandlers(system);
        RegistrarServer.Started started;
        try {
            java.util.concurrent.CompletableFuture<RegistrarServer.Started> starting =
                    RegistrarServer.start(system).toCompletableFuture();
            // a node that stops while starting (its registrar id taken, downed while joining) ends the wait too
            java.util.concurrent.CompletableFuture.anyOf(starting, system.getWhenTerminated().toCompletableFuture())
                    .get(60, TimeUnit.SECONDS);
            if (!starting.isDone()) {
                return exitStatus(CoordinatedShutdown.get(system).getShutdownReason().orElse(null));
            }
            started = starting.get();
        } catch (Exception e) {
            System.err.println("registrar: " + bindFailure(e, bindAddress, settings.asapPort(), clusterPortSetting)
                    .orElse("start failed: " + oneLine(e)));
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            return 1;
        }
        String node = started.clusterAddress().toString();
        logging.putProperty(NODE_PROPERTY, node);
        MDC.put("pekkoAddress", node);
        String line = String.format("poolkeeper registrar 0x%08x listening asap=%s:%d cluster=%s:%d%s%n",
                started.registrarId(), settings.host(), started.asapAddress().getPort(),
                started.clusterAddress().getHost().get(), (Integer) started.clusterAddress().getPort().get(),
                started.httpPort() < 0 ? "" : " http=" + HttpSettings.from(config).host() + ":" + started.httpPort());
        // one write, so that the line stays whole even where stdout and stderr (the log) share a file
        System.out.write(line.getBytes(StandardCharsets.UTF_8));
        System.out.flush();
        awaitTermination(system);
        return exitStatus(CoordinatedShutdown.get(system).getShutdownReason().orElse(null));
    }

    /** How long a shutdown may take once it began before the process exits without waiting for it. */
    static final long SHUTDOWN_LIMIT_SECONDS = 30;

    /**
     * Waits until the actor system has terminated, or until {@link #SHUTDOWN_LIMIT_SECONDS} after its shutdown
     * began: a shutdown that hangs (seen after a partition: "actor-system-terminate timed out") must not keep a
     * downed node's process alive, unable to be restarted by its supervisor. It answers no client meanwhile (its
     * serving gate closed when the shutdown began).
     */
    private static void awaitTermination(ActorSystem<Void> system) throws InterruptedException {
        java.util.concurrent.CompletableFuture<?> terminated = system.getWhenTerminated().toCompletableFuture();
        CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
        long shutdownSeen = 0;
        while (!terminated.isDone()) {
            try {
                terminated.get(500, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                // still running, or terminated with a failure (handled by the loop condition)
            }
            if (shutdownSeen == 0 && shutdown.getShutdownReason().isPresent()) {
                shutdownSeen = System.nanoTime();
            }
            if (shutdownSeen != 0 && !terminated.isDone()
                    && System.nanoTime() - shutdownSeen > TimeUnit.SECONDS.toNanos(SHUTDOWN_LIMIT_SECONDS)) {
                int status = exitStatus(shutdown.getShutdownReason().orElse(null));
                System.err.println("registrar: shutdown did not finish within " + SHUTDOWN_LIMIT_SECONDS
                        + " s: exiting with status " + status);
                System.err.flush();
                Runtime.getRuntime().halt(status); // the JVM's shutdown hook would wait for the same shutdown
            }
        }
    }

    /** Exit status of a node that was downed by the cluster (or stopped for any reason but a signal or a leave). */
    static final int DOWNED = 3;

    /**
     * 0 after a signal or a graceful leave; {@link #DOWNED} when the cluster stopped this node (the Split Brain
     * Resolver downed it, e.g. after a pause or on the minority side of a partition), so that its supervisor
     * (the systemd unit: Restart=on-failure) starts it again and it rejoins as a new member.
     */
    static int exitStatus(CoordinatedShutdown.Reason reason) {
        if (reason == null || RegistrarServer.asked(reason)) {
            return 0;
        }
        if (reason instanceof Membership.DuplicateId) {
            System.err.println("registrar: its registrar id is already a cluster member's: exiting with status 2");
            return 2; // a configuration error: a supervisor restarting it would only meet the same refusal
        }
        System.err.println("registrar: stopped by the cluster (" + reason.getClass().getSimpleName().replace("$", "")
                + "): exiting with status " + DOWNED + " for a supervisor to restart it");
        return DOWNED;
    }

    private Config overrides() {
        Map<String, Object> map = new HashMap<>();
        if (host != null) {
            map.put("poolkeeper.registrar.host", host);
        }
        if (bindHost != null) {
            map.put("poolkeeper.registrar.bind-host", bindHost);
        }
        if (asapPort != null) {
            map.put("poolkeeper.registrar.asap-port", asapPort);
        }
        if (clusterPort != null) {
            map.put("poolkeeper.registrar.cluster-port", clusterPort);
        }
        if (httpPort != null) {
            map.put("poolkeeper.registrar.http-port", httpPort);
        }
        if (tlsCert != null) {
            map.put("poolkeeper.registrar.tls.enabled", true);
            map.put("poolkeeper.registrar.tls.certificate", tlsCert.toString());
        }
        if (tlsKey != null) {
            map.put("poolkeeper.registrar.tls.private-key", tlsKey.toString());
        }
        if (tlsCa != null) {
            map.put("poolkeeper.registrar.tls.trusted-certificates", tlsCa.toString());
        }
        if (tlsClientAuth != null) {
            map.put("poolkeeper.registrar.tls.client-auth", tlsClientAuth);
        }
        if (clusterTlsCert != null) {
            map.put("poolkeeper.registrar.cluster-tls.enabled", true);
            map.put("poolkeeper.registrar.cluster-tls.certificate", clusterTlsCert.toString());
        }
        if (clusterTlsKey != null) {
            map.put("poolkeeper.registrar.cluster-tls.private-key", clusterTlsKey.toString());
        }
        if (clusterTlsCa != null) {
            map.put("poolkeeper.registrar.cluster-tls.trusted-certificates", clusterTlsCa.toString());
        }
        if (!seeds.isEmpty()) {
            for (String seed : seeds) {
                if (!seed.matches("[^:\\s]+:\\d{1,5}") && !seed.matches("\\[[0-9a-fA-F:.]+]:\\d{1,5}")) {
                    throw new IllegalArgumentException("--seed must be HOST:PORT, got " + seed);
                }
            }
            map.put("poolkeeper.registrar.seed-nodes", ConfigValueFactory.fromIterable(seeds));
        }
        if (registrarId != null) {
            RegistrarSettings.registrarId(registrarId); // validates
            map.put("poolkeeper.registrar.registrar-id", registrarId);
        }
        return ConfigFactory.parseMap(map, "command line");
    }

    private File checkedConfigFile() {
        if (configFile != null && !configFile.canRead()) {
            throw new IllegalArgumentException("--config: cannot read " + configFile);
        }
        return configFile;
    }

    /**
     * SIGTERM / SIGINT: run CoordinatedShutdown; call() then returns 0 once the system has terminated. Without
     * this the JVM's own SIGTERM handling would run the shutdown hooks and exit with status 143. The JDK's
     * {@code sun.misc.Signal} (module jdk.unsupported) is reached reflectively, which keeps the build free of
     * "internal proprietary API" warnings; where it is missing, the JVM's shutdown hook still runs
     * CoordinatedShutdown.
     */
    private static void installSignalHandlers(ActorSystem<?> system) {
        CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
        for (String name : List.of("TERM", "INT")) {
            // created now, not in the handler: a handler must not depend on loading classes late (the jar may
            // have been replaced under a long-running process)
            RegistrarServer.SignalReason reason = new RegistrarServer.SignalReason(name);
            try {
                Class<?> signalClass = Class.forName("sun.misc.Signal");
                Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
                Object signal = signalClass.getConstructor(String.class).newInstance(name);
                Object handler = Proxy.newProxyInstance(handlerClass.getClassLoader(), new Class<?>[] {handlerClass},
                        (proxy, method, args) -> switch (method.getName()) {
                            case "handle" -> {
                                shutdown.runAll(reason);
                                yield null;
                            }
                            case "hashCode" -> System.identityHashCode(proxy);
                            case "equals" -> proxy == args[0];
                            default -> "registrar SIG" + name + " handler";
                        });
                signalClass.getMethod("handle", signalClass, handlerClass).invoke(null, signal, handler);
            } catch (ReflectiveOperationException | RuntimeException e) {
                // the JVM's shutdown hook still runs CoordinatedShutdown, but the exit status will be 128 + signal
                LoggerFactory.getLogger(RegistrarMain.class).warn("cannot handle SIG{}: {}", name, e.toString());
            }
        }
    }

    /** The option and setting that move each port, for the one line a busy port gets. */
    private static String portLine(String what, String host, int port, String option, String key) {
        return "cannot bind the " + what + " port to " + host + ":" + port + " (address already in use); set " + option
                + " (poolkeeper.registrar." + key + ") to a free port, or 0 for any free one";
    }

    /**
     * Tries the fixed ports before the actor system starts, so that the common case (another registrar on the
     * default ports) gets one line naming the option instead of the stream stage's stack trace.
     *
     * @return that line, or {@code null} when both ports are free (or picked by the system: 0)
     */
    static String busyPort(String asapHost, int asapPort, String clusterHost, int clusterPort) {
        if (asapPort > 0 && !canBind(asapHost, asapPort)) {
            return portLine("client (ASAP)", asapHost, asapPort, "--asap-port", "asap-port");
        }
        if (clusterPort > 0 && !canBind(clusterHost, clusterPort)) {
            return portLine("cluster", clusterHost, clusterPort, "--cluster-port", "cluster-port");
        }
        return null;
    }

    private static boolean canBind(String host, int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true); // as the endpoints bind: a port left in TIME_WAIT is free
            socket.bind(new InetSocketAddress(host, port));
            return true;
        } catch (BindException e) {
            return false;
        } catch (IOException e) {
            return true; // not a busy port (e.g. an address that is not local): the real bind reports it
        }
    }

    /** The busy-port line for a failure that a bind caused after the pre-check (a port taken meanwhile). */
    private static Optional<String> bindFailure(Throwable e, String host, int asapPort, int clusterPort) {
        String text = oneLine(e);
        for (Throwable t = e; t != null; t = t.getCause()) {
            text += " " + t.getMessage();
        }
        if (!text.contains("Address already in use")) {
            return Optional.empty();
        }
        if (asapPort > 0 && text.contains(":" + asapPort + "]")) {
            return Optional.of(portLine("client (ASAP)", host, asapPort, "--asap-port", "asap-port"));
        }
        if (clusterPort > 0 && text.contains(":" + clusterPort + "]")) {
            return Optional.of(portLine("cluster", host, clusterPort, "--cluster-port", "cluster-port"));
        }
        return Optional.of("start failed: a port is already in use: " + oneLine(e));
    }

    private static String oneLine(Throwable e) {
        Throwable t = e;
        while ((t instanceof java.util.concurrent.ExecutionException
                || t instanceof java.util.concurrent.CompletionException) && t.getCause() != null) {
            t = t.getCause();
        }
        String message = t.getMessage();
        return (message == null ? t.getClass().getSimpleName() : message).replace('\n', ' ');
    }
}
