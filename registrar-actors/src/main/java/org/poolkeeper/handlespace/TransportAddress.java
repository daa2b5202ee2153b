package org.poolkeeper.handlespace;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Objects;

/**
 * One transport address of a PE: an IPv4 (4 bytes) or IPv6 (16 bytes) address, a port 1–65535 and a
 * transport kind. Immutable; the address bytes are copied in and out.
 */
public final class TransportAddress {
    private final TransportKind kind;
    private final byte[] ip;
    private final int port;

    /**
     * @throws IllegalArgumentException if {@code ip} is not 4 or 16 bytes or {@code port} is outside 1–65535
     */
    public TransportAddress(TransportKind kind, byte[] ip, int port) {
        this.kind = Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(ip, "ip");
        if (ip.length != 4 && ip.length != 16) {
            throw new IllegalArgumentException("address must be 4 (IPv4) or 16 (IPv6) bytes, got " + ip.length);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1-65535, got " + port);
        }
        this.ip = ip.clone();
        this.port = port;
    }

    /**
     * Parses an IP literal (dotted IPv4 or IPv6); never resolves a host name.
     *
     * @throws IllegalArgumentException if {@code literal} is not an IP literal or the port is invalid
     */
    public static TransportAddress of(String literal, int port, TransportKind kind) {
        return new TransportAddress(kind, parseIpLiteral(literal), port);
    }

    /** A TCP address for an IP literal. */
    public static TransportAddress tcp(String literal, int port) {
        return of(literal, port, TransportKind.TCP);
    }

    static byte[] parseIpLiteral(String literal) {
        Objects.requireNonNull(literal, "literal");
        if (literal.indexOf(':') >= 0) {
            try {
                // Only literals reach here (they contain ':'), so this performs no name lookup.
                byte[] bytes = InetAddress.getByName(literal).getAddress();
                if (bytes.length == 16 || bytes.length == 4) {
                    return bytes;
                }
            } catch (UnknownHostException | SecurityException e) {
                // fall through to the error below
            }
            throw new IllegalArgumentException("not an IP address: " + literal);
        }
        String[] parts = literal.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IP address: " + literal);
        }
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            int value;
            try {
                value = parts[i].isEmpty() || parts[i].length() > 3 ? -1 : Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                value = -1;
            }
            if (value < 0 || value > 255) {
                throw new IllegalArgumentException("not an IP address: " + literal);
            }
            bytes[i] = (byte) value;
        }
        return bytes;
    }

    public TransportKind kind() {
        return kind;
    }

    /** A copy of the address bytes (4 or 16). */
    public byte[] ip() {
        return ip.clone();
    }

    int ipLength() {
        return ip.length;
    }

    byte ipByte(int i) {
        return ip[i];
    }

    public int port() {
        return port;
    }

    /** The address as text: {@code 10.0.0.1:4711/TCP} or {@code [::1]:4711/TCP}. */
    public String hostString() {
        if (ip.length == 4) {
            return (ip[0] & 0xFF) + "." + (ip[1] & 0xFF) + "." + (ip[2] & 0xFF) + "." + (ip[3] & 0xFF);
        }
        try {
            return InetAddress.getByAddress(ip).getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // cannot happen: the length was checked
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TransportAddress other
                && kind == other.kind && port == other.port && Arrays.equals(ip, other.ip);
    }

    @Override
    public int hashCode() {
        return (Arrays.hashCode(ip) * 31 + port) * 31 + kind.hashCode();
    }

    @Override
    public String toString() {
        String host = hostString();
        return (ip.length == 16 ? "[" + host + "]" : host) + ":" + port + "/" + kind;
    }
}
