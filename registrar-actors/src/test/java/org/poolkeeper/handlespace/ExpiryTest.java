package org.poolkeeper.handlespace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ExpiryTest {

    private static Status register(Pool pool, int id, int lifeMs, long now) {
        return pool.register(id, PolicyInfo.of(PolicyType.ROUND_ROBIN), Fixtures.address(id), lifeMs,
                Fixtures.HOME, now);
    }

    @Test
    void elementsLeaveInDeadlineOrderExactlyWhenDue() {
        Pool pool = Fixtures.pool("expiry");
        register(pool, 1, 30, 0);   // due at 30,000 us
        register(pool, 2, 10, 0);   // due at 10,000 us
        register(pool, 3, 20, 0);   // due at 20,000 us
        register(pool, 4, 20, 500); // due at 20,500 us
        assertEquals(10_000, pool.nextDeadline());
        assertEquals(List.of(), pool.expire(9_999));
        assertEquals(List.of(2), ids(pool.expire(10_000)));
        assertEquals(20_000, pool.nextDeadline());
        assertEquals(List.of(3, 4), ids(pool.expire(25_000)));
        assertEquals(30_000, pool.nextDeadline());
        assertEquals(List.of(1), ids(pool.expire(Long.MAX_VALUE - 1)));
        assertEquals(Long.MAX_VALUE, pool.nextDeadline(), "an empty pool has no deadline");
        assertTrue(pool.isEmpty());
        assertEquals(null, pool.policy(), "an empty pool forgets its policy");
    }

    @Test
    void reregistrationMovesTheDeadline() {
        Pool pool = Fixtures.pool("rereg");
        register(pool, 1, 10, 0);
        register(pool, 2, 15, 0);
        register(pool, 1, 10, 8_000); // now due at 18,000
        assertEquals(15_000, pool.nextDeadline());
        assertEquals(List.of(2), ids(pool.expire(17_999)));
        assertEquals(18_000, pool.nextDeadline());
        assertEquals(List.of(1), ids(pool.expire(18_000)));
    }

    @Test
    void setDeadlineCancelsAndRearmsTheTimer() {
        Pool pool = Fixtures.pool("rearm");
        register(pool, 1, 10, 0);
        register(pool, 2, 20, 0);
        assertEquals(Status.UPDATED, pool.setDeadline(2, 5_000));
        assertEquals(5_000, pool.nextDeadline());
        assertEquals(Status.UNKNOWN_POOL_ELEMENT, pool.setDeadline(3, 1));
        assertEquals(List.of(2), ids(pool.expire(5_000)));
    }

    @Test
    void nextDeadlineIsAlwaysTheEarliest() {
        long seed = 77;
        SplittableRandom random = new SplittableRandom(seed);
        Pool pool = Fixtures.pool("random-deadlines");
        long now = 0;
        java.util.Map<Integer, Long> deadlines = new java.util.HashMap<>();
        for (int step = 0; step < 20_000; step++) {
            now += random.nextInt(200);
            int id = 1 + random.nextInt(500);
            int action = random.nextInt(3);
            if (action == 0) {
                int life = 1 + random.nextInt(50);
                register(pool, id, life, now);
                deadlines.put(id, now + life * 1000L);
            } else if (action == 1) {
                pool.deregister(id);
                deadlines.remove(id);
            } else {
                long limit = now;
                for (PoolElement e : pool.expire(now)) {
                    assertTrue(deadlines.remove(e.id()) <= limit, "seed " + seed);
                }
            }
            long expected = deadlines.values().stream().mapToLong(Long::longValue).min().orElse(Long.MAX_VALUE);
            assertEquals(expected, pool.nextDeadline(), "seed " + seed + ", step " + step);
            pool.checkInvariants();
        }
    }

    @Test
    void handlespaceExpiresAcrossPoolsAndDropsEmptyPools() {
        Handlespace handlespace = new Handlespace(HandlespaceConfig.DEFAULTS, 1);
        PoolHandle a = PoolHandle.of("a");
        PoolHandle b = PoolHandle.of("b");
        handlespace.register(a, 1, PolicyInfo.of(PolicyType.RANDOM), Fixtures.address(1), 10, 1, 0);
        handlespace.register(b, 1, PolicyInfo.of(PolicyType.RANDOM), Fixtures.address(1), 20, 1, 0);
        assertEquals(10_000, handlespace.nextDeadline());
        List<String> expired = new ArrayList<>();
        assertEquals(1, handlespace.expire(15_000, (pool, e) -> expired.add(pool.handle() + "/" + e.id())));
        assertEquals(List.of("a/1"), expired);
        assertEquals(null, handlespace.pool(a));
        assertEquals(1, handlespace.poolCount());
        handlespace.checkInvariants();
    }

    private static List<Integer> ids(List<PoolElement> elements) {
        return elements.stream().map(PoolElement::id).toList();
    }
}
