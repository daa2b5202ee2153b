package org.poolkeeper.registrar.node;

import com.typesafe.config.Config;

/**
 * The node's HTTP endpoint for metrics and health ({@code poolkeeper.registrar.http-port}, {@code http-host}).
 *
 * @param port the port, 0 for a free one, -1 for none (the default)
 * @param host the address to bind it to (default: the registrar's bind-host, else its host)
 */
public record HttpSettings(int port, String host) {
    public boolean enabled() {
        return port >= 0;
    }

    /** From the node's configuration. @throws IllegalArgumentException naming the key for a bad value */
    public static HttpSettings from(Config config) {
        Config c = config.getConfig(RegistrarSettings.PATH);
        long port = c.getLong("http-port");
        if (port < -1 || port > 65535) {
            throw new IllegalArgumentException(RegistrarSettings.PATH + ".http-port must be -1 (off) or 0..65535: "
                    + port);
        }
        String host = c.getString("http-host");
        return new HttpSettings((int) port, host.isBlank() ? BindHost.of(config) : host);
    }
}
