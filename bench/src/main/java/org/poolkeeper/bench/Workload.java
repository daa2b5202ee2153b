package org.poolkeeper.bench;

import java.util.SplittableRandom;
import org.poolkeeper.handlespace.AddressBlock;
import org.poolkeeper.handlespace.Handlespace;
import org.poolkeeper.handlespace.HandlespaceConfig;
import org.poolkeeper.handlespace.PolicyInfo;
import org.poolkeeper.handlespace.PolicyType;
import org.poolkeeper.handlespace.Pool;
import org.poolkeeper.handlespace.PoolHandle;
import org.poolkeeper.handlespace.Status;
import org.poolkeeper.handlespace.TransportKind;

/**
 * The benchmark workload, identical to the one RSPLIB was measured with: registrar id 0x10000001, pool
 * "BenchPool" (or "Pool-0000" … "Pool-0999"), PE ids a bijective mix of a counter 1, 2, 3 …, one IPv4 address and
 * port per PE, life 90,000 ms, policy information drawn afresh per registration, a synthetic clock advanced by
 * 1 µs per operation, and all randomness from one
 * {@link SplittableRandom} seeded with 42 (the core's own random source is seeded from it too).
 *
 * <p>It keeps, per pool, the ids of the live PEs (and their address blocks) in arrays so that a uniformly random
 * PE is one draw and a removal is a swap with the last slot: the measured loops allocate nothing of their own.
 * Not thread-safe; one loop owns one workload.
 */
final class Workload {
    static final int REGISTRAR_ID = 0x10000001;
    static final int LIFE_MS = 90_000;
    static final long LIFE_US = LIFE_MS * 1000L;
    static final long SEED = 42;
    static final String SINGLE_POOL = "BenchPool";

    final PolicyType policy;
    final int poolCount;
    final int pesPerPool;
    final SplittableRandom random = new SplittableRandom(SEED);
    final HandlespaceConfig config;
    final long coreSeed;
    final PoolHandle[] handles;
    final Pool[] pools;
    final int[][] live;
    final AddressBlock[][] liveAddresses;
    final int[] liveCount;
    Handlespace hs;
    int counter;
    long now;
    /** Operations whose status was not the expected one; a correct run keeps this at 0. */
    long failures;

    Workload(PolicyType policy, int poolCount, int pesPerPool, int slack) {
        this.policy = policy;
        this.poolCount = poolCount;
        this.pesPerPool = pesPerPool;
        this.config = HandlespaceConfig.DEFAULTS.withMaxElementsPerPool(Math.max(100_000, 2 * pesPerPool + slack + 1024));
        this.coreSeed = random.nextLong();
        this.handles = new PoolHandle[poolCount];
        for (int i = 0; i < poolCount; i++) {
            handles[i] = PoolHandle.of(poolCount == 1 ? SINGLE_POOL : String.format("Pool-%04d", i));
        }
        this.pools = new Pool[poolCount];
        this.live = new int[poolCount][pesPerPool + slack + 2];
        this.liveAddresses = new AddressBlock[poolCount][pesPerPool + slack + 2];
        this.liveCount = new int[poolCount];
        this.hs = new Handlespace(config, coreSeed);
    }

    /** LU loads uniform 32-bit, WRAND weights uniform 1-1000; priority and degradation for the other policies. */
    static PolicyInfo randomInfo(PolicyType policy, SplittableRandom random) {
        int load = random.nextInt();
        int weight = 1 + random.nextInt(1000);
        int priority = random.nextInt(16);
        int degradation = random.nextInt(1 << 24);
        return new PolicyInfo(policy, load, weight, priority, degradation);
    }

    /** The PE id for counter value {@code c}: MurmurHash3's 32-bit finalizer, a bijection with 0 only at 0. */
    static int peId(int c) {
        int h = c;
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }

    /** One IPv4 address (10.x.y.z) and port per PE, derived from its counter. */
    static AddressBlock address(int c) {
        return AddressBlock.ipv4(0x0A000000 | (c & 0x00FFFFFF), 1 + (c & 0x7FFF), TransportKind.TCP);
    }

    int totalPes() {
        return poolCount * pesPerPool;
    }

    /** Registers N PEs into every pool (round-robin over the pools, so deadlines interleave). */
    Workload fill() {
        for (int k = 0; k < pesPerPool; k++) {
            for (int p = 0; p < poolCount; p++) {
                addNew(p);
            }
        }
        refreshPools();
        if (failures != 0) {
            throw new IllegalStateException(failures + " registrations failed while filling");
        }
        return this;
    }

    /** Starts again from an empty handlespace (same handles, new ids), e.g. after bulk expiry. */
    void refill() {
        hs = new Handlespace(config, random.nextLong());
        java.util.Arrays.fill(liveCount, 0);
        fill();
    }

    void refreshPools() {
        for (int p = 0; p < poolCount; p++) {
            pools[p] = hs.pool(handles[p]);
        }
    }

    /**
     * Fresh policy information for a registration or re-registration, drawn as RSPLIB's harness draws it: every
     * load and weight anew (a ring of 65,536 pre-drawn values made several of 100,000 PEs tie for the lowest load).
     */
    PolicyInfo nextInfo() {
        return randomInfo(policy, random);
    }

    int pickPool() {
        return poolCount == 1 ? 0 : random.nextInt(poolCount);
    }

    /** Registers a brand-new PE into pool {@code p} and tracks it; returns its id. */
    int addNew(int p) {
        int c = ++counter;
        int id = peId(c);
        AddressBlock address = address(c);
        if (hs.register(handles[p], id, nextInfo(), address, LIFE_MS, REGISTRAR_ID, ++now) != Status.ADDED) {
            failures++;
        }
        int slot = liveCount[p]++;
        live[p][slot] = id;
        liveAddresses[p][slot] = address;
        return id;
    }

    /** Registers a brand-new PE into pool {@code p} without tracking it (expiry loops never pick PEs). */
    void addUntracked(int p) {
        int c = ++counter;
        if (hs.register(handles[p], peId(c), nextInfo(), address(c), LIFE_MS, REGISTRAR_ID, ++now) != Status.ADDED) {
            failures++;
        }
    }

    /** Deregisters a uniformly random tracked PE of pool {@code p}. */
    void removeRandom(int p) {
        int[] ids = live[p];
        int n = liveCount[p] - 1;
        int i = random.nextInt(n + 1);
        int id = ids[i];
        ids[i] = ids[n];
        AddressBlock[] addresses = liveAddresses[p];
        addresses[i] = addresses[n];
        addresses[n] = null;
        liveCount[p] = n;
        if (hs.deregister(handles[p], id) != Status.REMOVED) {
            failures++;
        }
    }

    /** A uniformly random slot among pool {@code p}'s tracked PEs. */
    int pickSlot(int p) {
        return random.nextInt(liveCount[p]);
    }

    void checkNoFailures(String what) {
        if (failures != 0) {
            throw new IllegalStateException(what + ": " + failures + " operations did not return the expected status");
        }
    }
}
