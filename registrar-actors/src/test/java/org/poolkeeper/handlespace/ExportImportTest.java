package org.poolkeeper.handlespace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ExportImportTest {
    private static final long SEED = 4242;

    /** A handlespace with every policy, several owners and some selection history. */
    private static Handlespace sample(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Handlespace handlespace = new Handlespace(HandlespaceConfig.DEFAULTS, seed);
        PoolElement[] out = new PoolElement[3];
        long now = 1_000;
        for (PolicyType type : PolicyType.values()) {
            PoolHandle handle = PoolHandle.of("pool-" + type.shortName());
            for (int i = 0; i < 120; i++) {
                int id = 1 + random.nextInt(100);
                PolicyInfo info = new PolicyInfo(type, random.nextInt(), 1 + random.nextInt(9), random.nextInt(3),
                        random.nextInt(1000));
                handlespace.register(handle, id, info, Fixtures.address(id), 1000 + random.nextInt(5000),
                        0x10000001 + random.nextInt(3), now += 7);
                handlespace.resolve(handle, 3, 0, now, out);
            }
        }
        return handlespace;
    }

    private static Map<String, ElementSnapshot> contents(Handlespace handlespace) {
        Map<String, ElementSnapshot> contents = new TreeMap<>();
        for (Pool pool : handlespace.pools()) {
            pool.forEach(e -> contents.put(pool.handle() + "/" + e.id(), e.snapshot()));
        }
        return contents;
    }

    private static Map<String, List<Integer>> orders(Handlespace handlespace) {
        Map<String, List<Integer>> orders = new TreeMap<>();
        for (Pool pool : handlespace.pools()) {
            List<Integer> order = new ArrayList<>();
            pool.forEach(e -> order.add(e.id()));
            orders.put(pool.handle().toString(), order);
        }
        return orders;
    }

    @ParameterizedTest(name = "blocks of {0}")
    @ValueSource(ints = {1, 2, 3, 7, 64, 128, 1000, 100_000})
    void exportImportInBlocksOfAnySizeYieldsAnEqualHandlespace(int blockSize) {
        Handlespace source = sample(SEED);
        Handlespace target = new Handlespace(HandlespaceConfig.DEFAULTS, 99);
        List<Integer> blocks = Fixtures.exportAll(source, blockSize,
                (pool, e) -> assertTrue(target.importElement(pool.handle(), e.snapshot()).isSuccess()));
        assertTrue(blocks.stream().allMatch(n -> n <= blockSize), "a block holds at most the maximum");
        assertTrue(blocks.size() >= source.elementCount() / blockSize);
        target.checkInvariants();
        assertEquals(contents(source), contents(target));
        assertEquals(orders(source), orders(target), "selection order survives the transfer");
        assertEquals(source.checksum(), target.checksum());
        assertEquals(source.elementCount(), target.elementCount());
        for (int owner : source.ownerIds()) {
            assertEquals(source.ownerChecksum(owner), target.ownerChecksum(owner));
            assertEquals(source.ownerElementCount(owner), target.ownerElementCount(owner));
        }
        for (Pool pool : source.pools()) {
            assertEquals(pool.checksum(), target.pool(pool.handle()).checksum());
        }
    }

    @Test
    void importingTheSameExportTwiceChangesNothing() {
        Handlespace source = sample(SEED);
        Handlespace target = new Handlespace(HandlespaceConfig.DEFAULTS, 5);
        for (int round = 0; round < 2; round++) {
            Fixtures.exportAll(source, 50, (pool, e) -> target.importElement(pool.handle(), e.snapshot()));
        }
        assertEquals(contents(source), contents(target));
        assertEquals(source.checksum(), target.checksum());
    }

    @Test
    void exportSkipsElementsRemovedDuringTheExport() {
        Pool pool = Fixtures.pool("shrinking");
        for (int id = 1; id <= 10; id++) {
            Fixtures.register(pool, id, PolicyInfo.of(PolicyType.ROUND_ROBIN), 0);
        }
        ExportCursor cursor = pool.exportCursor();
        List<Integer> exported = new ArrayList<>();
        assertTrue(pool.exportBlock(cursor, 4, e -> exported.add(e.id())));
        pool.deregister(5);
        pool.deregister(6);
        while (pool.exportBlock(cursor, 4, e -> exported.add(e.id()))) {
            // keep going
        }
        assertFalse(cursor.hasMore());
        assertEquals(List.of(1, 2, 3, 4, 7, 8, 9, 10), exported);
    }

    @Test
    void checksumsDoNotDependOnTheOrderOfOperations() {
        List<int[]> registrations = new ArrayList<>();
        for (int pool = 0; pool < 5; pool++) {
            for (int id = 1; id <= 200; id++) {
                registrations.add(new int[] {pool, id, 0x10000001 + (id % 3)});
            }
        }
        Handlespace first = null;
        for (long seed = 1; seed <= 5; seed++) {
            List<int[]> shuffled = new ArrayList<>(registrations);
            Collections.shuffle(shuffled, new java.util.Random(seed));
            Handlespace handlespace = new Handlespace(HandlespaceConfig.DEFAULTS, seed);
            SplittableRandom random = new SplittableRandom(seed);
            for (int[] r : shuffled) {
                PoolHandle handle = PoolHandle.of("pool-" + r[0]);
                handlespace.register(handle, r[1], PolicyInfo.of(PolicyType.RANDOM), Fixtures.address(r[1]), 1000,
                        r[2], 0);
                if (random.nextInt(4) == 0) { // a detour that is undone must not leave a trace
                    int extra = 1000 + random.nextInt(1000);
                    handlespace.register(handle, extra, PolicyInfo.of(PolicyType.RANDOM), Fixtures.address(extra),
                            1000, r[2], 0);
                    handlespace.deregister(handle, extra);
                }
            }
            handlespace.checkInvariants();
            if (first == null) {
                first = handlespace;
                continue;
            }
            assertEquals(first.checksum(), handlespace.checksum(), "seed " + seed);
            for (int owner : first.ownerIds()) {
                assertEquals(first.ownerChecksum(owner), handlespace.ownerChecksum(owner), "seed " + seed);
            }
            for (Pool pool : first.pools()) {
                assertEquals(pool.checksum(), handlespace.pool(pool.handle()).checksum(), "seed " + seed);
            }
        }
    }

    @Test
    void checksumFollowsTheDocumentedFormula() {
        Handlespace handlespace = new Handlespace(HandlespaceConfig.DEFAULTS, 1);
        PoolHandle handle = PoolHandle.of("formula");
        handlespace.register(handle, 7, PolicyInfo.of(PolicyType.RANDOM), Fixtures.address(7), 100, 3, 0);
        handlespace.register(handle, -2, PolicyInfo.of(PolicyType.RANDOM), Fixtures.address(9), 100, 3, 0);
        long expected = Checksums.mix64(handle.hash64() + 0x9E3779B97F4A7C15L * 7L)
                + Checksums.mix64(handle.hash64() + 0x9E3779B97F4A7C15L * 0xFFFFFFFEL);
        assertEquals(expected, handlespace.checksum());
        assertEquals(expected, handlespace.ownerChecksum(3));
        handlespace.deregister(handle, 7);
        handlespace.deregister(handle, -2);
        assertEquals(0, handlespace.checksum());
    }
}
