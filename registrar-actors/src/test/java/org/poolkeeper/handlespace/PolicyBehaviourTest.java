package org.poolkeeper.handlespace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.poolkeeper.handlespace.Fixtures.register;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.commons.math3.stat.inference.ChiSquareTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PolicyBehaviourTest {
    private static final int DRAWS = 100_000;
    private final PoolElement[] out = new PoolElement[128];

    private int resolveOne(Pool pool) {
        assertEquals(1, pool.resolve(1, 0, 0, out));
        return out[0].id();
    }

    @Test
    void roundRobinVisitsEveryElementOncePerCycle() {
        Pool pool = Fixtures.pool("rr");
        for (int id = 1; id <= 10; id++) {
            register(pool, id, PolicyInfo.of(PolicyType.ROUND_ROBIN), 0);
        }
        List<Integer> firstCycle = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            firstCycle.add(resolveOne(pool));
        }
        assertEquals(10, new HashSet<>(firstCycle).size(), "every PE once per cycle");
        for (int cycle = 0; cycle < 5; cycle++) {
            for (int i = 0; i < 10; i++) {
                assertEquals(firstCycle.get(i), resolveOne(pool), "cycle " + cycle + " keeps the order");
            }
        }
    }

    @Test
    void roundRobinWithThreeItemsAdvancesByOne() {
        Pool pool = Fixtures.pool("rr3");
        for (int id = 1; id <= 4; id++) {
            register(pool, id, PolicyInfo.of(PolicyType.ROUND_ROBIN), 0);
        }
        assertEquals(3, pool.resolve(3, 0, 0, out));
        assertEquals(List.of(1, 2, 3), ids(3));
        pool.resolve(3, 0, 0, out);
        assertEquals(List.of(2, 3, 4), ids(3));
        pool.resolve(3, 3, 0, out); // MaxIncrement 3: all three go to the back
        assertEquals(List.of(3, 4, 1), ids(3));
        pool.resolve(3, 0, 0, out);
        assertEquals(List.of(2, 3, 4), ids(3));
    }

    private List<Integer> ids(int count) {
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add(out[i].id());
        }
        return ids;
    }

    @Test
    void weightedRoundRobinPicksEachElementWeightTimesPerRound() {
        Pool pool = Fixtures.pool("wrr");
        for (int id = 1; id <= 3; id++) {
            register(pool, id, PolicyInfo.weighted(PolicyType.WEIGHTED_ROUND_ROBIN, id), 0);
        }
        int[] counts = new int[4];
        for (int round = 0; round < 10; round++) {
            for (int i = 0; i < 6; i++) {
                counts[resolveOne(pool)]++;
            }
        }
        assertEquals(10, counts[1]);
        assertEquals(20, counts[2]);
        assertEquals(30, counts[3]);
    }

    @Test
    void leastUsedPicksTheLeastLoadedAndFollowsReregistration() {
        Pool pool = Fixtures.pool("lu");
        register(pool, 1, PolicyInfo.leastUsed(PolicyType.LEAST_USED, 500), 0);
        register(pool, 2, PolicyInfo.leastUsed(PolicyType.LEAST_USED, 100), 0);
        register(pool, 3, PolicyInfo.leastUsed(PolicyType.LEAST_USED, 300), 0);
        assertEquals(2, resolveOne(pool));
        assertEquals(2, resolveOne(pool), "a lone least-loaded PE keeps being chosen");
        register(pool, 2, PolicyInfo.leastUsed(PolicyType.LEAST_USED, 900), 1);
        assertEquals(3, resolveOne(pool), "re-registration with a higher load moves the PE back");
        register(pool, 1, PolicyInfo.leastUsed(PolicyType.LEAST_USED, 0), 2);
        assertEquals(1, resolveOne(pool));
        register(pool, 3, PolicyInfo.leastUsed(PolicyType.LEAST_USED, 0xFFFFFFFF), 3); // unsigned: the maximum load
        pool.resolve(3, 0, 0, out);
        assertEquals(List.of(1, 2, 3), ids(3));
    }

    @Test
    void leastUsedRotatesAmongEquallyLoadedElements() {
        Pool pool = Fixtures.pool("lu-ties");
        for (int id = 1; id <= 3; id++) {
            register(pool, id, PolicyInfo.leastUsed(PolicyType.LEAST_USED, 7), 0);
        }
        register(pool, 4, PolicyInfo.leastUsed(PolicyType.LEAST_USED, 8), 0);
        List<Integer> picks = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            picks.add(resolveOne(pool));
        }
        assertEquals(List.of(1, 2, 3, 1, 2, 3), picks);
    }

    @Test
    void degradationShiftsSelectionAndResetsOnReregistration() {
        Pool pool = Fixtures.pool("lud");
        register(pool, 1, new PolicyInfo(PolicyType.LEAST_USED_DEGRADATION, 100, 1, 0, 50), 0);
        register(pool, 2, new PolicyInfo(PolicyType.LEAST_USED_DEGRADATION, 120, 1, 0, 0), 0);
        assertEquals(1, resolveOne(pool)); // 100 -> degraded to 150
        assertEquals(50, pool.find(1).accumulatedDegradation());
        assertEquals(2, resolveOne(pool)); // 120 < 150
        assertEquals(2, resolveOne(pool)); // no degradation announced: stays 120
        register(pool, 1, new PolicyInfo(PolicyType.LEAST_USED_DEGRADATION, 100, 1, 0, 50), 1);
        assertEquals(0, pool.find(1).accumulatedDegradation(), "re-registration resets the degradation");
        assertEquals(1, resolveOne(pool));
    }

    @Test
    void priorityLeastUsedAddsTheAnnouncedDegradation() {
        Pool pool = Fixtures.pool("plu");
        register(pool, 1, new PolicyInfo(PolicyType.PRIORITY_LEAST_USED, 100, 1, 0, 200), 0);
        register(pool, 2, new PolicyInfo(PolicyType.PRIORITY_LEAST_USED, 250, 1, 0, 0), 0);
        assertEquals(2, resolveOne(pool), "250 + 0 < 100 + 200");
        assertEquals(2, resolveOne(pool), "the announced degradation does not accumulate");
    }

    @Test
    void priorityOrderHolds() {
        Pool pool = Fixtures.pool("prio");
        register(pool, 1, new PolicyInfo(PolicyType.PRIORITY, 0, 1, 1, 0), 0);
        register(pool, 2, new PolicyInfo(PolicyType.PRIORITY, 0, 1, 5, 0), 0);
        register(pool, 3, new PolicyInfo(PolicyType.PRIORITY, 0, 1, 3, 0), 0);
        register(pool, 4, new PolicyInfo(PolicyType.PRIORITY, 0, 1, 5, 0), 0);
        pool.resolve(4, 0, 0, out);
        assertEquals(List.of(2, 4, 3, 1), ids(4), "highest priority first, ties by sequence");
        pool.resolve(4, 0, 0, out);
        assertEquals(List.of(4, 2, 3, 1), ids(4), "equal priorities take turns");
    }

    @Test
    void randomMatchesUniformFrequencies() {
        Pool pool = Fixtures.pool("rand");
        int n = 10;
        for (int id = 1; id <= n; id++) {
            register(pool, id, PolicyInfo.of(PolicyType.RANDOM), 0);
        }
        long[] observed = new long[n];
        double[] expected = new double[n];
        for (int i = 0; i < DRAWS; i++) {
            observed[resolveOne(pool) - 1]++;
        }
        java.util.Arrays.fill(expected, 1.0);
        assertChiSquare(expected, observed);
    }

    @Test
    void weightedRandomMatchesTheWeights() {
        Pool pool = Fixtures.pool("wrand");
        int n = 8;
        double[] expected = new double[n];
        for (int id = 1; id <= n; id++) {
            register(pool, id, PolicyInfo.weighted(PolicyType.WEIGHTED_RANDOM, id * id), 0);
            expected[id - 1] = id * id;
        }
        long[] observed = new long[n];
        for (int i = 0; i < DRAWS; i++) {
            observed[resolveOne(pool) - 1]++;
        }
        assertChiSquare(expected, observed);
    }

    @Test
    void randomizedLeastUsedFavoursTheLeastLoaded() {
        Pool pool = Fixtures.pool("rlu");
        long[] loads = {0L, 0x40000000L, 0x80000000L, 0xC0000000L, 0xFFFFFFF0L};
        double[] expected = new double[loads.length];
        for (int i = 0; i < loads.length; i++) {
            register(pool, i + 1, PolicyInfo.leastUsed(PolicyType.RANDOMIZED_LEAST_USED, (int) loads[i]), 0);
            expected[i] = Math.max(1, PolicyType.MAX_LOAD - loads[i]);
        }
        long[] observed = new long[loads.length];
        for (int i = 0; i < DRAWS; i++) {
            observed[resolveOne(pool) - 1]++;
        }
        assertChiSquare(expected, observed);
    }

    @Test
    void randomDrawsWithoutReplacement() {
        for (PolicyType type : new PolicyType[] {PolicyType.RANDOM, PolicyType.WEIGHTED_RANDOM,
                PolicyType.RANDOMIZED_LEAST_USED}) {
            Pool pool = Fixtures.pool("draw-" + type.shortName());
            for (int id = 1; id <= 5; id++) {
                register(pool, id, new PolicyInfo(type, id * 1000, id, 0, 0), 0);
            }
            for (int i = 0; i < 2_000; i++) {
                assertEquals(5, pool.resolve(5, 0, 0, out));
                Set<Integer> seen = new HashSet<>(ids(5));
                assertEquals(5, seen.size(), type + " returned a PE twice");
            }
            pool.checkInvariants();
        }
    }

    @Test
    void weightedDrawsWithoutReplacementFollowTheWeightNotDrawnYet() {
        // small pool: redraws often hit the PE drawn first; every ordered pair (a, b) has the chance
        // w_a / W * w_b / (W - w_a)
        int[] weights = {1, 2, 3, 4};
        Pool pool = weightedPool("pairs", weights);
        int n = weights.length;
        long total = 10;
        double[] expected = new double[n * (n - 1)];
        long[] observed = new long[n * (n - 1)];
        for (int i = 0; i < DRAWS; i++) {
            assertEquals(2, pool.resolve(2, 0, 0, out));
            observed[pairCell(out[0].id() - 1, out[1].id() - 1, n)]++;
        }
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                if (a != b) {
                    expected[pairCell(a, b, n)] = (double) weights[a] / total * weights[b] / (total - weights[a]);
                }
            }
        }
        assertChiSquare(expected, observed);
    }

    @Test
    void weightedDrawsAfterADominantPeFollowTheRest() {
        // one PE holds almost all the weight: the second and third draws give up redrawing and draw exactly
        int[] weights = {1_000_000, 1, 2, 3};
        Pool pool = weightedPool("dominant", weights);
        long[] second = new long[3];
        long[] third = new long[3];
        int dominantFirst = 0;
        for (int i = 0; i < DRAWS; i++) {
            assertEquals(3, pool.resolve(3, 0, 0, out));
            assertEquals(3, Set.of(out[0].id(), out[1].id(), out[2].id()).size(), "a PE drawn twice");
            if (out[0].id() == 1) {
                dominantFirst++;
                second[out[1].id() - 2]++;
                if (out[1].id() == 4) {
                    third[out[2].id() - 2]++; // after weights 1e6 and 3: 1 : 2 between ids 2 and 3
                }
            }
        }
        assertTrue(dominantFirst > DRAWS * 0.99, "the dominant PE is drawn first almost always: " + dominantFirst);
        assertChiSquare(new double[] {1, 2, 3}, second);
        assertEquals(0, third[2]);
        assertChiSquare(new double[] {1, 2}, new long[] {third[0], third[1]});
        pool.checkInvariants();
    }

    private static Pool weightedPool(String name, int[] weights) {
        Pool pool = Fixtures.pool(name);
        for (int i = 0; i < weights.length; i++) {
            register(pool, i + 1, PolicyInfo.weighted(PolicyType.WEIGHTED_RANDOM, weights[i]), 0);
        }
        return pool;
    }

    private static int pairCell(int a, int b, int n) {
        return a * (n - 1) + (b < a ? b : b - 1);
    }

    @ParameterizedTest
    @EnumSource(value = PolicyType.class, names = {"RANDOM", "WEIGHTED_RANDOM", "RANDOMIZED_LEAST_USED"})
    void randomDrawsLeaveTheSelectionStateAlone(PolicyType type) {
        Pool pool = Fixtures.pool("draws");
        for (int id = 1; id <= 50; id++) {
            register(pool, id, new PolicyInfo(type, id * 1_000, id, 0, 0), 0);
        }
        List<Long> before = new ArrayList<>();
        pool.forEach(e -> before.add(e.selectionSequence()));
        for (int i = 0; i < 500; i++) {
            assertEquals(3, pool.resolve(3, 3, i, out));
        }
        List<Long> after = new ArrayList<>();
        pool.forEach(e -> after.add(e.selectionSequence()));
        assertEquals(before, after, type + ": a draw renumbered or moved a PE");
        pool.checkInvariants();
    }

    @Test
    void roundRobinSelectionMovesTheSelectedPeBehindTheOthers() {
        Pool pool = Fixtures.pool("rr-seq");
        for (int id = 1; id <= 3; id++) {
            register(pool, id, PolicyInfo.of(PolicyType.ROUND_ROBIN), 0);
        }
        long first = pool.find(1).selectionSequence();
        pool.resolve(1, 1, 0, out);
        assertTrue(pool.find(1).selectionSequence() > pool.find(3).selectionSequence(),
                "the selected PE takes the next sequence number");
        assertNotEquals(first, pool.find(1).selectionSequence());
        List<Integer> order = new ArrayList<>();
        pool.forEach(e -> order.add(e.id()));
        assertEquals(List.of(2, 3, 1), order);
    }

    @Test
    void selectionRecordsTheTime() {
        Pool pool = Fixtures.pool("timestamps");
        register(pool, 1, PolicyInfo.of(PolicyType.RANDOM), 5);
        assertEquals(0, pool.find(1).lastSelectedAt());
        pool.resolve(1, 0, 777, out);
        assertEquals(777, pool.find(1).lastSelectedAt());
        assertNotEquals(0, pool.find(1).registeredAt());
    }

    private static void assertChiSquare(double[] expected, long[] observed) {
        double p = new ChiSquareTest().chiSquareTest(expected, observed);
        assertTrue(p > 0.001, "frequencies do not match (chi-square p = " + p + "): "
                + java.util.Arrays.toString(observed));
    }
}
