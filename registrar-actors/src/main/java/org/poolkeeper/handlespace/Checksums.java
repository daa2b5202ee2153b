package org.poolkeeper.handlespace;

/**
 * The handlespace checksum, shared by pools, owners and (in the cluster) shards.
 *
 * <p>A PE with identifier {@code id} in the pool with handle {@code ph} contributes
 * <pre>  c(ph, id) = mix64(hash64(ph) + 0x9E3779B97F4A7C15 * (id as unsigned 32-bit))</pre>
 * where {@code hash64} is FNV-1a 64 of the handle's bytes passed through {@code mix64}, and
 * {@code mix64} is the SplitMix64 finalizer. A checksum is the sum of the contributions modulo
 * 2<sup>64</sup>: commutative, so it does not depend on the order of operations, and updated in O(1) per
 * change (add on insert, subtract on removal). Like ENRP's checksum it covers membership (pool handle and
 * PE identifier), not the PEs' changing attributes.
 */
public final class Checksums {
    private Checksums() {
    }

    /** The contribution of one PE to a checksum. */
    public static long contribution(PoolHandle handle, int peId) {
        return mix64(handle.hash64() + 0x9E3779B97F4A7C15L * Integer.toUnsignedLong(peId));
    }

    /** SplitMix64's finalizer: a bijective 64-bit mix. */
    public static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
