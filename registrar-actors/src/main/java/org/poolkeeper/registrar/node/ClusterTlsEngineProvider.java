package org.poolkeeper.registrar.node;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;
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
 * connects to, and, with {@code peer-subjects}, that its subject is a registrar's. A process without such a
 * certificate gets no connection, so it cannot join, gossip or send registrar messages. Give the cluster a CA of
 * its own (not the one that signs clients' certificates), or name the registrars' subjects. Pekko instantiates it by class name with the actor system.
 */
public final class ClusterTlsEngineProvider implements SSLEngineProvider {
    static final String PATH = RegistrarSettings.PATH + ".cluster-tls";

    private final TlsMaterial material;
    /** Subjects (globs) a peer's certificate must match, besides its CA; empty: any the CA signed. */
    private final List<java.util.regex.Pattern> peerSubjects = new ArrayList<>();

    public ClusterTlsEngineProvider(ActorSystem system) {
        this(system.settings().config());
    }

    ClusterTlsEngineProvider(Config config) {
        this.material = load(config);
        for (String glob : config.getStringList(PATH + ".peer-subjects")) {
            peerSubjects.add(Authorization.glob(glob));
        }
    }

    /** Refuses a peer whose certificate's subject matches none of {@code peer-subjects} (if any are set). */
    private Option<Throwable> checkSubject(SSLSession session) {
        if (peerSubjects.isEmpty()) {
            return Option.empty();
        }
        String subject;
        try {
            subject = session.getPeerPrincipal().getName();
        } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
            return Option.apply(e);
        }
        for (java.util.regex.Pattern p : peerSubjects) {
            if (p.matcher(subject).matches()) {
                return Option.empty();
            }
        }
        return Option.apply(new javax.net.ssl.SSLException("peer certificate '" + subject + "' matches none of "
                + PATH + ".peer-subjects"));
    }

    /**
     * The cluster's TLS material from {@code poolkeeper.registrar.cluster-tls}.
     *
     * @throws IllegalArgumentException naming the key or file when something is missing or unreadable
     */
    public static TlsMaterial load(Config config) {
        Config c = config.getConfig(PATH);
        if (c.getString("certificate").isBlank() || c.getString("trusted-certificates").isBlank()) {
            throw new IllegalArgumentException(PATH + ".certificate and " + PATH + ".trusted-certificates (the "
                    + "cluster's CA) are needed when " + PATH + ".enabled = on");
        }
        try {
            return TlsMaterial.load(c);
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
        // the handshake verified the peer's certificate against the cluster's CA (and, connecting, its address)
        return checkSubject(session);
    }

    @Override
    public Option<Throwable> verifyServerSession(String hostname, SSLSession session) {
        return checkSubject(session);
    }
}
