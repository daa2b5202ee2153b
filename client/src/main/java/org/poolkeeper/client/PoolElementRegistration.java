package org.poolkeeper.client;

import com.google.protobuf.ByteString;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.Cancellable;

/**
 * One registered pool element. The client keeps it registered (re-registration, keep-alive answers,
 * fail-over) until {@link #deregister()} or {@link #abandon()}. Thread-safe.
 */
public final class PoolElementRegistration {
    private final PoolElementClient client;
    private final PoolElementSpec spec;
    private final int peId;
    private final ByteString ownerSecret;
    private final AtomicLong reregistrations = new AtomicLong();
    volatile boolean active = true;
    volatile Cancellable timer;

    PoolElementRegistration(PoolElementClient client, PoolElementSpec spec, int peId,
                            ByteString ownerSecret) {
        this.client = client;
        this.spec = spec;
        this.peId = peId;
        this.ownerSecret = ownerSecret;
    }

    /** What proves to any registrar that this client owns the PE (sent with every (re-)registration). */
    ByteString ownerSecret() {
        return ownerSecret;
    }

    /**
     * A copy of the PE's owner secret: with it, another client (e.g. {@code poolkeeper deregister --secret}) may
     * deregister or re-register the PE through any registrar. Keep it as private as the PE itself.
     */
    public byte[] ownerSecretBytes() {
        return ownerSecret.toByteArray();
    }

    public int peId() {
        return peId;
    }

    public String poolHandle() {
        return spec.poolHandle();
    }

    public PoolElementSpec spec() {
        return spec;
    }

    /** True until deregistered or abandoned. */
    public boolean isActive() {
        return active;
    }

    /** Re-registrations that the registrar accepted. */
    public long reregistrations() {
        return reregistrations.get();
    }

    void countReregistration() {
        reregistrations.incrementAndGet();
    }

    /** Re-registers now with the suppliers' current load and weight. */
    public CompletionStage<Void> reregister() {
        return client.send(this, true);
    }

    /** Removes the pool element from the pool and stops keeping it registered. */
    public CompletionStage<Void> deregister() {
        return client.deregister(this);
    }

    /**
     * Stops re-registering and answering keep-alives without deregistering: to the registrars this pool
     * element has crashed. For fault drills and simulators.
     */
    public void abandon() {
        client.abandon(this);
    }
}
