package org.poolkeeper.registrar.node;

import com.typesafe.config.Config;
import java.nio.file.Path;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.remote.artery.tcp.SSLEngineProvider;
import org.poolkeeper.protocol.tls.TlsMaterial;
import scala.Option;

/**
 * Artery's TLS between registrars ({@code poolkeeper.registrar.cluster-tls}, transport {@code tls-tcp}): every
 * connection is mutually authenticated, each side presenting a certificate the cluster's CA signed and checking
 * the other's against that CA only; the connecting side also checks that the certificate names the address it
 * connects to. A process without such a certificate gets no connection, so it cannot join, gossip or send
 * registrar messages. Pekko instantiates it by class name with the actor system.
 */
public final class ClusterTlsEngineProvider implements SSLEngineProvider {
    static final String PATH = RegistrarSettings.PATH + ".cluster-tls";

    private final TlsMaterial material;

    public ClusterTlsEngineProvider(ActorSystem system) {
        this(system.settings().config());
    }

    ClusterTlsEngineProvider(Config config) {
        this.material = load(config);
    }

    /**
     * The cluster's TLS material from {@code poolkeeper.registrar.cluster-tls}.
     *
     * @throws IllegalArgumentException naming the key or file when something is missing or unreadable
     */
    public static TlsMaterial load(Config config) {
        Config c = config.getConfig(PATH);
        String certificate = c.getString("certificate");
        String trusted = c.getString("trusted-certificates");
        if (certificate.isBlank() || trusted.isBlank()) {
            throw new IllegalArgumentException(PATH + ".certificate and " + PATH + ".trusted-certificates (the "
                    + "cluster's CA) are needed when " + PATH + ".enabled = on");
        }
        String key = c.getString("private-key");
        String password = c.getString("key-store-password");
        try {
            return TlsMaterial.load(Path.of(certificate), key.isBlank() ? null : Path.of(key),
                    password.isEmpty() ? null : password, Path.of(trusted));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PATH + ": " + e.getMessage(), e);
        }
    }

    @Override
    public SSLEngine createServerSSLEngine(String hostname, int port) {
        return material.serverEngine(TlsMaterial.ClientAuth.REQUIRED);
    }

    @Override
    public SSLEngine createClientSSLEngine(String hostname, int port) {
        SSLEngine engine = material.clientEngine(hostname, port);
        SSLParameters p = engine.getSSLParameters();
        p.setNeedClientAuth(true);
        engine.setSSLParameters(p);
        return engine;
    }

    @Override
    public Option<Throwable> verifyClientSession(String hostname, SSLSession session) {
        return Option.empty(); // the handshake verified the peer's certificate against the cluster's CA
    }

    @Override
    public Option<Throwable> verifyServerSession(String hostname, SSLSession session) {
        return Option.empty(); // and, on this side, the address it names (endpoint identification)
    }
}
