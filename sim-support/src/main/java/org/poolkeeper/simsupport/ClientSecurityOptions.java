package org.poolkeeper.simsupport;

import java.nio.file.Path;
import org.poolkeeper.client.ClientSettings;
import org.poolkeeper.protocol.tls.TlsMaterial;
import picocli.CommandLine.Option;

/**
 * The command-line options every client tool shares to reach registrars that require TLS or a token: a picocli
 * mixin ({@code @Mixin ClientSecurityOptions security}).
 */
public final class ClientSecurityOptions {
    @Option(names = "--tls-ca", paramLabel = "FILE",
            description = "Connect with TLS, trusting the registrars' certificates this CA signed (PEM or .p12).")
    Path tlsCa;

    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "This client's certificate for registrars that require one (PEM with --tls-key, or .p12).")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "The PEM PKCS#8 private key of --tls-cert.")
    Path tlsKey;

    @Option(names = "--token", paramLabel = "TOKEN",
            description = "The token to present, for registrars whose authorization rules name clients by token "
                    + "(default: $POOLKEEPER_TOKEN).")
    String token;

    private TlsMaterial tls;

    /**
     * The TLS material of the options, or null for plaintext.
     *
     * @throws IllegalArgumentException naming the option or file that is wrong
     */
    public TlsMaterial tls() {
        if (tls == null) {
            tls = load(tlsCa, tlsCert, tlsKey);
        }
        return tls;
    }

    /** The token of --token or $POOLKEEPER_TOKEN, or null. */
    public String token() {
        String t = token != null ? token : System.getenv("POOLKEEPER_TOKEN");
        return t == null || t.isEmpty() ? null : t;
    }

    /** {@code settings} with the options' TLS and token. */
    public ClientSettings apply(ClientSettings settings) {
        return settings.withTls(tls()).withToken(token());
    }

    /**
     * TLS material from the three options' values, or null when none is given.
     *
     * @throws IllegalArgumentException naming the option or file that is wrong
     */
    public static TlsMaterial load(Path ca, Path cert, Path key) {
        if (ca == null && cert == null) {
            return null;
        }
        if (ca == null) {
            throw new IllegalArgumentException("--tls-cert needs --tls-ca (the CA of the registrars' certificates)");
        }
        return TlsMaterial.load(cert, key, null, ca);
    }
}
