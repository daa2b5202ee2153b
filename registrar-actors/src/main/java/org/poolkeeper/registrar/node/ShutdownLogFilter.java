package org.poolkeeper.registrar.node;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;

/**
 * Once this node's shutdown has begun (one that was asked for: a signal, a leave), drops the WARN lines Pekko's
 * remoting streams write as the node's own connections to its peers close ("outbound connection to ... Upstream
 * failed ... The connection has been aborted"): expected then, and they made every clean stop look like a fault.
 * Before the shutdown, and for every other logger, nothing is dropped. The flag is the JVM's: one registrar per
 * process, as RegistrarMain runs it. Installed by logback.xml.
 */
public final class ShutdownLogFilter extends TurboFilter {
    private static final String STREAMS = "org.apache.pekko.stream.Materializer";
    private static volatile boolean shuttingDown;

    /** This node's shutdown began (called once, from its first shutdown phase). */
    public static void shutdownBegan() {
        shuttingDown = true;
    }

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params,
                              Throwable t) {
        return shuttingDown && level == Level.WARN && logger.getName().equals(STREAMS)
                ? FilterReply.DENY : FilterReply.NEUTRAL;
    }
}
