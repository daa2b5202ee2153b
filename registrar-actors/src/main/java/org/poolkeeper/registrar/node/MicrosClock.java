package org.poolkeeper.registrar.node;

/**
 * The registrar's clock for the handlespace core: microseconds since the Unix epoch, never going backwards
 * within a JVM. It is anchored once to the wall clock and then advanced by {@link System#nanoTime()}, so a
 * wall-clock step (NTP) does not move deadlines, while values stay comparable across registrars whose wall
 * clocks agree (replicated deadlines are epoch microseconds).
 */
@FunctionalInterface
public interface MicrosClock {

    /** Microseconds since 1970-01-01T00:00Z on this clock. */
    long nowMicros();

    /** The monotonic, epoch-anchored system clock. */
    static MicrosClock system() {
        return SystemClock.INSTANCE;
    }

    /** See {@link MicrosClock#system()}. */
    final class SystemClock implements MicrosClock {
        static final SystemClock INSTANCE = new SystemClock();
        private final long baseMicros = System.currentTimeMillis() * 1000L;
        private final long baseNanos = System.nanoTime();

        private SystemClock() {
        }

        @Override
        public long nowMicros() {
            return baseMicros + (System.nanoTime() - baseNanos) / 1000L;
        }
    }
}
