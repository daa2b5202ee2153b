package org.poolkeeper.registrar.endpoint;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.SharedKillSwitch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this registrar may answer clients: it must never serve a view it cannot know to be current. The gate
 * closes every client connection at once (a shared kill switch across all of them), and sessions refuse to
 * answer, when
 * <ul>
 *   <li>the cluster downed this node or it is shutting down ({@link #stop}, for good: the node is on its way out
 *       and its view stops being kept current; clients fail over to a serving registrar), or</li>
 *   <li>this JVM was paused (SIGSTOP, a stalled VM, a long GC): a watchdog thread that ticks every 100 ms finds
 *       a gap of more than {@code pauseLimit}. Meanwhile the other registrars may have marked this node
 *       unreachable, downed it and taken its pools over; until the cluster says otherwise the replica may be
 *       stale. The gate opens again once the node has been a healthy member (Up, every member reachable) for
 *       {@code reopenAfter}; if the cluster downed it, {@link #stop} comes first.</li>
 * </ul>
 * A session closed by the gate does not remove its PEs (they are alive; they re-register at another registrar,
 * and a node that was downed has no say any more).
 */
public final class ServingGate implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServingGate.class);
    private static final long TICK_MILLIS = 100;

    private final long pauseLimitNanos;
    private final long reopenAfterNanos;
    private final BooleanSupplier healthyMember;
    private final AtomicReference<SharedKillSwitch> connections = new AtomicReference<>(newSwitch());
    private final Thread watchdog;
    private volatile boolean open = true;
    private volatile boolean stopped;
    private volatile long lastTickNanos = System.nanoTime();
    /** Since when the node has been a healthy member after a pause (System.nanoTime), 0 while not. */
    private long healthySinceNanos;

    /**
     * @param pauseLimit    a gap between watchdog ticks longer than this counts as a pause of the JVM
     * @param reopenAfter   how long the node must be a healthy member after a pause before it serves again
     * @param healthyMember whether this node is Up and sees every member reachable
     */
    public ServingGate(Duration pauseLimit, Duration reopenAfter, BooleanSupplier healthyMember) {
        this.pauseLimitNanos = pauseLimit.toNanos();
        this.reopenAfterNanos = reopenAfter.toNanos();
        this.healthyMember = healthyMember;
        this.watchdog = new Thread(this::watch, "poolkeeper-pause-watchdog");
        watchdog.setDaemon(true);
        watchdog.setPriority(Thread.MAX_PRIORITY);
        watchdog.start();
    }

    /** A gate that never closes by itself (no watchdog): for tests of what sits behind it. */
    public static ServingGate alwaysOpen() {
        return new ServingGate(Duration.ofDays(365), Duration.ZERO, () -> true);
    }

    /** The kill switch the connection accepted now runs behind. */
    SharedKillSwitch connections() {
        return connections.get();
    }

    /**
     * Whether a session may answer now: the gate is open and the watchdog ticked recently (a session that runs
     * first after a pause must not answer before the watchdog has noticed it).
     */
    public boolean serving() {
        return open && System.nanoTime() - lastTickNanos < pauseLimitNanos;
    }

    /** Whether the gate closed for good. */
    public boolean stopped() {
        return stopped;
    }

    /** Closes the gate for good: every client connection now, and every one accepted from now on. */
    public void stop(String reason) {
        stop(reason, false);
    }

    /**
     * Closes the gate for good; {@code asked}: the operator asked for it (a signal, a leave), so the log line is
     * INFO, not a WARN.
     */
    public void stop(String reason, boolean asked) {
        if (stopped) {
            return;
        }
        stopped = true;
        close("registrar " + reason, asked);
    }

    private void close(String reason, boolean asked) {
        boolean wasOpen = open;
        open = false;
        SharedKillSwitch old = connections.getAndSet(newSwitch());
        old.shutdown();
        if (wasOpen) {
            String what = "{}: closed every client connection; not serving clients until {}";
            String until = stopped ? "it exits" : "it is a healthy cluster member again";
            if (asked) {
                LOG.info(what, reason, until);
            } else {
                LOG.warn(what, reason, until);
            }
        }
    }

    private void watch() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(TICK_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            long gap = now - lastTickNanos;
            if (gap > pauseLimitNanos && !stopped) {
                healthySinceNanos = 0;
                close("registrar paused for " + TimeUnit.NANOSECONDS.toMillis(gap) + " ms (SIGSTOP, a stalled VM or "
                        + "a long GC)", false);
            }
            lastTickNanos = now; // after close(): a session that sees this tick sees the gate closed
            if (!open && !stopped) {
                if (!healthyMember.getAsBoolean()) {
                    healthySinceNanos = 0;
                } else if (healthySinceNanos == 0) {
                    healthySinceNanos = now;
                } else if (now - healthySinceNanos >= reopenAfterNanos) {
                    open = true;
                    LOG.info("registrar serving clients again: a healthy cluster member for {} ms",
                            TimeUnit.NANOSECONDS.toMillis(now - healthySinceNanos));
                }
            }
        }
    }

    private static SharedKillSwitch newSwitch() {
        return KillSwitches.shared("asap-connections");
    }

    @Override
    public void close() {
        watchdog.interrupt();
    }
}
