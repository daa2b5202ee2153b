package org.poolkeeper.registrar;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.SelfUp;
import org.apache.pekko.cluster.typed.Subscribe;
import org.apache.pekko.stream.javadsl.Tcp;
import org.poolkeeper.handlespace.PoolHandle;
import org.poolkeeper.registrar.endpoint.AsapEndpoint;
import org.poolkeeper.registrar.endpoint.ServingGate;
import org.poolkeeper.registrar.node.Authorization;
import org.poolkeeper.registrar.node.BadInputLog;
import org.poolkeeper.registrar.node.ClusterSettings;
import org.poolkeeper.registrar.node.ClusterTlsEngineProvider;
import org.poolkeeper.registrar.node.HttpSettings;
import org.poolkeeper.registrar.node.Limit;
import org.poolkeeper.registrar.node.Membership;
import org.poolkeeper.registrar.node.MicrosClock;
import org.poolkeeper.registrar.node.RegistrarMetrics;
import org.poolkeeper.registrar.node.RegistrarSettings;
import org.poolkeeper.registrar.node.ShutdownLogFilter;
import org.poolkeeper.registrar.node.TlsSettings;
import org.poolkeeper.registrar.pool.PoolSharding;
import org.poolkeeper.registrar.pool.ShardWriter;
import org.poolkeeper.registrar.replication.Auditor;
import org.poolkeeper.registrar.replication.DeltaQueue;
import org.poolkeeper.registrar.replication.HostedShards;
import org.poolkeeper.registrar.replication.Inbox;
import org.poolkeeper.registrar.replication.NodeReplica;
import org.poolkeeper.registrar.replication.Outbox;
import org.poolkeeper.registrar.replication.PeerEndpoints;
import org.poolkeeper.registrar.replication.ReplicationStats;
import org.poolkeeper.registrar.replication.ShardHomes;
import org.poolkeeper.registrar.replication.TableServer;
import org.poolkeeper.replication.PoolOrder;
import org.poolkeeper.replication.PoolPart;
import org.poolkeeper.replication.ShardReplica;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a registrar node up inside an actor system, and is the one place that wires its parts: joins the
 * cluster (itself, when no seed node is configured: a one-node cluster is still a cluster), waits until this
 * member is Up, starts replication ({@link Outbox}, {@link Inbox}, {@link TableServer}, {@link Auditor} at fixed
 * paths under {@code /system}), pulls every peer's table (join), then starts the shard writers' sharding and
 * binds the ASAP endpoint, which is unbound first when the system shuts down. {@link RegistrarMain} and the tests
 * use the same path.
 */
public final class RegistrarServer {
    private static final Logger LOG = LoggerFactory.getLogger(RegistrarServer.class);
    /** How long start waits for every shard to have a writer somewhere before it reports the node started. */
    private static final Duration SHARD_PLACEMENT_WAIT = Duration.ofSeconds(10);

    /** The resource with the Pekko settings a registrar node runs with (above reference.conf). */
    public static final String NODE_CONFIG_RESOURCE = "poolkeeper-registrar-node.conf";

    /** The actor system name; it is part of every cluster address, so it must be equal on all nodes. */
    public static final String SYSTEM_NAME = "poolkeeper";

    private RegistrarServer() {
    }

    /**
     * A running node.
     *
     * @param replica  the node's replica (tests inspect it)
     * @param sharding the shard writers' placement (tests talk to writers through it)
     */
    /** A started node; {@code httpPort} is its HTTP endpoint's port, -1 without one. */
    public record Started(int registrarId, InetSocketAddress asapAddress, Address clusterAddress,
                          Tcp.ServerBinding binding, NodeReplica replica, PoolSharding sharding, int httpPort) {
    }

    /**
     * The configuration of a node, highest precedence first: {@code overrides}, JVM system properties
     * ({@code -Dpoolkeeper.registrar.max-hres-items=5}), the {@code file} (if any),
     * {@code application.conf}, the node settings resource ({@value #NODE_CONFIG_RESOURCE}), the
     * {@code reference.conf}s. Derived Pekko keys (Artery host and port, seed nodes, number of shards) are
     * filled from {@code poolkeeper.registrar.*} unless given explicitly.
     */
    public static Config loadConfig(Config overrides, File file) {
        Config reference = ConfigFactory.parseResources(RegistrarServer.class.getClassLoader(), NODE_CONFIG_RESOURCE)
                .withFallback(ConfigFactory.defaultReference());
        Config properties = ConfigFactory.systemProperties();
        Config application = ConfigFactory.defaultApplication();
        // a misspelt key would otherwise be ignored and its default used without a word
        refuseUnknownSettings(overrides, reference, key -> true);
        refuseUnknownSettings(application, reference, key -> true);
        // JVM properties also carry the log setup's poolkeeper.log.*: only the registrar's own keys are checked
        refuseUnknownSettings(properties, reference,
                key -> key.startsWith(RegistrarSettings.PATH + ".") || key.startsWith("poolkeeper.protocol."));
        Config user = overrides.withFallback(properties);
        if (file != null) {
            Config fromFile = ConfigFactory.parseFile(file);
            refuseUnknownSettings(fromFile, reference, key -> true);
            user = user.withFallback(fromFile);
        }
        Config unresolved = user
                .withFallback(application)
                .withFallback(reference);
        Config resolved = unresolved.resolve();
        Config r = resolved.getConfig(RegistrarSettings.PATH);
        // Artery binds bind.hostname and the canonical port (its bind.port is empty: the canonical one)
        Map<String, Object> bind = r.getString("bind-host").isBlank() ? Map.of()
                : Map.of("pekko.remote.artery.bind.hostname", r.getString("bind-host"));
        List<String> seeds = r.getStringList("seed-nodes").stream()
                .map(s -> "pekko://" + SYSTEM_NAME + "@" + s)
                .toList();
        // a random id (0) is drawn here, once, so that the cluster role and the node's settings agree
        int id = RegistrarSettings.registrarId(r.getString("registrar-id"));
        Map<String, Object> derived = Map.of(
                "pekko.remote.artery.canonical.hostname", r.getString("host"),
                "pekko.remote.artery.canonical.port", r.getInt("cluster-port"),
                "pekko.cluster.seed-nodes", seeds,
                "pekko.cluster.sharding.number-of-shards", r.getInt("number-of-shards"),
                "pekko.cluster.roles", List.of(Membership.role(id)),
                "pekko.cluster.split-brain-resolver.stable-after",
                r.getDuration("down-stable-after").toMillis() + " ms",
                "pekko.cluster.down-removal-margin", r.getDuration("takeover-margin").toMillis() + " ms");
        Config fixedId = ConfigFactory.parseMap(Map.of(RegistrarSettings.PATH + ".registrar-id",
                Integer.toUnsignedString(id)));
        // TLS between the registrars: Artery's tls-tcp with this project's engine provider (mutual, cluster CA)
        Map<String, Object> clusterTls = !r.getBoolean("cluster-tls.enabled") ? Map.of() : Map.of(
                "pekko.remote.artery.transport", "tls-tcp",
                "pekko.remote.artery.ssl.ssl-engine-provider", ClusterTlsEngineProvider.class.getName());
        return fixedId.withFallback(user).withFallback(ConfigFactory.parseMap(derived))
                .withFallback(ConfigFactory.parseMap(clusterTls))
                .withFallback(ConfigFactory.parseMap(bind))
                .withFallback(unresolved)
                .resolve();
    }

    /**
     * Refuses a setting under {@code poolkeeper} that {@code reference} does not have, naming it and where it was
     * set (file and line).
     *
     * @param checked which keys to check
     * @throws IllegalArgumentException for the first unknown one
     */
    static void refuseUnknownSettings(Config source, Config reference, java.util.function.Predicate<String> checked) {
        if (!source.hasPathOrNull("poolkeeper")) {
            return;
        }
        if (source.getIsNull("poolkeeper")
                || source.getValue("poolkeeper").valueType() != com.typesafe.config.ConfigValueType.OBJECT) {
            throw new IllegalArgumentException("poolkeeper must be an object of settings ("
                    + source.getValue("poolkeeper").origin().description() + ")");
        }
        java.util.List<String> unknown = new java.util.ArrayList<>();
        for (Map.Entry<String, com.typesafe.config.ConfigValue> e : source.getConfig("poolkeeper").entrySet()) {
            String key = "poolkeeper." + e.getKey();
            // -Dkey.0=a -Dkey.1=b is how a list is given as JVM properties: the list's key is what is known
            String known = key.replaceAll("(\\.\\d+)+$", "");
            if (checked.test(key) && !reference.hasPathOrNull(known)) {
                unknown.add(key + " (" + e.getValue().origin().description() + ")");
            }
        }
        if (!unknown.isEmpty()) {
            java.util.Collections.sort(unknown);
            throw new IllegalArgumentException("unknown setting" + (unknown.size() == 1 ? " " : "s ")
                    + String.join(", ", unknown) + "; the settings are listed in reference.conf");
        }
    }

    /** Starts the registrar in {@code system} (whose config came from {@link #loadConfig}). */
    public static CompletionStage<Started> start(ActorSystem<?> system) {
        Config config = system.settings().config();
        RegistrarSettings settings = RegistrarSettings.from(config);
        ClusterSettings clusterSettings = ClusterSettings.from(config, settings);
        int self = settings.registrarId();
        MicrosClock clock = MicrosClock.system();
        NodeReplica replica = new NodeReplica(settings.numberOfShards(), settings.handlespace(),
                System.nanoTime() ^ self);
        ReplicationStats stats = new ReplicationStats();
        HostedShards hosted = new HostedShards();
        ShardHomes homes = new ShardHomes(settings.numberOfShards());
        PeerEndpoints peers = new PeerEndpoints();
        BadInputLog badInput = new BadInputLog(settings.badInputLogLinesPerSecond());
        DeltaQueue deltas = new DeltaQueue(clusterSettings.bufferSize());
        Membership membership = new Membership(system, self);
        AtomicInteger asapPort = new AtomicInteger();

        Cluster cluster = Cluster.get(system);
        ServingGate gate = new ServingGate(settings.pauseLimit(), Duration.ofSeconds(2), () -> healthy(cluster));
        watchForDown(system, cluster, gate);
        membership.logChanges();
        CompletableFuture<Done> ready = new CompletableFuture<>();
        HttpSettings http = HttpSettings.from(config);
        TlsSettings tls = TlsSettings.from(config);
        PrometheusMeterRegistry prometheus = http.enabled()
                ? new PrometheusMeterRegistry(PrometheusConfig.DEFAULT) : null;
        RegistrarMetrics metrics = prometheus != null ? new RegistrarMetrics(prometheus) : RegistrarMetrics.none();
        // one readiness for the health check, the ready gauge and StatusResponse.ready
        Supplier<HttpEndpoint.Readiness> readiness = () -> new HttpEndpoint.Readiness(
                cluster.selfMember().status() == MemberStatus.up(), ready.isDone(), asapPort.get() != 0,
                gate.serving());
        BooleanSupplier isReady = () -> readiness.get().ready();
        NodeMeters.bind(metrics.registry(), self, replica, stats, membership, hosted, deltas, isReady);
        HttpEndpoint httpEndpoint = prometheus == null ? null : HttpEndpoint.start(http.host(), http.port(),
                prometheus, readiness);
        if (httpEndpoint != null) {
            system.getWhenTerminated().thenRun(httpEndpoint::stop);
        }
        CompletableFuture<Done> up = new CompletableFuture<>();
        ActorRef<SelfUp> upListener = system.systemActorOf(Behaviors.receive(SelfUp.class)
                .onMessage(SelfUp.class, msg -> {
                    up.complete(Done.getInstance());
                    return Behaviors.stopped();
                }).build(), "registrar-self-up", Props.empty());
        cluster.subscriptions().tell(Subscribe.create(upListener, SelfUp.class));
        if (config.getList("pekko.cluster.seed-nodes").isEmpty()) {
            cluster.manager().tell(Join.create(cluster.selfMember().address()));
        }
        // join: the inbox pulls the other registrars' tables before this node hosts any shard (a shard writer
        // starts from the local replica) and before clients are accepted
        AtomicReference<ActorRef<Object>> auditorRef = new AtomicReference<>();
        AtomicReference<ActorRef<Object>> inboxRef = new AtomicReference<>();
        CompletableFuture<Done> replicating = up.thenApplyAsync(done -> {
            ActorRef<Outbox.Command> outbox = system.systemActorOf(supervised(Outbox.create(deltas, membership,
                    clusterSettings.batchSize(), clusterSettings.batchInterval(), stats)), "poolkeeper-replication-outbox", Props.empty());
            system.systemActorOf(supervised(TableServer.create(replica, membership,
                    clusterSettings.maxElementsPerBlock(), settings.handlespace().maxPoolHandleLength(), outbox, stats,
                    badInput)), TableServer.NAME, Props.empty());
            ActorRef<Object> inbox = system.systemActorOf(supervised(Inbox.create(replica, membership,
                    clusterSettings.maxElementsPerBlock(), settings.handlespace().maxPoolHandleLength(),
                    clusterSettings.joinTimeout(), stats, badInput, ready)), Inbox.NAME, Props.empty());
            inboxRef.set(inbox);
            auditorRef.set(system.systemActorOf(supervised(Auditor.create(replica, membership, hosted, homes, peers,
                    inbox.narrow(), clusterSettings.auditInterval(), settings.host(), asapPort::get, stats,
                    badInput)), Auditor.NAME, Props.empty()));
            return done;
        }, system.executionContext());
        if (!clusterSettings.statusFile().isEmpty()) {
            Duration interval = clusterSettings.statusInterval();
            StatusFile status = new StatusFile(Path.of(clusterSettings.statusFile()), membership, replica, hosted,
                    stats, ready::isDone, settings.host(), asapPort::get, interval);
            Path corruption = Path.of(clusterSettings.statusFile() + ".corrupt");
            system.scheduler().scheduleWithFixedDelay(interval, interval, () -> {
                if (clusterSettings.testHooks() && Files.exists(corruption)) {
                    corruptForTest(replica, hosted, corruption);
                }
                status.write();
            }, system.executionContext());
        }
        return replicating.thenCompose(done -> ready).thenComposeAsync(done -> {
            AtomicReference<PoolSharding> sharding = new AtomicReference<>();
            ShardWriter.Context writers = new ShardWriter.Context(self, replica, deltas, clock,
                    membership::liveRegistrars, hosted, shard -> {
                        if (!membership.shuttingDown()) { // a node on its way out hands off; no new home to wake
                            sharding.get().tell(shard, new ShardWriter.Wake(0, null));
                        }
                    }, (writer, shard, pulled) -> inboxRef.get().tell(
                            new Inbox.PullShards(writer, java.util.Set.of(shard), pulled)),
                    settings.maxBadPeReports(), clusterSettings.takeoverGrace(),
                    new ShardWriter.WriterLimits(new Limit("max-pools", settings.limits().maxPools()),
                            new Limit("max-pool-elements", settings.limits().maxPoolElements()), replica),
                    settings.limits().reportWindow(), badInput, settings.connectionLossGrace());
            sharding.set(PoolSharding.init(system, settings.numberOfShards(), writers, homes,
                    membership, badInput));
            auditorRef.get().tell(new Auditor.RegionReady(sharding.get()));
            CompletionStage<java.util.Set<Integer>> placed =
                    sharding.get().allocateAll(system.scheduler(), SHARD_PLACEMENT_WAIT);
            NodeView view = new NodeView(self, settings.host(), asapPort::get, cluster, replica, hosted, stats,
                    deltas, peers, isReady);
            AsapEndpoint.Context sessions = new AsapEndpoint.Context(system, self, settings, replica, sharding.get(),
                    clock, badInput, gate, view, metrics, tls, Authorization.from(config));
            return AsapEndpoint.bind(sessions, peers).thenApply(binding -> {
                asapPort.set(binding.localAddress().getPort());
                Supplier<CompletionStage<Done>> unbind =
                        () -> binding.unbind().thenApply(x -> Done.getInstance());
                CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceUnbind(),
                        "unbind-asap-endpoint", unbind);
                return binding;
            }).thenCombine(placed, (binding, unplaced) -> {
                if (!unplaced.isEmpty()) {
                    LOG.warn("{} of {} shards have no writer {} s after start (the coordinator is busy or "
                            + "unreachable); serving anyway, their requests wait for it", unplaced.size(),
                            settings.numberOfShards(), SHARD_PLACEMENT_WAIT.toSeconds());
                }
                return new Started(self, binding.localAddress(), cluster.selfMember().address(), binding, replica,
                        sharding.get(), httpEndpoint == null ? -1 : httpEndpoint.port());
            });
        }, system.executionContext());
    }

    /** Whether this node is Up and sees every member reachable. */
    private static boolean healthy(Cluster cluster) {
        return cluster.selfMember().status() == MemberStatus.up() && cluster.state().getUnreachable().isEmpty();
    }

    /**
     * Closes the serving gate for good the moment this node learns it was downed (before CoordinatedShutdown,
     * which may take seconds or hang, gets to unbinding), or when it shuts down for any reason.
     */
    private static void watchForDown(ActorSystem<?> system, Cluster cluster, ServingGate gate) {
        Address selfAddress = cluster.selfMember().address();
        ActorRef<ClusterEvent.MemberEvent> listener = system.systemActorOf(
                Behaviors.receive(ClusterEvent.MemberEvent.class)
                        .onMessage(ClusterEvent.MemberEvent.class, event -> {
                            if (event.member().address().equals(selfAddress)) {
                                if (event instanceof ClusterEvent.MemberDowned) {
                                    gate.stop("downed by the cluster");
                                } else if (event instanceof ClusterEvent.MemberRemoved) {
                                    gate.stop("removed from the cluster");
                                }
                            }
                            return Behaviors.same();
                        }).build(), "poolkeeper-down-watch", Props.empty());
        cluster.subscriptions().tell(Subscribe.create(listener, ClusterEvent.MemberEvent.class));
        CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
        shutdown.addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "close-client-connections", () -> {
            CoordinatedShutdown.Reason reason = shutdown.getShutdownReason().orElse(null);
            if (reason != null && asked(reason)) {
                ShutdownLogFilter.shutdownBegan();
            }
            gate.stop("shutting down (" + (reason == null ? "unknown reason" : reason.getClass().getSimpleName())
                    + ")", reason != null && asked(reason));
            return CompletableFuture.completedFuture(Done.getInstance());
        });
        system.getWhenTerminated().thenRun(gate::close);
    }

    /** CoordinatedShutdown's reason for a signal (SIGTERM, SIGINT). */
    public record SignalReason(String signal) implements CoordinatedShutdown.Reason {
    }

    /**
     * Whether a shutdown was asked for (a signal, a graceful leave, the JVM's exit), not imposed by the cluster
     * (downed by the Split Brain Resolver, removed).
     */
    static boolean asked(CoordinatedShutdown.Reason reason) {
        return reason instanceof SignalReason || reason.equals(CoordinatedShutdown.clusterLeavingReason())
                || reason.equals(CoordinatedShutdown.jvmExitReason());
    }

    /** A replication actor restarts after a failure (a bug): its state is soft, the replica stays. */
    private static <T> org.apache.pekko.actor.typed.Behavior<T> supervised(org.apache.pekko.actor.typed.Behavior<T> b) {
        return Behaviors.supervise(b).onFailure(SupervisorStrategy.restart());
    }

    /**
     * Test aid (test-hooks = on): drops one PE of a pool whose shard is written elsewhere from this replica, as if
     * a table had said so, without a delta — a corrupted replica for the audit to find and repair.
     */
    private static void corruptForTest(NodeReplica replica, HostedShards hosted, Path trigger) {
        try {
            Files.deleteIfExists(trigger);
        } catch (IOException e) {
            return;
        }
        for (int s = 0; s < replica.numberOfShards(); s++) {
            if (hosted.contains(s)) {
                continue;
            }
            String dropped = replica.apply(s, shard -> {
                for (ShardReplica.WriterTotal total : shard.writerTotals()) {
                    for (PoolHandle h : shard.poolsWrittenBy(total.writer(), x -> true)) {
                        List<org.poolkeeper.handlespace.ElementSnapshot> elements = new ArrayList<>();
                        shard.pool(h).forEach(e -> elements.add(e.snapshot()));
                        PoolOrder order = shard.order(h);
                        elements.remove(0);
                        shard.applyPool(new PoolPart(h, shard.pool(h).policy(), order, elements, false));
                        return h.toString();
                    }
                }
                return null;
            });
            if (dropped != null) {
                LOG.warn("test hook: corrupted the replica: one PE of pool {} dropped", dropped);
                return;
            }
        }
    }
}
