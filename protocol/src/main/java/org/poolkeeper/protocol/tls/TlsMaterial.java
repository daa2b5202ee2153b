package org.poolkeeper.protocol.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The TLS side of Poolkeeper's client protocol, for the registrar and every client: an {@link SSLContext} from
 * files (a PKCS#12 key store, or a PEM certificate chain with its PKCS#8 PEM private key; trusted CAs as a PEM
 * bundle or a PKCS#12 trust store), and engines and sockets restricted to TLS 1.3 and 1.2 with forward-secret
 * AEAD suites only. A client verifies the registrar's certificate against the address it connects to (a SAN
 * entry: DNS name or IP address), as HTTPS does.
 */
public final class TlsMaterial {
    /** The protocols offered and accepted. */
    public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
    /** TLS 1.3's suites, and TLS 1.2's ECDHE suites with AES-GCM or ChaCha20-Poly1305. */
    public static final List<String> CIPHER_SUITES = List.of(
            "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    /** Whether a registrar asks connecting clients for a certificate. */
    public enum ClientAuth {
        /** No client certificate is asked for. */
        NONE,
        /** A client may present one; one that does is identified by it. */
        OPTIONAL,
        /** A client without a certificate the trusted CAs signed is refused in the handshake. */
        REQUIRED;

        /** {@code none}, {@code optional} or {@code required}. */
        public static ClientAuth parse(String value) {
            try {
                return valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("client-auth must be none, optional or required, not '" + value
                        + "'");
            }
        }
    }

    private final SSLContext context;
    private final Reporting trust;

    private TlsMaterial(SSLContext context, Reporting trust) {
        this.context = context;
        this.trust = trust;
    }

    /**
     * The trust manager, delegating to the JDK's, that tells the engine's owner why a peer's certificate was
     * refused (expired, unknown CA, ...): Pekko's TLS stage ends a failed handshake without a word.
     */
    private static final class Reporting extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager delegate;
        private final Map<SSLEngine, Consumer<String>> listeners = Collections.synchronizedMap(new WeakHashMap<>());

        Reporting(X509ExtendedTrustManager delegate) {
            this.delegate = delegate;
        }

        private void refused(SSLEngine engine, X509Certificate[] chain, CertificateException e) {
            Consumer<String> l = engine == null ? null : listeners.get(engine);
            if (l != null) {
                l.accept("certificate " + (chain != null && chain.length > 0
                        ? "'" + chain[0].getSubjectX500Principal().getName() + "' " : "") + "refused: "
                        + e.getMessage());
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            try {
                delegate.checkClientTrusted(chain, authType, engine);
            } catch (CertificateException e) {
                refused(engine, chain, e);
                throw e;
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            try {
                delegate.checkServerTrusted(chain, authType, engine);
            } catch (CertificateException e) {
                refused(engine, chain, e);
                throw e;
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, java.net.Socket socket)
                throws CertificateException {
            delegate.checkClientTrusted(chain, authType, socket);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, java.net.Socket socket)
                throws CertificateException {
            delegate.checkServerTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            delegate.checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            delegate.checkServerTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return delegate.getAcceptedIssuers();
        }
    }

    /**
     * Loads TLS material from files.
     *
     * @param identity    this side's certificate: a PKCS#12 key store ({@code .p12}, {@code .pfx}) or a PEM file with
     *                    the certificate chain (leaf first); null for a client without a certificate
     * @param privateKey  the PEM file of the PKCS#8 private key for a PEM {@code identity}, else null
     * @param password    the PKCS#12 stores' password (null: none)
     * @param trusted     the CAs to trust: a PEM bundle or a PKCS#12 trust store; null: the JDK's default CAs
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    public static TlsMaterial load(Path identity, Path privateKey, String password, Path trusted) {
        char[] pw = password == null ? new char[0] : password.toCharArray();
        try {
            KeyManager[] keys = null;
            if (identity != null) {
                KeyStore store = isPkcs12(identity) ? pkcs12(identity, pw) : pemIdentity(identity, privateKey, pw);
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(store, pw);
                keys = kmf.getKeyManagers();
            }
            KeyStore trustStore = trusted == null ? null
                    : isPkcs12(trusted) ? pkcs12(trusted, pw) : pemTrust(trusted);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trustStore); // null: the JDK's default CAs
            Reporting trust = null;
            for (TrustManager tm : tmf.getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager x) {
                    trust = new Reporting(x);
                }
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys, trust == null ? tmf.getTrustManagers() : new TrustManager[] {trust}, null);
            return new TlsMaterial(context, trust);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("TLS material: " + e.getMessage(), e);
        }
    }

    /**
     * {@link #load} from a block of settings with the keys {@code certificate}, {@code private-key},
     * {@code key-store-password} and {@code trusted-certificates} (an empty value: none), as the registrar's
     * {@code tls} and {@code cluster-tls} and the client's {@code tls} have them.
     */
    public static TlsMaterial load(com.typesafe.config.Config settings) {
        String password = settings.getString("key-store-password");
        return load(path(settings, "certificate"), path(settings, "private-key"),
                password.isEmpty() ? null : password, path(settings, "trusted-certificates"));
    }

    private static Path path(com.typesafe.config.Config settings, String key) {
        String value = settings.getString(key);
        return value.isBlank() ? null : Path.of(value);
    }

    /** The message of the TLS failure (an {@link javax.net.ssl.SSLException}) among {@code error}'s causes, or null. */
    public static String failure(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof javax.net.ssl.SSLException) {
                return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            }
        }
        return null;
    }

    public SSLContext context() {
        return context;
    }

    /** A server-side engine for one connection. */
    public SSLEngine serverEngine(ClientAuth clientAuth) {
        return serverEngine(clientAuth, null);
    }

    /**
     * A server-side engine for one connection; {@code refused} (if not null) is told in one line why the
     * client's certificate was refused, should it be.
     */
    public SSLEngine serverEngine(ClientAuth clientAuth, Consumer<String> refused) {
        SSLEngine engine = context.createSSLEngine();
        if (refused != null && trust != null) {
            trust.listeners.put(engine, refused);
        }
        engine.setUseClientMode(false);
        SSLParameters p = restricted(engine.getSSLParameters(), engine.getSupportedCipherSuites());
        switch (clientAuth) {
            case REQUIRED -> p.setNeedClientAuth(true);
            case OPTIONAL -> p.setWantClientAuth(true);
            default -> p.setWantClientAuth(false);
        }
        engine.setSSLParameters(p);
        return engine;
    }

    /** A client-side engine for a connection to {@code host:port}, verifying the server's name or address. */
    public SSLEngine clientEngine(String host, int port) {
        SSLEngine engine = context.createSSLEngine(host, port);
        engine.setUseClientMode(true);
        SSLParameters p = restricted(engine.getSSLParameters(), engine.getSupportedCipherSuites());
        p.setEndpointIdentificationAlgorithm("HTTPS");
        engine.setSSLParameters(p);
        return engine;
    }

    /**
     * A client socket over {@code plain} (connected to {@code host:port}) that has completed its handshake.
     *
     * @throws IOException if the handshake failed (the registrar's certificate is not trusted, names another host,
     *                     expired; or it refused this client's)
     */
    public SSLSocket clientSocket(java.net.Socket plain, String host, int port) throws IOException {
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(plain, host, port, true);
        SSLParameters p = restricted(socket.getSSLParameters(), socket.getSupportedCipherSuites());
        p.setEndpointIdentificationAlgorithm("HTTPS");
        socket.setSSLParameters(p);
        socket.startHandshake();
        return socket;
    }

    private static SSLParameters restricted(SSLParameters p, String[] supported) {
        p.setProtocols(PROTOCOLS.toArray(String[]::new));
        List<String> suites = new ArrayList<>();
        for (String s : CIPHER_SUITES) {
            if (List.of(supported).contains(s)) {
                suites.add(s);
            }
        }
        p.setCipherSuites(suites.toArray(String[]::new));
        return p;
    }

    private static boolean isPkcs12(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".p12") || name.endsWith(".pfx");
    }

    private static KeyStore pkcs12(Path file, char[] password) throws GeneralSecurityException {
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password);
            return store;
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": " + oneLine(e), e);
        }
    }

    private static KeyStore pemIdentity(Path certificate, Path privateKey, char[] password)
            throws GeneralSecurityException {
        if (privateKey == null) {
            throw new IllegalArgumentException(certificate + ": a PEM certificate needs its private key file too");
        }
        List<X509Certificate> chain = certificates(certificate);
        if (chain.isEmpty()) {
            throw new IllegalArgumentException(certificate + ": no PEM certificate in it");
        }
        PrivateKey key = privateKey(privateKey, chain.get(0).getPublicKey().getAlgorithm());
        KeyStore store = emptyStore();
        store.setKeyEntry("identity", key, password, chain.toArray(Certificate[]::new));
        return store;
    }

    private static KeyStore pemTrust(Path bundle) throws GeneralSecurityException {
        List<X509Certificate> cas = certificates(bundle);
        if (cas.isEmpty()) {
            throw new IllegalArgumentException(bundle + ": no PEM certificate in it");
        }
        KeyStore store = emptyStore();
        for (int i = 0; i < cas.size(); i++) {
            store.setCertificateEntry("ca-" + i, cas.get(i));
        }
        return store;
    }

    private static KeyStore emptyStore() throws GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try {
            store.load(null, null);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return store;
    }

    private static List<X509Certificate> certificates(Path file) throws GeneralSecurityException {
        try (InputStream in = Files.newInputStream(file)) {
            Collection<? extends Certificate> all = CertificateFactory.getInstance("X.509").generateCertificates(in);
            List<X509Certificate> list = new ArrayList<>();
            for (Certificate c : all) {
                list.add((X509Certificate) c);
            }
            return list;
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": " + oneLine(e), e);
        } catch (java.security.cert.CertificateException e) {
            throw new IllegalArgumentException(file + ": not a PEM certificate file (" + e.getMessage() + ")", e);
        }
    }

    private static PrivateKey privateKey(Path file, String algorithm) throws GeneralSecurityException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": " + oneLine(e), e);
        }
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            if (m.group(1).equals("PRIVATE KEY")) {
                byte[] der = Base64.getMimeDecoder().decode(m.group(2));
                try {
                    return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
                } catch (java.security.spec.InvalidKeySpecException e) {
                    throw new IllegalArgumentException(file + ": not a " + algorithm + " PKCS#8 private key", e);
                }
            }
            if (m.group(1).endsWith("PRIVATE KEY")) {
                throw new IllegalArgumentException(file + ": a '" + m.group(1) + "' PEM; convert it to PKCS#8 with "
                        + "'openssl pkcs8 -topk8 -nocrypt -in " + file.getFileName() + "'");
            }
        }
        throw new IllegalArgumentException(file + ": no '-----BEGIN PRIVATE KEY-----' PEM block in it");
    }

    private static String oneLine(IOException e) {
        return e instanceof java.nio.file.NoSuchFileException ? "no such file"
                : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
