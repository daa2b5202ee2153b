package org.poolkeeper.registrar;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.File;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.SelfUp;
import org.apache.pekko.cluster.typed.Subscribe;
import org.apache.pekko.stream.javadsl.Tcp;

/**
 * Brings a registrar node up inside an actor system: joins the cluster (itself, when no seed node is
 * configured: a one-node cluster is still a cluster), waits until this member is Up, starts PoolActor sharding
 * and binds the ASAP endpoint, which is unbound first when the system shuts down. {@link RegistrarMain} and
 * the tests use the same path.
 */
public final class RegistrarServer {

    /** The resource with the Pekko settings a registrar node runs with (above reference.conf). */
    public static final String NODE_CONFIG_RESOURCE = "poolkeeper-registrar-node.conf";

    /** The actor system name; it is part of every cluster address, so it must be equal on all nodes. */
    public static final String SYSTEM_NAME = "poolkeeper";

    private RegistrarServer() {
    }

    /** A running node. */
    public record Started(int registrarId, InetSocketAddress asapAddress, Address clusterAddress,
                          Tcp.ServerBinding binding,
                          ActorRef<ShardingEnvelope<PoolActor.Command>> region) {
    }

    /**
     * The configuration of a node, highest precedence first: {@code overrides}, JVM system properties
     * ({@code -Dpoolkeeper.registrar.max-hres-items=5}), the {@code file} (if any),
     * {@code application.conf}, the node settings resource ({@value #NODE_CONFIG_RESOURCE}), the
     * {@code reference.conf}s. Derived Pekko keys (Artery host and port, seed nodes, number of shards) are
     * filled from {@code poolkeeper.registrar.*} unless given explicitly.
     */
    public static Config loadConfig(Config overrides, File file) {
        Config user = overrides.withFallback(ConfigFactory.systemProperties());
        if (file != null) {
            user = user.withFallback(ConfigFactory.parseFile(file));
        }
        Config unresolved = user
                .withFallback(ConfigFactory.defaultApplication())
                .withFallback(ConfigFactory.parseResources(RegistrarServer.class.getClassLoader(),
                        NODE_CONFIG_RESOURCE))
                .withFallback(ConfigFactory.defaultReference());
        Config resolved = unresolved.resolve();
        Config r = resolved.getConfig(RegistrarSettings.PATH);
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
                "pekko.cluster.roles", List.of(ClusterSettings.role(id)),
                "pekko.cluster.split-brain-resolver.stable-after",
                r.getDuration("down-stable-after").toMillis() + " ms",
                "pekko.cluster.down-removal-margin", r.getDuration("takeover-margin").toMillis() + " ms");
        Config fixedId = ConfigFactory.parseMap(Map.of(RegistrarSettings.PATH + ".registrar-id",
                Integer.toUnsignedString(id)));
        return fixedId.withFallback(user).withFallback(ConfigFactory.parseMap(derived))
                .withFallback(unresolved)
                .resolve();
    }

    /** Starts the registrar in {@code system} (whose config came from {@link #loadConfig}). */
    public static CompletionStage<Started> start(ActorSystem<?> system) {
        RegistrarNode node = RegistrarNode.get(system);
        Cluster cluster = Cluster.get(system);
        CompletableFuture<Done> up = new CompletableFuture<>();
        ActorRef<SelfUp> upListener = system.systemActorOf(Behaviors.receive(SelfUp.class)
                .onMessage(SelfUp.class, msg -> {
                    up.complete(Done.getInstance());
                    return Behaviors.stopped();
                }).build(), "registrar-self-up", Props.empty());
        cluster.subscriptions().tell(Subscribe.create(upListener, SelfUp.class));
        if (system.settings().config().getList("pekko.cluster.seed-nodes").isEmpty()) {
            cluster.manager().tell(Join.create(cluster.selfMember().address()));
        }
        // join: the replicator pulls the other registrars' tables before this node hosts any pool (a PoolActor
        // starts from the local replica) and before clients are accepted
        CompletableFuture<Done> ready = up.thenComposeAsync(done -> {
            CompletableFuture<Done> pulled = new CompletableFuture<>();
            system.systemActorOf(Replicator.create(pulled), "replicator", Props.empty());
            return pulled;
        }, system.executionContext());
        return ready.thenComposeAsync(done -> {
            ActorRef<ShardingEnvelope<PoolActor.Command>> region = PoolActor.init(system);
            return AsapEndpoint.bind(system, region).thenApply(binding -> {
                node.asapBound(binding.localAddress().getPort());
                CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceUnbind(),
                        "unbind-asap-endpoint", () -> binding.unbind().thenApply(x -> Done.getInstance()));
                return new Started(node.registrarId(), binding.localAddress(),
                        cluster.selfMember().address(), binding, region);
            });
        }, system.executionContext());
    }

}
