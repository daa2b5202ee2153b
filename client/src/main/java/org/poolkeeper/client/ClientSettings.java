package org.poolkeeper.client;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.poolkeeper.protocol.tls.TlsMaterial;

/**
 * How a client reaches registrars.
 *
 * @param registrars        the registrars to try, in order; more are learned from ServerAnnounce messages
 * @param requestTimeout    how long a request waits for its response before the registrar counts as failed
 * @param connectTimeout    how long a TCP connection attempt may take
 * @param reconnectBackoff  pause before another round of connection attempts after all registrars failed
 * @param cacheStaleTimeout how long a pool user may answer a resolution from its cache (zero: no cache)
 * @param maxFrameLength    the largest message, in bytes (must match the registrars')
 * @param sendBuffer        messages queued per connection before sends are refused
 * @param tls               TLS to the registrars (their CAs, this client's certificate if they ask for one);
 *                          null: plaintext, for registrars on loopback
 * @param token             the token this client presents on every connection, for registrars whose
 *                          authorization rules name clients by token; null: none
 */
public record ClientSettings(List<RegistrarAddress> registrars, Duration requestTimeout, Duration connectTimeout,
                             Duration reconnectBackoff, Duration cacheStaleTimeout, int maxFrameLength,
                             int sendBuffer, TlsMaterial tls, String token) {
    public ClientSettings {
        registrars = List.copyOf(registrars);
        if (registrars.isEmpty()) {
            throw new IllegalArgumentException("at least one registrar is needed");
        }
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(reconnectBackoff, "reconnectBackoff");
        Objects.requireNonNull(cacheStaleTimeout, "cacheStaleTimeout");
        if (maxFrameLength < 1024) {
            throw new IllegalArgumentException("maxFrameLength must be at least 1024");
        }
        if (sendBuffer < 1) {
            throw new IllegalArgumentException("sendBuffer must be at least 1");
        }
        if (token != null
                && (token.isEmpty() || token.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 256)) {
            throw new IllegalArgumentException("a token has 1..256 bytes");
        }
    }

    /** Defaults: 2 s request timeout, 1 s connect timeout, 200 ms back-off, no cache, 64 KiB frames. */
    public static ClientSettings of(List<RegistrarAddress> registrars) {
        return new ClientSettings(registrars, Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofMillis(200),
                Duration.ZERO, 64 * 1024, 8192, null, null);
    }

    public static ClientSettings of(RegistrarAddress... registrars) {
        return of(List.of(registrars));
    }

    /**
     * From {@code poolkeeper.client} in {@code config} (see the client's {@code reference.conf}); the frame limit
     * is the protocol's {@code poolkeeper.protocol.max-frame-length}.
     *
     * @throws IllegalArgumentException with the key and a one-line reason for a missing or invalid value
     */
    public static ClientSettings fromConfig(Config config) {
        try {
            Config c = config.getConfig("poolkeeper.client");
            List<RegistrarAddress> registrars = new java.util.ArrayList<>();
            for (String r : c.getStringList("registrars")) {
                registrars.add(RegistrarAddress.parse(r));
            }
            long frame = config.getBytes("poolkeeper.protocol.max-frame-length");
            return new ClientSettings(registrars, c.getDuration("request-timeout"), c.getDuration("connect-timeout"),
                    c.getDuration("reconnect-backoff"), c.getDuration("cache-stale-timeout"),
                    (int) Math.min(frame, Integer.MAX_VALUE), c.getInt("send-buffer"), tls(c.getConfig("tls")),
                    c.getString("token").isEmpty() ? null : c.getString("token"));
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("poolkeeper.client: " + e.getMessage(), e);
        }
    }

    /** {@link #fromConfig} of the application's configuration ({@code application.conf}, -D, reference.conf). */
    public static ClientSettings load() {
        return fromConfig(ConfigFactory.load());
    }

    /** The same settings over TLS with {@code value} (null: plaintext). */
    public ClientSettings withTls(TlsMaterial value) {
        return new ClientSettings(registrars, requestTimeout, connectTimeout, reconnectBackoff, cacheStaleTimeout,
                maxFrameLength, sendBuffer, value, token);
    }

    /** The same settings presenting {@code value} as this client's token on every connection (null: none). */
    public ClientSettings withToken(String value) {
        return new ClientSettings(registrars, requestTimeout, connectTimeout, reconnectBackoff, cacheStaleTimeout,
                maxFrameLength, sendBuffer, tls, value);
    }

    /** {@code poolkeeper.client.tls}: null when it is off. */
    private static TlsMaterial tls(Config c) {
        if (!c.getBoolean("enabled")) {
            return null;
        }
        try {
            return TlsMaterial.load(c);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tls: " + e.getMessage(), e);
        }
    }

    public ClientSettings withRequestTimeout(Duration value) {
        return new ClientSettings(registrars, value, connectTimeout, reconnectBackoff, cacheStaleTimeout,
                maxFrameLength, sendBuffer, tls, token);
    }

    public ClientSettings withCacheStaleTimeout(Duration value) {
        return new ClientSettings(registrars, requestTimeout, connectTimeout, reconnectBackoff, value,
                maxFrameLength, sendBuffer, tls, token);
    }

    public ClientSettings withReconnectBackoff(Duration value) {
        return new ClientSettings(registrars, requestTimeout, connectTimeout, value, cacheStaleTimeout,
                maxFrameLength, sendBuffer, tls, token);
    }
}
