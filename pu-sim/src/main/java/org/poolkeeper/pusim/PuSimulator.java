package org.poolkeeper.pusim;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.poolkeeper.client.PoolUserClient;
import org.poolkeeper.simsupport.LatencyStats;

/** The simulation's guardian: starts the pool users, prints progress, stops them at the end. */
final class PuSimulator extends AbstractBehavior<PuSimulator.Command> {
    sealed interface Command permits Progress, Stop, Finish {
    }

    enum Progress implements Command { INSTANCE }

    enum Stop implements Command { INSTANCE }

    private enum Finish implements Command { INSTANCE }

    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);

    private final PuStats stats;
    private final CompletableFuture<Void> finished;
    private final List<ActorRef<SimulatedPu.Command>> pus = new java.util.ArrayList<>();
    private final long startNanos = System.nanoTime();
    private long lastNanos = startNanos;
    private long lastResolutions;

    /**
     * The pool users of one run; with {@code progress} a line on stderr every 5 s (its {@code at=} the wall clock in
     * epoch milliseconds, for a driver that puts several runs on one time axis).
     */
    static Behavior<Command> create(PuSimOptions options, List<PoolUserClient> clients, PuStats stats,
                                    CompletableFuture<Void> finished, boolean progress) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
            if (progress) {
                timers.startTimerWithFixedDelay(Progress.INSTANCE, PROGRESS_EVERY);
            }
            timers.startSingleTimer(Stop.INSTANCE, options.duration());
            return new PuSimulator(context, options, clients, stats, finished);
        }));
    }

    private PuSimulator(ActorContext<Command> context, PuSimOptions options, List<PoolUserClient> clients,
                        PuStats stats, CompletableFuture<Void> finished) {
        super(context);
        this.stats = stats;
        this.finished = finished;
        double ratePerPu = options.rate() / options.pus();
        for (int i = 0; i < options.pus(); i++) {
            ActorRef<SimulatedPu.Command> pu = context.spawn(SimulatedPu.create(clients.get(i), options.pools(), options,
                    ratePerPu, stats, options.seed() * 31 + i), "pu-" + i);
            context.watch(pu);
            pus.add(pu);
        }
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessageEquals(Progress.INSTANCE, this::onProgress)
                .onMessageEquals(Stop.INSTANCE, this::onStop)
                .onMessageEquals(Finish.INSTANCE, this::onFinish)
                .onSignal(Terminated.class, terminated -> {
                    pus.remove(terminated.getRef());
                    return pus.isEmpty() ? onFinish() : this;
                })
                .build();
    }

    private Behavior<Command> onProgress() {
        long now = System.nanoTime();
        long resolutions = stats.resolutions.sum();
        double rate = (resolutions - lastResolutions) / ((now - lastNanos) / 1e9);
        lastResolutions = resolutions;
        lastNanos = now;
        var interval = stats.latency.sampleInterval();
        System.err.printf("pu-sim %6.1fs  resolutions=%d (%.0f/s)  errors=%d  p50=%dus  p99=%dus  at=%d%n",
                (now - startNanos) / 1e9, resolutions, rate, stats.errors.sum(),
                LatencyStats.percentile(interval, 50), LatencyStats.percentile(interval, 99),
                System.currentTimeMillis());
        return this;
    }

    private Behavior<Command> onStop() {
        for (ActorRef<SimulatedPu.Command> pu : pus) {
            pu.tell(SimulatedPu.Stop.INSTANCE);
        }
        getContext().scheduleOnce(Duration.ofSeconds(5), getContext().getSelf(), Finish.INSTANCE);
        return pus.isEmpty() ? onFinish() : this;
    }

    private Behavior<Command> onFinish() {
        finished.complete(null);
        return Behaviors.stopped();
    }
}
