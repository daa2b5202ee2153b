package org.poolkeeper.handlespace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The weight index on its own: random adds, removes and weight changes against a plain list. */
class WeightIndexTest {

    @Test
    void randomOperationsKeepTheSumsAndDrawByCumulativeWeight() {
        long seed = 20261203;
        SplittableRandom random = new SplittableRandom(seed);
        WeightIndex index = new WeightIndex();
        index.setPolicy(PolicyType.WEIGHTED_RANDOM);
        List<PoolElement> model = new ArrayList<>();
        int nextId = 1;
        for (int step = 0; step < 60_000; step++) {
            int action = random.nextInt(10);
            // the size swings between empty and ~700, through several growths and shrinks of the arrays
            int cap = (step / 5_000) % 2 == 0 ? 700 : 40;
            if (model.isEmpty() || action < 4 && model.size() < cap) {
                PoolElement e = new PoolElement(nextId++);
                e.weight = 1 + random.nextInt(1_000);
                index.add(e);
                model.add(e);
            } else if (action < 8 || model.size() >= cap) {
                PoolElement e = model.remove(random.nextInt(model.size()));
                index.remove(e);
                assertEquals(-1, e.drawSlot);
            } else {
                PoolElement e = model.get(random.nextInt(model.size()));
                e.weight = 1 + random.nextInt(1_000);
                index.refresh(e);
            }
            index.checkInvariants();
            assertEquals(model.size(), index.size());
            long total = model.stream().mapToLong(e -> e.weight).sum();
            assertEquals(total, index.totalWeight(), "seed " + seed + ", step " + step);
            if (!model.isEmpty()) {
                long value = random.nextLong(total);
                assertSame(bySlotCumulative(model, value), index.select(value), "seed " + seed + ", step " + step);
            }
        }
    }

    @Test
    void excludedElementsAreNeverDrawnAndComeBack() {
        WeightIndex index = new WeightIndex();
        index.setPolicy(PolicyType.WEIGHTED_RANDOM);
        List<PoolElement> elements = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            PoolElement e = new PoolElement(i);
            e.weight = i;
            index.add(e);
            elements.add(e);
        }
        index.exclude(elements.get(4));
        index.exclude(elements.get(9));
        assertEquals(210 - 5 - 10, index.totalWeight());
        for (long v = 0; v < index.totalWeight(); v++) {
            PoolElement drawn = index.select(v);
            assertTrue(drawn != elements.get(4) && drawn != elements.get(9), "drew an excluded element at " + v);
        }
        index.include(elements.get(4));
        index.include(elements.get(9));
        assertEquals(210, index.totalWeight());
        index.checkInvariants();
        // every value lands on the element whose interval holds it: element i covers i weight units
        long[] hits = new long[21];
        for (long v = 0; v < 210; v++) {
            hits[index.select(v).id()]++;
        }
        for (int i = 1; i <= 20; i++) {
            assertEquals(i, hits[i], "element " + i);
        }
    }

    @Test
    void randomizedLeastUsedWeighsByInverseLoad() {
        WeightIndex index = new WeightIndex();
        index.setPolicy(PolicyType.RANDOMIZED_LEAST_USED);
        PoolElement idle = new PoolElement(1);
        idle.load = 0;
        PoolElement busy = new PoolElement(2);
        busy.load = (int) PolicyType.MAX_LOAD; // fully loaded: weight 1, still drawable
        index.add(idle);
        index.add(busy);
        assertEquals(PolicyType.MAX_LOAD, index.weightOf(idle));
        assertEquals(1, index.weightOf(busy));
        assertEquals(PolicyType.MAX_LOAD + 1, index.totalWeight());
        busy.load = 0;
        index.refresh(busy);
        assertEquals(2 * PolicyType.MAX_LOAD, index.totalWeight());
        index.checkInvariants();
    }

    @Test
    void otherPoliciesKeepNothingAndThePolicyChangesOnlyWhenEmpty() {
        WeightIndex index = new WeightIndex();
        index.setPolicy(PolicyType.ROUND_ROBIN);
        assertFalse(index.active());
        PoolElement e = new PoolElement(1);
        e.weight = 5;
        index.add(e);
        assertEquals(0, index.size());
        assertEquals(-1, e.drawSlot);
        index.checkInvariants();
        index.setPolicy(PolicyType.WEIGHTED_RANDOM);
        index.add(e);
        assertThrows(IllegalStateException.class, () -> index.setPolicy(PolicyType.RANDOM));
        index.remove(e);
        index.setPolicy(PolicyType.RANDOM);
        assertFalse(index.active());
    }

    @Test
    void invariantCheckerDetectsCorruption() {
        WeightIndex index = new WeightIndex();
        index.setPolicy(PolicyType.WEIGHTED_RANDOM);
        PoolElement[] elements = new PoolElement[6];
        for (int i = 0; i < elements.length; i++) {
            elements[i] = new PoolElement(i + 1);
            elements[i].weight = 10;
            index.add(elements[i]);
        }
        index.checkInvariants();
        elements[2].weight = 11; // changed without a refresh
        assertThrows(IllegalStateException.class, index::checkInvariants);
        index.refresh(elements[2]);
        index.checkInvariants();
        elements[3].drawSlot = 0;
        assertThrows(IllegalStateException.class, index::checkInvariants);
    }

    private static PoolElement bySlotCumulative(List<PoolElement> model, long value) {
        List<PoolElement> bySlot = new ArrayList<>(model);
        bySlot.sort(Comparator.comparingInt(e -> e.drawSlot));
        long cumulative = 0;
        for (PoolElement e : bySlot) {
            cumulative += e.weight;
            if (value < cumulative) {
                return e;
            }
        }
        throw new AssertionError("value " + value + " beyond the total");
    }
}
