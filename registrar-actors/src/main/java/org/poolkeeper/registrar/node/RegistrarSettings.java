package org.poolkeeper.registrar.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import org.poolkeeper.handlespace.HandlespaceConfig;
import org.poolkeeper.protocol.TcpFraming;

/**
 * The settings of one registrar node, read from {@code poolkeeper.registrar} (see its {@code reference.conf} for
 * what each key means and why its default is what it is) and {@code poolkeeper.protocol.max-frame-length}.
 * Reading validates: a bad value fails with an {@link IllegalArgumentException} whose message names the key.
 */
public record RegistrarSettings(
        int registrarId,
        String host,
        int asapPort,
        Duration keepAliveInterval,
        Duration keepAliveTimeout,
        Duration connectionLossGrace,
        int maxBadPeReports,
        int minRegistrationLifeMs,
        int maxPesPerConnection,
        int maxInFlightPerConnection,
        int maxQueuedPerConnection,
        Duration requestRetryInterval,
        Duration localAckAfter,
        Duration requestTimeout,
        Duration pauseLimit,
        int numberOfShards,
        ResolutionMode resolutionMode,
        List<String> allowedClientNetworks,
        int badInputLogLinesPerSecond,
        int maxFrameLength,
        HandlespaceConfig handlespace,
        Limits limits) {

    /**
     * What one node lets clients use (see reference.conf for each key).
     *
     * @param maxPools              most pools in the handlespace; a registration that would start another one is
     *                              refused
     * @param maxPoolElements       most PEs in the handlespace
     * @param maxConnections        most client connections open at once
     * @param maxConnectionsPerAddress most client connections open at once from one IP address
     * @param frameTimeout          how long a connection may take to send its first complete frame, and any frame
     *                              it started
     * @param idleTimeout           how long a connection that holds no PE may send nothing
     * @param maxUnfinishedFrameBytes most bytes of frames not yet complete, over all connections
     * @param maxHrRate             handle resolutions per second one connection may make (0: no limit)
     * @param maxEuRate             unreachability reports per second one connection may make (0: no limit)
     * @param reportWindow          how long an unreachability report counts
     */
    public record Limits(int maxPools, int maxPoolElements, int maxConnections, int maxConnectionsPerAddress,
                         Duration frameTimeout, Duration idleTimeout, long maxUnfinishedFrameBytes, int maxHrRate,
                         int maxEuRate, Duration reportWindow) {
    }

    /** Where handle resolutions are answered. */
    public enum ResolutionMode {
        /** From this node's replica, without an actor hop (every RSerPool registrar answers this way). */
        REPLICA,
        /** By the pool's PoolActor: one globally ordered selection state per pool, one more hop per request. */
        OWNER
    }

    public static final String PATH = "poolkeeper.registrar";

    public static RegistrarSettings from(Config root) {
        try {
            Config c = root.getConfig(PATH);
            int maxHres = intIn(c, "max-hres-items", 1, HandlespaceConfig.HANDLE_RESOLUTION_ITEMS_CAP);
            HandlespaceConfig hs = new HandlespaceConfig(
                    intIn(c, "max-pool-handle-length", 1, 4096),
                    intIn(c, "max-elements-per-pool", 1, Integer.MAX_VALUE),
                    fullPoolAction(c.getString("full-pool-action")),
                    millisIn(c, "max-registration-life", 1, Integer.MAX_VALUE),
                    maxHres);
            int minLife = millisIn(c, "min-registration-life", 1, Integer.MAX_VALUE);
            if (minLife > hs.maxRegistrationLifeMs()) {
                throw new IllegalArgumentException(PATH + ".min-registration-life exceeds max-registration-life");
            }
            List<String> networks = c.getStringList("allowed-client-networks");
            new ClientNetworks(networks); // validates
            return new RegistrarSettings(
                    registrarId(c.getString("registrar-id")),
                    c.getString("host"),
                    intIn(c, "asap-port", 0, 65535),
                    positive(c, "keep-alive-interval"),
                    positive(c, "keep-alive-timeout"),
                    nonNegative(c, "connection-loss-grace"),
                    intIn(c, "max-bad-pe-reports", 1, 1_000_000),
                    minLife,
                    intIn(c, "max-pes-per-connection", 1, Integer.MAX_VALUE),
                    intIn(c, "max-in-flight-per-connection", 1, 1_000_000),
                    intIn(c, "max-queued-per-connection", 0, 1_000_000),
                    positive(c, "request-retry-interval"),
                    positive(c, "local-ack-after"),
                    positive(c, "request-timeout"),
                    positive(c, "pause-limit"),
                    intIn(c, "number-of-shards", 1, 1_000_000),
                    resolutionMode(c.getString("resolution-mode")),
                    List.copyOf(networks),
                    intIn(c, "bad-input-log-lines-per-second", 0, 1_000_000),
                    TcpFraming.maxFrameLength(root),
                    hs,
                    limits(c));
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** The same settings with another registrar id. */
    public RegistrarSettings withRegistrarId(int id) {
        return new RegistrarSettings(id, host, asapPort, keepAliveInterval, keepAliveTimeout, connectionLossGrace,
                maxBadPeReports, minRegistrationLifeMs, maxPesPerConnection, maxInFlightPerConnection,
                maxQueuedPerConnection, requestRetryInterval, localAckAfter, requestTimeout, pauseLimit, numberOfShards,
                resolutionMode, allowedClientNetworks, badInputLogLinesPerSecond, maxFrameLength, handlespace, limits);
    }

    /**
     * Parses a registrar id: decimal, or hexadecimal with {@code 0x}; unsigned 32 bits. 0 (or "random") means a
     * random nonzero id.
     */
    public static int registrarId(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        long value;
        try {
            if (t.equals("random")) {
                value = 0;
            } else if (t.startsWith("0x")) {
                value = Long.parseLong(t.substring(2), 16);
            } else {
                value = Long.parseLong(t);
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PATH + ".registrar-id must be decimal or 0x-hex: " + text);
        }
        if (value < 0 || value > 0xFFFFFFFFL) {
            throw new IllegalArgumentException(PATH + ".registrar-id must fit in 32 bits: " + text);
        }
        if (value == 0) {
            int random;
            do {
                random = ThreadLocalRandom.current().nextInt();
            } while (random == 0);
            return random;
        }
        return (int) value;
    }

    private static Limits limits(Config c) {
        long heap = Runtime.getRuntime().maxMemory();
        return new Limits(
                autoOrIn(c, "max-pools", heap / POOL_BUDGET_BYTES),
                autoOrIn(c, "max-pool-elements", heap / ELEMENT_BUDGET_BYTES),
                intIn(c, "max-connections", 1, 1_000_000),
                intIn(c, "max-connections-per-address", 1, 1_000_000),
                positive(c, "frame-timeout"),
                positive(c, "idle-timeout"),
                bytesIn(c, "max-unfinished-frame-bytes", 65_536),
                intIn(c, "max-hr-rate", 0, Integer.MAX_VALUE),
                intIn(c, "max-eu-rate", 0, Integer.MAX_VALUE),
                positive(c, "unreachable-report-window"));
    }

    /** Heap one pool may take, for max-pools = auto (a pool of one PE costs about 2 KB with its replication state). */
    static final long POOL_BUDGET_BYTES = 6 * 1024;
    /** Heap one PE may take, for max-pool-elements = auto (a PE costs a few hundred bytes all told). */
    static final long ELEMENT_BUDGET_BYTES = 768;

    private static int autoOrIn(Config c, String key, long auto) {
        if (c.getValue(key).unwrapped() instanceof String text && text.trim().equalsIgnoreCase("auto")) {
            return (int) Math.max(1, Math.min(Integer.MAX_VALUE, auto));
        }
        return intIn(c, key, 1, Integer.MAX_VALUE);
    }

    private static long bytesIn(Config c, String key, long min) {
        long v = c.getBytes(key);
        if (v < min) {
            throw new IllegalArgumentException(PATH + "." + key + " must be at least " + min + " bytes: " + v);
        }
        return v;
    }

    private static HandlespaceConfig.FullPoolAction fullPoolAction(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "reject" -> HandlespaceConfig.FullPoolAction.REJECT;
            case "evict-random" -> HandlespaceConfig.FullPoolAction.EVICT_RANDOM;
            default -> throw new IllegalArgumentException(PATH + ".full-pool-action must be reject or evict-random: "
                    + text);
        };
    }

    private static ResolutionMode resolutionMode(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "replica" -> ResolutionMode.REPLICA;
            case "owner" -> ResolutionMode.OWNER;
            default -> throw new IllegalArgumentException(PATH + ".resolution-mode must be replica or owner: " + text);
        };
    }

    private static int intIn(Config c, String key, int min, int max) {
        long v = c.getLong(key);
        if (v < min || v > max) {
            throw new IllegalArgumentException(PATH + "." + key + " must be within " + min + ".." + max + ": " + v);
        }
        return (int) v;
    }

    private static int millisIn(Config c, String key, long min, long max) {
        long v = c.getDuration(key).toMillis();
        if (v < min || v > max) {
            throw new IllegalArgumentException(PATH + "." + key + " must be within " + min + ".." + max + " ms: " + v);
        }
        return (int) v;
    }

    private static Duration positive(Config c, String key) {
        Duration d = c.getDuration(key);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(PATH + "." + key + " must be positive: " + d);
        }
        return d;
    }

    private static Duration nonNegative(Config c, String key) {
        Duration d = c.getDuration(key);
        if (d.isNegative()) {
            throw new IllegalArgumentException(PATH + "." + key + " must not be negative: " + d);
        }
        return d;
    }
}
