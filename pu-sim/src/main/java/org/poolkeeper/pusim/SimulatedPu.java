package org.poolkeeper.pusim;

import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletionException;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.poolkeeper.client.PoolUserClient;
import org.poolkeeper.client.ResolvedElement;

/**
 * One simulated pool user: keeps up to {@code inFlight} resolutions outstanding, at a target rate (or as
 * fast as answers come), each for a random pool, and reports some resolved PEs as unreachable.
 */
final class SimulatedPu extends AbstractBehavior<SimulatedPu.Command> {
    sealed interface Command permits Tick, Stop, Resolved {
    }

    enum Tick implements Command { INSTANCE }

    enum Stop implements Command { INSTANCE }

    private record Resolved(String pool, long startNanos, List<ResolvedElement> elements, Throwable error)
            implements Command {
    }

    private static final Duration TICK = Duration.ofMillis(10);

    private final PoolUserClient client;
    private final List<String> pools;
    private final PuSimOptions options;
    private final PuStats stats;
    private final SplittableRandom random;
    private final double perNano; // target resolutions per nanosecond; 0 = as fast as possible
    private final double maxCredit; // at most 50 ms worth of resolutions at once: no catch-up bursts after stalls
    private double credit;
    private long lastCreditNanos = System.nanoTime();
    private int inFlight;
    private boolean stopping;

    static Behavior<Command> create(PoolUserClient client, List<String> pools, PuSimOptions options, double ratePerPu,
                                    PuStats stats, long seed) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers ->
                new SimulatedPu(context, timers, client, pools, options, ratePerPu, stats, seed)));
    }

    private SimulatedPu(ActorContext<Command> context, TimerScheduler<Command> timers, PoolUserClient client,
                        List<String> pools, PuSimOptions options, double ratePerPu, PuStats stats, long seed) {
        super(context);
        this.client = client;
        this.pools = pools;
        this.options = options;
        this.stats = stats;
        this.random = new SplittableRandom(seed);
        this.perNano = ratePerPu / 1e9;
        this.maxCredit = Math.max(1.0, ratePerPu * 0.05);
        if (perNano > 0) {
            timers.startTimerWithFixedDelay(Tick.INSTANCE, TICK);
        } else {
            fill();
        }
    }

    private void fill() {
        while (inFlight < options.inFlight()) {
            resolveOne();
        }
    }

    private void resolveOne() {
        String pool = pools.get(random.nextInt(pools.size()));
        long start = System.nanoTime();
        inFlight++;
        getContext().pipeToSelf(client.resolve(pool, options.maxItems()), (elements, error) ->
                new Resolved(pool, start, elements, error));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessageEquals(Tick.INSTANCE, this::onTick)
                .onMessage(Resolved.class, this::onResolved)
                .onMessageEquals(Stop.INSTANCE, this::onStop)
                .build();
    }

    private Behavior<Command> onTick() {
        if (stopping) {
            return this;
        }
        spendCredit();
        return this;
    }

    /** Issues what the target rate allows since the last call, within the in-flight limit. */
    private void spendCredit() {
        long now = System.nanoTime();
        credit = Math.min(credit + (now - lastCreditNanos) * perNano, maxCredit);
        lastCreditNanos = now;
        while (credit >= 1.0 && inFlight < options.inFlight()) {
            credit -= 1.0;
            resolveOne();
        }
    }

    private Behavior<Command> onResolved(Resolved resolved) {
        inFlight--;
        if (resolved.error() != null) {
            Throwable error = resolved.error() instanceof CompletionException && resolved.error().getCause() != null
                    ? resolved.error().getCause() : resolved.error();
            stats.recordError(error);
        } else {
            stats.latency.recordSince(resolved.startNanos());
            stats.resolutions.increment();
            stats.fairness.record(resolved.pool(), resolved.elements());
            if (options.reportUnreachable() > 0 && !resolved.elements().isEmpty()
                    && random.nextDouble() < options.reportUnreachable()) {
                if (client.reportUnreachable(resolved.pool(), resolved.elements().get(0).peId())) {
                    stats.unreachableReports.increment();
                }
            }
        }
        if (stopping) {
            return inFlight == 0 ? Behaviors.stopped() : this;
        }
        if (perNano == 0) {
            fill();
        } else {
            spendCredit();
        }
        return this;
    }

    private Behavior<Command> onStop() {
        stopping = true;
        return inFlight == 0 ? Behaviors.stopped() : this;
    }
}
