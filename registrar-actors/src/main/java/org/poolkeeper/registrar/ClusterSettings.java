package org.poolkeeper.registrar;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Locale;

/**
 * The cluster settings of a registrar node ({@code poolkeeper.registrar.*} keys about replication, audit,
 * takeover and the status file; see reference.conf).
 */
public record ClusterSettings(
        Duration takeoverGrace,
        String statusFile,
        int batchSize,
        Duration batchInterval,
        int bufferSize,
        int maxElementsPerBlock,
        Duration auditInterval,
        Duration joinTimeout,
        boolean testHooks) {

    /** The cluster role that carries a registrar id: {@code registrar-} and 8 lowercase hex digits. */
    public static String role(int registrarId) {
        return String.format(Locale.ROOT, "registrar-%08x", registrarId);
    }

    /** The registrar id of a role, or 0 if it is not a registrar role. */
    public static int registrarId(String role) {
        if (role.startsWith("registrar-") && role.length() == 18) {
            return (int) Long.parseLong(role.substring(10), 16);
        }
        return 0;
    }

    public static ClusterSettings from(Config root, RegistrarSettings registrar) {
        Config c = root.getConfig(RegistrarSettings.PATH);
        Config r = c.getConfig("replication");
        String grace = c.getString("takeover-grace");
        Duration takeover = grace.equals("default") ? registrar.keepAliveInterval().multipliedBy(2)
                : c.getDuration("takeover-grace");
        return new ClusterSettings(takeover, c.getString("status-file"), positive(r, "batch-size"),
                r.getDuration("batch-interval"), positive(r, "buffer-size"), positive(r, "max-elements-per-block"),
                r.getDuration("audit-interval"), r.getDuration("join-timeout"), c.getBoolean("test-hooks"));
    }

    private static int positive(Config c, String key) {
        int v = c.getInt(key);
        if (v < 1) {
            throw new IllegalArgumentException(RegistrarSettings.PATH + ".replication." + key + " must be positive");
        }
        return v;
    }
}
