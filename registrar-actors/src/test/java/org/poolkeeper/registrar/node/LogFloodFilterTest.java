package org.poolkeeper.registrar.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.spi.FilterReply;
import org.junit.jupiter.api.Test;

/** The cap on Pekko's WARN/ERROR lines: a node resuming from a pause must not write thousands of them. */
class LogFloodFilterTest {

    @Test
    void passesTheFirstLinesOfASecondPerLoggerAndDeniesTheRest() {
        LoggerContext context = new LoggerContext();
        Logger association = context.getLogger("org.apache.pekko.remote.artery.Association");
        Logger other = context.getLogger("org.apache.pekko.cluster.Cluster");
        Logger ours = context.getLogger("org.poolkeeper.registrar.pool.ShardWriter");
        LogFloodFilter filter = new LogFloodFilter();
        filter.setLinesPerSecond(5);
        // stay within one wall-clock second, so that the window does not roll over in the middle
        while (System.currentTimeMillis() % 1000 > 500) {
            Thread.onSpinWait();
        }
        int passed = 0;
        for (int i = 0; i < 1000; i++) {
            if (filter.decide(null, association, Level.WARN, "quarantined", null, null) == FilterReply.NEUTRAL) {
                passed++;
            }
        }
        assertEquals(5, passed, "WARN lines of one Pekko logger passed in one second");
        assertEquals(FilterReply.NEUTRAL, filter.decide(null, other, Level.ERROR, "x", null, null),
                "another logger has its own budget");
        for (int i = 0; i < 100; i++) {
            assertEquals(FilterReply.NEUTRAL, filter.decide(null, ours, Level.WARN, "x", null, null),
                    "the registrar's own lines are not capped");
        }
        assertEquals(FilterReply.NEUTRAL, filter.decide(null, association, Level.INFO, "x", null, null),
                "INFO is not capped");
    }
}
