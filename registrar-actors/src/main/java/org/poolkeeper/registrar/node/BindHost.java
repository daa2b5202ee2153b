package org.poolkeeper.registrar.node;

import com.typesafe.config.Config;

/**
 * The address a registrar binds its ports to ({@code poolkeeper.registrar.bind-host}), which may differ from the
 * address it advertises ({@code host}: in ServerAnnounce, as its cluster address and in its status), e.g.
 * {@code 0.0.0.0} in a container or behind NAT.
 */
public final class BindHost {
    private BindHost() {
    }

    /** {@code bind-host}, or {@code host} when it is empty. */
    public static String of(Config config) {
        Config c = config.getConfig(RegistrarSettings.PATH);
        String bind = c.getString("bind-host");
        return bind.isBlank() ? c.getString("host") : bind;
    }
}
