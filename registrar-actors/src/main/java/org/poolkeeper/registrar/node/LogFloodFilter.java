package org.poolkeeper.registrar.node;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

/**
 * Caps the WARN and ERROR lines of Pekko's loggers at {@link #setLinesPerSecond} per logger and second; the rest
 * are counted and summarized in one line per logger and second (logger {@code poolkeeper.log-flood}). A node that
 * resumes after a pause, or that a partition cut off, otherwise writes thousands of near-identical lines
 * ("quarantined", "dropping message") within a second. Installed by logback.xml.
 */
public final class LogFloodFilter extends TurboFilter {
    private static final org.slf4j.Logger SUMMARY = LoggerFactory.getLogger("poolkeeper.log-flood");

    private int linesPerSecond = 20;
    private String prefix = "org.apache.pekko";
    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

    private static final class Window {
        volatile long second;
        final AtomicLong lines = new AtomicLong();
        final AtomicLong suppressed = new AtomicLong();
    }

    public void setLinesPerSecond(int value) {
        linesPerSecond = value;
    }

    public void setPrefix(String value) {
        prefix = value;
    }

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params,
                              Throwable t) {
        if (level == null || !level.isGreaterOrEqual(Level.WARN) || !logger.getName().startsWith(prefix)) {
            return FilterReply.NEUTRAL;
        }
        long second = System.currentTimeMillis() / 1000;
        Window w = windows.computeIfAbsent(logger.getName(), k -> new Window());
        if (w.second != second) {
            long dropped;
            synchronized (w) {
                if (w.second == second) {
                    dropped = 0;
                } else {
                    dropped = w.suppressed.getAndSet(0);
                    w.lines.set(0);
                    w.second = second;
                }
            }
            if (dropped > 0) {
                SUMMARY.warn("{} more WARN/ERROR lines of {} in the second before were not logged (at most {} per "
                        + "second)", dropped, logger.getName(), linesPerSecond);
            }
        }
        if (w.lines.incrementAndGet() <= linesPerSecond) {
            return FilterReply.NEUTRAL;
        }
        w.suppressed.incrementAndGet();
        return FilterReply.DENY;
    }
}
