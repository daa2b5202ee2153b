package org.poolkeeper.registrar;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The node-local state every part of a registrar shares: its settings (with the registrar id fixed once), the
 * clock, the {@link DeltaHub} PoolActors publish to, the local {@link Replica} (subscribed to the hub) and the
 * bad-input log. One per actor system: {@code RegistrarNode.get(system)}.
 */
public final class RegistrarNode implements Extension {
    private final RegistrarSettings settings;
    private final ClusterSettings cluster;
    private final MicrosClock clock;
    private final DeltaHub deltas = new DeltaHub();
    private final Replica replica;
    private final BadInputLog badInput;
    private volatile int asapPort;
    private final java.util.concurrent.ConcurrentHashMap<Integer, org.poolkeeper.protocol.wire.RegistrarEndpoint>
            peerEndpoints = new java.util.concurrent.ConcurrentHashMap<>();

    private RegistrarNode(ActorSystem<?> system) {
        // read once: registrar-id = 0 draws a random id here, which everything on the node then shares
        this.settings = RegistrarSettings.from(system.settings().config());
        this.cluster = ClusterSettings.from(system.settings().config(), settings);
        this.clock = MicrosClock.system();
        this.replica = new Replica(settings.handlespace(), System.nanoTime() ^ settings.registrarId(), clock);
        this.replica.localWriterId(settings.registrarId());
        this.deltas.subscribe(replica);
        this.badInput = new BadInputLog(settings.badInputLogLinesPerSecond());
    }

    public static RegistrarNode get(ActorSystem<?> system) {
        return Id.INSTANCE.apply(system);
    }

    public RegistrarSettings settings() {
        return settings;
    }

    /** The replication, audit and takeover settings. */
    public ClusterSettings cluster() {
        return cluster;
    }

    /** This node's registrar id (never 0). */
    public int registrarId() {
        return settings.registrarId();
    }

    public MicrosClock clock() {
        return clock;
    }

    public DeltaHub deltas() {
        return deltas;
    }

    public Replica replica() {
        return replica;
    }

    /** This node's bound client (ASAP) port, 0 before it is bound. */
    public int asapPort() {
        return asapPort;
    }

    void asapBound(int port) {
        this.asapPort = port;
    }

    /** The client endpoints of the other live registrars (learned from their Presence), by registrar id. */
    public java.util.Map<Integer, org.poolkeeper.protocol.wire.RegistrarEndpoint> peerEndpoints() {
        return peerEndpoints;
    }

    public BadInputLog badInput() {
        return badInput;
    }

    /** The extension's id. */
    public static final class Id extends ExtensionId<RegistrarNode> {
        static final Id INSTANCE = new Id();

        private Id() {
        }

        @Override
        public RegistrarNode createExtension(ActorSystem<?> system) {
            return new RegistrarNode(system);
        }
    }
}
