package org.poolkeeper.registrar.node;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The cluster settings of a registrar node ({@code poolkeeper.registrar.*} keys about replication, audit,
 * takeover and the status file; see reference.conf). Reading validates: a bad value fails with an
 * {@link IllegalArgumentException} whose message names the key.
 */
public record ClusterSettings(
        Duration takeoverGrace,
        String statusFile,
        Duration statusInterval,
        int batchSize,
        Duration batchInterval,
        int bufferSize,
        int maxElementsPerBlock,
        Duration auditInterval,
        Duration joinTimeout,
        boolean testHooks) {

    public static ClusterSettings from(Config root, RegistrarSettings registrar) {
        Config c = root.getConfig(RegistrarSettings.PATH);
        Config r = c.getConfig("replication");
        String grace = c.getString("takeover-grace");
        Duration takeover = grace.equals("default") ? registrar.keepAliveInterval().multipliedBy(2)
                : c.getDuration("takeover-grace");
        Duration audit = positiveDuration(r, "audit-interval");
        Duration status = c.getString("status-interval").equals("default") ? audit : c.getDuration("status-interval");
        if (status.isNegative() || status.isZero()) {
            throw new IllegalArgumentException(RegistrarSettings.PATH + ".status-interval must be positive");
        }
        return new ClusterSettings(takeover, c.getString("status-file"), status, positive(r, "batch-size"),
                positiveDuration(r, "batch-interval"), positive(r, "buffer-size"), atLeast(r, "max-elements-per-block", 2),
                audit, r.getDuration("join-timeout"), c.getBoolean("test-hooks"));
    }

    private static int positive(Config c, String key) {
        return atLeast(c, key, 1);
    }

    private static int atLeast(Config c, String key, int min) {
        int v = c.getInt(key);
        if (v < min) {
            throw new IllegalArgumentException(RegistrarSettings.PATH + ".replication." + key + " must be at least "
                    + min);
        }
        return v;
    }

    private static Duration positiveDuration(Config c, String key) {
        Duration d = c.getDuration(key);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(RegistrarSettings.PATH + ".replication." + key + " must be positive");
        }
        return d;
    }
}
