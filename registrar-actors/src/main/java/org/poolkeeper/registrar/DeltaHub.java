package org.poolkeeper.registrar;

import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The node-local fan-out of {@link Delta}s: every PoolActor on this node publishes here, in its own order.
 * Listeners are called synchronously on the publishing PoolActor's thread, so they must be quick and must not
 * block: the local {@link Replica} applies the delta under its lock; an actor listener just receives a tell.
 * Per pool, every listener sees the deltas in sequence order (one pool has one writer). Thread-safe.
 */
public final class DeltaHub {
    private final CopyOnWriteArrayList<Consumer<Delta>> listeners = new CopyOnWriteArrayList<>();

    /** Adds a synchronous listener; returns a handle that removes it when run. */
    public Runnable subscribe(Consumer<Delta> listener) {
        Objects.requireNonNull(listener, "listener");
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** Adds an actor as a listener: each delta is told to it. */
    public Runnable subscribe(ActorRef<Delta> listener) {
        Objects.requireNonNull(listener, "listener");
        return subscribe(listener::tell);
    }

    /** Hands a delta to every listener, in subscription order. */
    public void publish(Delta delta) {
        for (Consumer<Delta> listener : listeners) {
            listener.accept(delta);
        }
    }
}
