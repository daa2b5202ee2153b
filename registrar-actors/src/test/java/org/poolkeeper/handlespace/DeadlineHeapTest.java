package org.poolkeeper.handlespace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The deadline heap on its own: random adds, removals and re-arms against a plain list. */
class DeadlineHeapTest {
    @Test
    void randomOperationsKeepTheEarliestDeadlineFirst() {
        long seed = 20261202;
        SplittableRandom random = new SplittableRandom(seed);
        DeadlineHeap heap = new DeadlineHeap();
        List<PoolElement> model = new ArrayList<>();
        int nextId = 1;
        for (int step = 0; step < 50_000; step++) {
            int action = random.nextInt(10);
            if (action < 4 && model.size() < 2_000 || model.isEmpty()) {
                PoolElement e = new PoolElement(nextId++);
                e.deadline = random.nextLong(100_000); // ties are common
                heap.add(e);
                model.add(e);
            } else if (action < 7) {
                PoolElement e = action == 6 ? heap.peek() : model.get(random.nextInt(model.size()));
                model.remove(e);
                heap.remove(e);
                assertEquals(-1, e.heapIndex);
            } else {
                PoolElement e = model.get(random.nextInt(model.size()));
                e.deadline = random.nextLong(100_000);
                heap.update(e);
            }
            assertEquals(model.size(), heap.size(), "seed " + seed);
            if (model.isEmpty()) {
                assertNull(heap.peek());
            } else {
                long earliest = model.stream().mapToLong(x -> x.deadline).min().getAsLong();
                assertEquals(earliest, heap.peek().deadline, "seed " + seed + ", step " + step);
            }
            if (step % 1_000 == 0) {
                heap.checkInvariants();
            }
        }
        heap.checkInvariants();
    }

    @Test
    void drainingReturnsDeadlineOrder() {
        DeadlineHeap heap = new DeadlineHeap();
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 1; i <= 10_000; i++) {
            PoolElement e = new PoolElement(i);
            e.deadline = random.nextLong(1_000_000);
            heap.add(e);
        }
        long previous = Long.MIN_VALUE;
        PoolElement e;
        while ((e = heap.peek()) != null) {
            if (e.deadline < previous) {
                throw new AssertionError("deadline " + e.deadline + " after " + previous);
            }
            previous = e.deadline;
            heap.remove(e);
        }
        assertEquals(0, heap.size());
    }
}
