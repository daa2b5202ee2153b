package org.poolkeeper.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Where a registrar accepts clients: a host (name or IP literal) and its client (ASAP) port.
 *
 * @param host host name or IP literal
 * @param port TCP port, 1–65535
 */
public record RegistrarAddress(String host, int port) {
    public RegistrarAddress {
        Objects.requireNonNull(host, "host");
        if (host.isBlank()) {
            throw new IllegalArgumentException("registrar host must not be empty");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("registrar port must be 1-65535, got " + port);
        }
    }

    /**
     * Parses {@code host:port} ({@code [v6]:port} for IPv6 literals).
     *
     * @throws IllegalArgumentException with a one-line reason if the text is not host:port
     */
    public static RegistrarAddress parse(String text) {
        String trimmed = text.trim();
        int colon = trimmed.lastIndexOf(':');
        if (colon <= 0 || colon == trimmed.length() - 1) {
            throw new IllegalArgumentException("expected host:port, got '" + text + "'");
        }
        String host = trimmed.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(trimmed.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected host:port, got '" + text + "'");
        }
        return new RegistrarAddress(host, port);
    }

    /** Parses a comma-separated list of {@code host:port}. */
    public static List<RegistrarAddress> parseList(String text) {
        List<RegistrarAddress> list = new ArrayList<>();
        for (String part : text.split(",")) {
            if (!part.isBlank()) {
                list.add(parse(part));
            }
        }
        if (list.isEmpty()) {
            throw new IllegalArgumentException("no registrar address given");
        }
        return list;
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
