package org.poolkeeper.registrar.node;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node-wide limit that refuses what would exceed it, and says so in one log line when it starts refusing and
 * in one when it admits again (with how many it refused meanwhile), at most one line per 10 s. Thread-safe.
 */
public final class Limit {
    private static final Logger LOG = LoggerFactory.getLogger(Limit.class);

    private final String key;
    private final long max;
    private final AtomicBoolean refusing = new AtomicBoolean();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong refusedTotal = new AtomicLong();
    /** When this limit last logged a change (nanoTime): at most one line per {@link #LOG_EVERY_NANOS}. */
    private final AtomicLong loggedAt = new AtomicLong(System.nanoTime() - LOG_EVERY_NANOS);
    private static final long LOG_EVERY_NANOS = 10_000_000_000L;

    /**
     * @param key the configuration key (for the log lines)
     * @param max the most that is admitted
     */
    public Limit(String key, long max) {
        this.key = key;
        this.max = max;
    }

    /** Whether one more may be admitted with {@code current} in use; logs the change from admitting to refusing. */
    public boolean admits(long current) {
        if (current < max) {
            if (refusing.get() && mayLog() && refusing.compareAndSet(true, false)) {
                LOG.info("limit {} ({}): admitting again after refusing {}", key, max, refused.getAndSet(0));
            }
            return true;
        }
        refusedTotal.incrementAndGet();
        refused.incrementAndGet();
        if (!refusing.get() && mayLog() && refusing.compareAndSet(false, true)) {
            LOG.warn("limit {} ({}) reached: refusing more until it is below the limit again", key, max);
        }
        return false;
    }

    /** A limit held at its boundary would log every change: one line per 10 s at most. */
    private boolean mayLog() {
        long now = System.nanoTime();
        long last = loggedAt.get();
        return now - last >= LOG_EVERY_NANOS && loggedAt.compareAndSet(last, now);
    }

    public long max() {
        return max;
    }

    /** How many this limit refused since the start. */
    public long refusedTotal() {
        return refusedTotal.get();
    }
}
