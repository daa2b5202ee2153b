package org.poolkeeper.registrar.node;

import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs bad client input at INFO, at most {@code perSecond} lines per second for the whole node, and counts
 * the lines it suppressed (reported with the next line that gets through). Bad input must never flood the log
 * or cost a stack trace: a client sending garbage in a loop gets a few lines a second, no more. Thread-safe.
 */
public final class BadInputLog {
    private static final Logger LOG = LoggerFactory.getLogger(BadInputLog.class);

    private final int perSecond;
    private final AtomicLong window = new AtomicLong();
    private final AtomicLong inWindow = new AtomicLong();
    private final AtomicLong suppressed = new AtomicLong();
    private final AtomicLong total = new AtomicLong();

    public BadInputLog(int perSecond) {
        this.perSecond = perSecond;
    }

    /** Records one piece of bad input from {@code peer}; {@code what} is a one-line description. */
    public void log(Object peer, String what) {
        total.incrementAndGet();
        if (perSecond <= 0) {
            return;
        }
        long second = System.nanoTime() / 1_000_000_000L;
        long current = window.get();
        if (current != second && window.compareAndSet(current, second)) {
            inWindow.set(0);
        }
        if (inWindow.incrementAndGet() > perSecond) {
            suppressed.incrementAndGet();
            return;
        }
        long dropped = suppressed.getAndSet(0);
        if (dropped > 0) {
            LOG.info("bad input from {}: {} ({} similar lines suppressed)", peer, what, dropped);
        } else {
            LOG.info("bad input from {}: {}", peer, what);
        }
    }

    /** How much bad input was recorded since the start. */
    public long total() {
        return total.get();
    }
}
