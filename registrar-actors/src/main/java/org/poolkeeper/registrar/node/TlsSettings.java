package org.poolkeeper.registrar.node;

import com.typesafe.config.Config;
import org.poolkeeper.protocol.tls.TlsMaterial;

/**
 * TLS on the client port ({@code poolkeeper.registrar.tls}): the registrar's certificate and key, the CAs whose
 * client certificates it accepts, and whether it asks for one.
 *
 * @param material   the loaded certificate, key and trusted CAs; null when TLS is off
 * @param clientAuth whether a client must (or may) present a certificate
 */
public record TlsSettings(TlsMaterial material, TlsMaterial.ClientAuth clientAuth) {
    private static final String PATH = RegistrarSettings.PATH + ".tls";

    public boolean enabled() {
        return material != null;
    }

    /**
     * From the node's configuration; loads (and so checks) the files when TLS is on.
     *
     * @throws IllegalArgumentException naming the key or the file for a bad value
     */
    public static TlsSettings from(Config config) {
        Config c = config.getConfig(PATH);
        if (!c.getBoolean("enabled")) {
            return new TlsSettings(null, TlsMaterial.ClientAuth.NONE);
        }
        TlsMaterial.ClientAuth auth = TlsMaterial.ClientAuth.parse(c.getString("client-auth"));
        if (c.getString("certificate").isBlank()) {
            throw new IllegalArgumentException(PATH + ".certificate is needed when " + PATH + ".enabled = on");
        }
        if (c.getString("trusted-certificates").isBlank() && auth != TlsMaterial.ClientAuth.NONE) {
            throw new IllegalArgumentException(PATH + ".trusted-certificates (the CAs of the clients' certificates)"
                    + " is needed when " + PATH + ".client-auth = " + c.getString("client-auth"));
        }
        try {
            return new TlsSettings(TlsMaterial.load(c), auth);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PATH + ": " + e.getMessage(), e);
        }
    }
}
