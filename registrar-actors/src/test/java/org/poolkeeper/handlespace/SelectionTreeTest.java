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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The tree on its own: random inserts, deletes and re-positions against a sorted list. */
class SelectionTreeTest {
    private static final Comparator<PoolElement> ORDER = (a, b) -> SelectionTree.less(a, b) ? -1
            : SelectionTree.less(b, a) ? 1 : 0;

    /**
     * An ordered policy's tree, and the list of round robin and weighted random, which random positions soon turn
     * into a tree.
     */
    @ParameterizedTest
    @EnumSource(value = PolicyType.class, names = {"WEIGHTED_RANDOM", "LEAST_USED", "ROUND_ROBIN"})
    void randomOperationsKeepEveryInvariant(PolicyType policy) {
        long seed = 20261128;
        SplittableRandom random = new SplittableRandom(seed);
        SelectionTree tree = new SelectionTree();
        tree.setPolicy(policy);
        List<PoolElement> model = new ArrayList<>();
        int nextId = 1;
        for (int step = 0; step < 100_000; step++) {
            int action = random.nextInt(10);
            if (action < 5 && model.size() < 500 || model.isEmpty()) {
                PoolElement e = new PoolElement(nextId++);
                e.key = random.nextInt(50);
                e.seq = random.nextLong(1_000_000);
                tree.insert(e);
                model.add(e);
            } else if (action < 8) {
                PoolElement e = model.remove(random.nextInt(model.size()));
                tree.delete(e);
            } else {
                PoolElement e = model.get(random.nextInt(model.size()));
                tree.delete(e);
                e.key = random.nextInt(50);
                tree.insert(e);
            }
            tree.checkInvariants();
            model.sort(ORDER);
            assertEquals(model.size(), tree.size(), "seed " + seed);
            if (!model.isEmpty()) {
                assertSame(model.get(0), tree.first());
                if (step % 97 == 0) {
                    List<PoolElement> inOrder = new ArrayList<>();
                    tree.forEach(inOrder::add);
                    assertEquals(model, inOrder, "seed " + seed + ", step " + step);
                    int rank = random.nextInt(model.size());
                    assertEquals(rank, tree.rank(model.get(rank)));
                }
            }
        }
    }

    /** Round robin's pattern: the first node leaves and comes back last, again and again. */
    @Test
    void roundRobinRotationKeepsOrderWithoutSums() {
        SelectionTree tree = new SelectionTree();
        tree.setPolicy(PolicyType.ROUND_ROBIN);
        List<PoolElement> model = new ArrayList<>();
        long seq = 0;
        for (int i = 1; i <= 300; i++) {
            PoolElement e = new PoolElement(i);
            e.seq = seq++;
            tree.insert(e);
            model.add(e);
        }
        for (int step = 0; step < 10_000; step++) {
            PoolElement e = tree.first();
            assertSame(model.remove(0), e, "step " + step);
            tree.delete(e);
            e.seq = seq++;
            tree.insert(e);
            model.add(e);
            if (step % 101 == 0) {
                assertTrue(tree.isList(), "rotation keeps the list");
                tree.checkInvariants();
                assertEquals(model.indexOf(model.get(17)), tree.rank(model.get(17)));
            }
        }
        assertEquals(300, tree.size());
    }

    /** Inserts a little forward of the end stay in the list; one far forward turns it into a tree, in order. */
    @Test
    void roundRobinListTurnsIntoATreeOnlyForAFarInsert() {
        SelectionTree tree = new SelectionTree();
        tree.setPolicy(PolicyType.WEIGHTED_ROUND_ROBIN);
        List<PoolElement> model = new ArrayList<>();
        for (int i = 1; i <= 200; i++) {
            PoolElement e = new PoolElement(i);
            e.seq = 10L * i;
            tree.insert(e);
            model.add(e);
        }
        PoolElement near = new PoolElement(1_000);
        near.seq = 10L * (200 - SelectionTree.LIST_SCAN_LIMIT) + 5; // LIST_SCAN_LIMIT nodes after it
        tree.insert(near);
        model.add(near);
        PoolElement front = new PoolElement(1_001);
        front.seq = -1;
        tree.delete(model.get(0));
        model.remove(0);
        tree.checkInvariants();
        assertTrue(tree.isList());
        tree.insert(front);
        model.add(front);
        assertFalse(tree.isList(), "an insert far from the end turns the list into a tree");
        tree.checkInvariants();
        model.sort(ORDER);
        List<PoolElement> inOrder = new ArrayList<>();
        tree.forEach(inOrder::add);
        assertEquals(model, inOrder);
        assertSame(front, tree.first());
        for (PoolElement e : model) {
            tree.delete(e);
        }
        tree.checkInvariants();
        tree.setPolicy(PolicyType.ROUND_ROBIN);
        assertTrue(tree.isList(), "an emptied tree starts over as a list");
    }

    @Test
    void invariantCheckerDetectsCorruption() {
        SelectionTree tree = new SelectionTree();
        tree.setPolicy(PolicyType.LEAST_USED);
        PoolElement[] elements = new PoolElement[8];
        for (int i = 0; i < elements.length; i++) {
            elements[i] = new PoolElement(i + 1);
            elements[i].seq = i;
            tree.insert(elements[i]);
        }
        tree.checkInvariants();
        PoolElement victim = elements[3];
        victim.seq = 1_000; // out of order
        assertThrows(IllegalStateException.class, tree::checkInvariants);
        victim.seq = 3;
        tree.checkInvariants();
        PoolElement root = tree.first();
        while (root.parent != null) {
            root = root.parent;
        }
        root.red = true;
        assertThrows(IllegalStateException.class, tree::checkInvariants);
    }
}
