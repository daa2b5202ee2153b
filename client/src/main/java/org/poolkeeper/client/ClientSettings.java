package org.poolkeeper.client;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

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
 */
public record ClientSettings(List<RegistrarAddress> registrars, Duration requestTimeout, Duration connectTimeout,
                             Duration reconnectBackoff, Duration cacheStaleTimeout, int maxFrameLength,
                             int sendBuffer) {
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
    }

    /** Defaults: 2 s request timeout, 1 s connect timeout, 200 ms back-off, no cache, 64 KiB frames. */
    public static ClientSettings of(List<RegistrarAddress> registrars) {
        return new ClientSettings(registrars, Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofMillis(200),
                Duration.ZERO, 64 * 1024, 8192);
    }

    public static ClientSettings of(RegistrarAddress... registrars) {
        return of(List.of(registrars));
    }

    public ClientSettings withRequestTimeout(Duration value) {
        return new ClientSettings(registrars, value, connectTimeout, reconnectBackoff, cacheStaleTimeout,
                maxFrameLength, sendBuffer);
    }

    public ClientSettings withCacheStaleTimeout(Duration value) {
        return new ClientSettings(registrars, requestTimeout, connectTimeout, reconnectBackoff, value,
                maxFrameLength, sendBuffer);
    }

    public ClientSettings withReconnectBackoff(Duration value) {
        return new ClientSettings(registrars, requestTimeout, connectTimeout, value, cacheStaleTimeout,
                maxFrameLength, sendBuffer);
    }
}
