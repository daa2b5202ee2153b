package org.poolkeeper.registrar.node;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.poolkeeper.protocol.wire.ErrorCause;

/**
 * The client endpoint's meters: requests answered, by kind and result, with their latency (from the request's
 * arrival to its answer being queued for the client), keep-alives sent and lost, connections. Meters are created
 * up front, so recording is a counter increment and a histogram update. Thread-safe.
 */
public final class RegistrarMetrics {
    /** What a client asked for. */
    public enum Request {
        /** A PE that was not registered (or a refused registration). */
        REGISTRATION,
        /** A PE registered again, by its holder or its owner. */
        REREGISTRATION,
        DEREGISTRATION,
        RESOLUTION,
        UNREACHABILITY_REPORT,
        DUMP,
        STATUS;

        final String tag = name().toLowerCase(Locale.ROOT);
    }

    private static final ErrorCause[] CAUSES = java.util.Arrays.stream(ErrorCause.values())
            .filter(c -> c != ErrorCause.UNRECOGNIZED).toArray(ErrorCause[]::new);

    private final MeterRegistry registry;
    private final Counter[][] answered = new Counter[Request.values().length][CAUSES.length];
    private final Timer[] latency = new Timer[Request.values().length];
    private final Counter keepAlivesSent;
    private final Counter keepAlivesLost;
    private final Counter connectionsAccepted;
    private final Counter connectionsRefused;

    public RegistrarMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (Request r : Request.values()) {
            for (ErrorCause c : CAUSES) {
                answered[r.ordinal()][c.getNumber()] = Counter.builder("poolkeeper.requests")
                        .description("Client requests answered, by kind and result")
                        .tag("request", r.tag).tag("result", result(c)).register(registry);
            }
            latency[r.ordinal()] = Timer.builder("poolkeeper.request.latency")
                    .description("From a request's arrival to its answer, by kind")
                    .tag("request", r.tag)
                    .publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofNanos(10_000))
                    .maximumExpectedValue(Duration.ofSeconds(10))
                    .register(registry);
        }
        keepAlivesSent = Counter.builder("poolkeeper.keep.alives.sent")
                .description("Keep-alives sent to PEs registered through this registrar").register(registry);
        keepAlivesLost = Counter.builder("poolkeeper.keep.alives.lost")
                .description("PEs dropped because their keep-alive went unanswered").register(registry);
        connectionsAccepted = Counter.builder("poolkeeper.connections.accepted")
                .description("Client connections accepted").register(registry);
        connectionsRefused = Counter.builder("poolkeeper.connections.refused")
                .description("Client connections refused (limits, allowed networks, not serving)")
                .register(registry);
    }

    /**
     * Meters that record nothing (Micrometer's no-op meters: nothing is spent on them): for a node started without
     * an HTTP endpoint, and for tests.
     */
    public static RegistrarMetrics none() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        registry.config().meterFilter(MeterFilter.deny());
        return new RegistrarMetrics(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** {@code ok}, or the cause in lower case without its prefix, e.g. {@code unknown_pool_handle}. */
    static String result(ErrorCause cause) {
        return cause == ErrorCause.ERROR_CAUSE_OK ? "ok"
                : cause.name().substring("ERROR_CAUSE_".length()).toLowerCase(Locale.ROOT);
    }

    /** A request answered with {@code cause}, {@code sinceNanos} (System.nanoTime) after it arrived. */
    public void answered(Request request, ErrorCause cause, long sinceNanos) {
        int c = cause == ErrorCause.UNRECOGNIZED ? ErrorCause.ERROR_CAUSE_INVALID_VALUES_VALUE : cause.getNumber();
        answered[request.ordinal()][c].increment();
        latency[request.ordinal()].record(System.nanoTime() - sinceNanos, TimeUnit.NANOSECONDS);
    }

    public void keepAliveSent() {
        keepAlivesSent.increment();
    }

    public void keepAliveLost() {
        keepAlivesLost.increment();
    }

    public void connectionAccepted() {
        connectionsAccepted.increment();
    }

    public void connectionRefused() {
        connectionsRefused.increment();
    }
}
