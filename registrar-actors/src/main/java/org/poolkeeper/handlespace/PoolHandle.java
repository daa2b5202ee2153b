package org.poolkeeper.handlespace;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The name of a pool: an opaque, non-empty byte string (printable in practice). Its length limit is a
 * registrar setting ({@link HandlespaceConfig#maxPoolHandleLength()}), checked where a handle enters the
 * handlespace. Immutable; the 64-bit hash used by checksums is computed once.
 */
public final class PoolHandle implements Comparable<PoolHandle> {
    private final byte[] bytes;
    private final long hash64;

    private PoolHandle(byte[] bytes) {
        if (bytes.length == 0) {
            throw new IllegalArgumentException("a pool handle must not be empty");
        }
        this.bytes = bytes;
        long h = 0xcbf29ce484222325L; // FNV-1a, then a finalizer so that similar names spread well
        for (byte b : bytes) {
            h = (h ^ (b & 0xFF)) * 0x100000001b3L;
        }
        this.hash64 = Checksums.mix64(h);
    }

    /** @throws IllegalArgumentException if {@code name} is empty */
    public static PoolHandle of(String name) {
        return new PoolHandle(name.getBytes(StandardCharsets.UTF_8));
    }

    /** @throws IllegalArgumentException if {@code bytes} is empty */
    public static PoolHandle of(byte[] bytes) {
        return new PoolHandle(bytes.clone());
    }

    /** A copy of the handle's bytes. */
    public byte[] bytes() {
        return bytes.clone();
    }

    /** The handle's bytes as a read-only buffer (no copy). */
    public java.nio.ByteBuffer asReadOnlyBuffer() {
        return java.nio.ByteBuffer.wrap(bytes).asReadOnlyBuffer();
    }

    public int length() {
        return bytes.length;
    }

    /** The 64-bit hash that enters the checksums. */
    public long hash64() {
        return hash64;
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof PoolHandle other && hash64 == other.hash64 && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return (int) (hash64 ^ (hash64 >>> 32));
    }

    @Override
    public int compareTo(PoolHandle other) {
        return Arrays.compareUnsigned(bytes, other.bytes);
    }

    /** The handle as UTF-8 text, with non-printable bytes escaped as {@code \xNN}. */
    @Override
    public String toString() {
        boolean printable = true;
        for (byte b : bytes) {
            if (b < 0x20 || b == 0x7F) {
                printable = false;
                break;
            }
        }
        if (printable) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
        StringBuilder text = new StringBuilder();
        for (byte b : bytes) {
            if (b >= 0x20 && b < 0x7F) {
                text.append((char) b);
            } else {
                text.append(String.format("\\x%02x", b & 0xFF));
            }
        }
        return text.toString();
    }
}
