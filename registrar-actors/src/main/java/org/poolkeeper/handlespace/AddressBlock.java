package org.poolkeeper.handlespace;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * A PE's transport addresses (1 to 64), stored as one compact byte array so that a PE with one IPv4
 * address costs 24 bytes of heap instead of three objects. Immutable.
 *
 * <pre>
 * per address:  +------+-----+--------------------+-----------+
 *               | kind | len | address (len bytes)| port (BE) |
 *               |  1   |  1  |      4 or 16       |     2     |
 *               +------+-----+--------------------+-----------+
 * </pre>
 */
public final class AddressBlock {
    /** The most addresses one PE may register (the and RSPLIB's limit). */
    public static final int MAX_ADDRESSES = 64;

    private final byte[] encoded;
    private final int count;

    private AddressBlock(byte[] encoded, int count) {
        this.encoded = encoded;
        this.count = count;
    }

    /**
     * @throws IllegalArgumentException if there are no addresses, more than {@link #MAX_ADDRESSES}, or a null
     */
    public static AddressBlock of(Collection<TransportAddress> addresses) {
        if (addresses.isEmpty() || addresses.size() > MAX_ADDRESSES) {
            throw new IllegalArgumentException("a PE needs 1-" + MAX_ADDRESSES + " transport addresses, got "
                    + addresses.size());
        }
        int size = 0;
        for (TransportAddress address : addresses) {
            size += 4 + address.ipLength();
        }
        byte[] bytes = new byte[size];
        int at = 0;
        for (TransportAddress address : addresses) {
            bytes[at++] = (byte) address.kind().ordinal();
            int length = address.ipLength();
            bytes[at++] = (byte) length;
            for (int i = 0; i < length; i++) {
                bytes[at++] = address.ipByte(i);
            }
            bytes[at++] = (byte) (address.port() >>> 8);
            bytes[at++] = (byte) address.port();
        }
        return new AddressBlock(bytes, addresses.size());
    }

    public static AddressBlock of(TransportAddress... addresses) {
        return of(Arrays.asList(addresses));
    }

    /** One IPv4 address given as an int (network byte order), without intermediate objects. */
    public static AddressBlock ipv4(int address, int port, TransportKind kind) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1-65535, got " + port);
        }
        byte[] bytes = {(byte) kind.ordinal(), 4, (byte) (address >>> 24), (byte) (address >>> 16),
                (byte) (address >>> 8), (byte) address, (byte) (port >>> 8), (byte) port};
        return new AddressBlock(bytes, 1);
    }

    static AddressBlock wrap(byte[] encoded) {
        int count = 0;
        for (int at = 0; at < encoded.length; at += 4 + encoded[at + 1]) {
            count++;
        }
        return new AddressBlock(encoded, count);
    }

    /** Receives one address without intermediate objects; the buffer must not be modified or kept. */
    @FunctionalInterface
    public interface Visitor {
        void visit(TransportKind kind, byte[] buffer, int offset, int length, int port);
    }

    /** Visits the addresses in order without allocating. */
    public void forEach(Visitor visitor) {
        for (int at = 0; at < encoded.length; ) {
            int length = encoded[at + 1];
            int port = ((encoded[at + 2 + length] & 0xFF) << 8) | (encoded[at + 3 + length] & 0xFF);
            visitor.visit(TransportKind.ofOrdinal(encoded[at]), encoded, at + 2, length, port);
            at += 4 + length;
        }
    }

    byte[] encoded() {
        return encoded;
    }

    public int size() {
        return count;
    }

    public List<TransportAddress> addresses() {
        List<TransportAddress> list = new ArrayList<>(count);
        for (int at = 0; at < encoded.length; ) {
            TransportKind kind = TransportKind.ofOrdinal(encoded[at]);
            int length = encoded[at + 1];
            byte[] ip = Arrays.copyOfRange(encoded, at + 2, at + 2 + length);
            int port = ((encoded[at + 2 + length] & 0xFF) << 8) | (encoded[at + 3 + length] & 0xFF);
            list.add(new TransportAddress(kind, ip, port));
            at += 4 + length;
        }
        return list;
    }

    /** True if the two encoded blocks have at least one address in common. */
    static boolean sharesAddress(byte[] a, byte[] b) {
        for (int i = 0; i < a.length; i += 4 + a[i + 1]) {
            int lengthA = 4 + a[i + 1];
            for (int j = 0; j < b.length; j += 4 + b[j + 1]) {
                if (lengthA == 4 + b[j + 1] && Arrays.equals(a, i, i + lengthA, b, j, j + lengthA)) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AddressBlock other && Arrays.equals(encoded, other.encoded);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encoded);
    }

    @Override
    public String toString() {
        return addresses().toString();
    }
}
