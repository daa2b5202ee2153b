package org.poolkeeper.registrar.replication;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.poolkeeper.replication.Delta;

/**
 * The bounded hand-over of this node's deltas, from the shard writers that make them (any thread) to the
 * {@link Outbox} that sends them to the peers. A writer's {@link #offer} never blocks: it enqueues and, when the
 * outbox is not already due to drain, wakes it with one message. The outbox drains everything queued at once, so
 * a delta made on an idle node leaves at once (no batching delay), and under load one batch carries every delta
 * made while the previous batch was being sent. Beyond {@code capacity} queued deltas an offer drops the delta and
 * marks the queue overflowed: the peers are then told to pull this node's table rather than fall behind silently.
 * Thread-safe.
 */
public final class DeltaQueue implements Consumer<Delta> {
    private final ConcurrentLinkedQueue<Delta> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger size = new AtomicInteger();
    private final AtomicBoolean wakeDue = new AtomicBoolean();
    private final AtomicBoolean overflowed = new AtomicBoolean();
    private final int capacity;
    private volatile Runnable wake = () -> { };

    public DeltaQueue(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.capacity = capacity;
    }

    /** Sets what wakes the consumer (it is then due to call {@link #drain}). */
    void onWake(Runnable wake) {
        this.wake = wake;
    }

    /** Hands over one delta; drops it (and marks the overflow) when the queue is full. */
    @Override
    public void accept(Delta delta) {
        if (size.incrementAndGet() > capacity) {
            size.decrementAndGet();
            overflowed.set(true);
        } else {
            queue.add(delta);
        }
        if (wakeDue.compareAndSet(false, true)) {
            wake.run();
        }
    }

    /** The consumer's side: up to {@code max} deltas, in the order they were offered. */
    List<Delta> drain(int max) {
        wakeDue.set(false);
        List<Delta> batch = new ArrayList<>(Math.min(max, Math.max(16, size.get())));
        Delta d;
        while (batch.size() < max && (d = queue.poll()) != null) {
            batch.add(d);
        }
        size.addAndGet(-batch.size());
        if (!queue.isEmpty() && wakeDue.compareAndSet(false, true)) {
            wake.run(); // more than one batch waits: come again
        }
        return batch;
    }

    /** Whether deltas were dropped since the last call (and clears the mark). */
    boolean takeOverflow() {
        return overflowed.getAndSet(false);
    }

    public int size() {
        return size.get();
    }
}
