package org.poolkeeper.pesim;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.poolkeeper.client.Policy;
import org.poolkeeper.client.PoolElementClient;
import org.poolkeeper.client.PoolElementSpec;
import org.poolkeeper.simsupport.LatencyStats;

/**
 * The simulation's guardian: starts the simulated pool elements, drives churn and bursts, prints progress,
 * and at the end lets every pool element leave before it reports.
 */
final class PeSimulator extends AbstractBehavior<PeSimulator.Command> {
    sealed interface Command permits Progress, Churn, Burst, Stop, Finish {
    }

    enum Progress implements Command { INSTANCE }

    enum Churn implements Command { INSTANCE }

    enum Burst implements Command { INSTANCE }

    enum Stop implements Command { INSTANCE }

    private enum Finish implements Command { INSTANCE }

    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);
    private static final Duration LEAVE_TIMEOUT = Duration.ofSeconds(5);

    private final PeSimOptions options;
    private final List<PoolElementClient> clients;
    private final SimStats stats;
    private final CompletableFuture<Void> finished;
    private final TimerScheduler<Command> timers;
    private final SplittableRandom random;
    private final List<ActorRef<SimulatedPe.Command>> live = new ArrayList<>();
    private final long startNanos = System.nanoTime();
    private long lastProgressNanos = startNanos;
    private long lastOperations;
    private int nextIndex;
    private boolean stopping;

    static Behavior<Command> create(PeSimOptions options, List<PoolElementClient> clients, SimStats stats,
                                    CompletableFuture<Void> finished) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers ->
                new PeSimulator(context, timers, options, clients, stats, finished)));
    }

    private PeSimulator(ActorContext<Command> context, TimerScheduler<Command> timers, PeSimOptions options,
                        List<PoolElementClient> clients, SimStats stats, CompletableFuture<Void> finished) {
        super(context);
        this.timers = timers;
        this.options = options;
        this.clients = clients;
        this.stats = stats;
        this.finished = finished;
        this.random = new SplittableRandom(options.seed());
        for (int pool = 0; pool < options.pools(); pool++) {
            for (int i = 0; i < options.pesPerPool(); i++) {
                startPe(pool);
            }
        }
        timers.startTimerWithFixedDelay(Progress.INSTANCE, PROGRESS_EVERY);
        if (options.churnPerSecond() > 0) {
            timers.startTimerWithFixedDelay(Churn.INSTANCE,
                    Duration.ofNanos((long) (1e9 / options.churnPerSecond())));
        }
        if (options.burstCount() > 0) {
            timers.startTimerWithFixedDelay(Burst.INSTANCE, options.burstEvery());
        }
        timers.startSingleTimer(Stop.INSTANCE, options.duration());
    }

    private Policy policyOf(int pool) {
        if (options.policy() != null) {
            return options.policy();
        }
        Policy[] mixed = {Policy.ROUND_ROBIN, Policy.LEAST_USED, Policy.RANDOM, Policy.WEIGHTED_RANDOM};
        return mixed[pool % mixed.length];
    }

    private void startPe(int pool) {
        int index = nextIndex++;
        SplittableRandom peRandom = random.split();
        int weight = 1 + peRandom.nextInt(1000);
        PoolElementSpec spec = PoolElementSpec.builder(options.poolPrefix() + pool, policyOf(pool))
                .load(peRandom::nextInt) // a fluctuating load, read at every re-registration
                .weight(weight)
                .address(new InetSocketAddress("127.0.0.1", 1024 + index % 60_000))
                .registrationLife(Duration.ofMillis(options.lifeMs()))
                .autoReregister(false)
                .build();
        long min = options.reregMinMs();
        long interval = min + (options.reregMaxMs() > min ? peRandom.nextLong(options.reregMaxMs() - min + 1) : 0);
        Duration crashAfter = random.nextDouble() < options.crashFraction()
                ? Duration.ofMillis(1 + random.nextLong(Math.max(1, options.duration().toMillis() / 2))) : null;
        ActorRef<SimulatedPe.Command> pe = getContext().spawn(SimulatedPe.create(clients.get(index % clients.size()),
                spec, Duration.ofMillis(interval), crashAfter, stats), "pe-" + index);
        getContext().watch(pe);
        live.add(pe);
    }

    private void leaveRandomPe() {
        if (live.isEmpty()) {
            return;
        }
        int i = random.nextInt(live.size());
        ActorRef<SimulatedPe.Command> pe = live.get(i);
        live.set(i, live.get(live.size() - 1));
        live.remove(live.size() - 1);
        pe.tell(SimulatedPe.Leave.INSTANCE);
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessageEquals(Progress.INSTANCE, this::onProgress)
                .onMessageEquals(Churn.INSTANCE, this::onChurn)
                .onMessageEquals(Burst.INSTANCE, this::onBurst)
                .onMessageEquals(Stop.INSTANCE, this::onStop)
                .onMessageEquals(Finish.INSTANCE, this::onFinish)
                .onSignal(Terminated.class, this::onTerminated)
                .build();
    }

    private Behavior<Command> onProgress() {
        long now = System.nanoTime();
        long operations = stats.registrations.sum() + stats.reregistrations.sum();
        double rate = (operations - lastOperations) / ((now - lastProgressNanos) / 1e9);
        lastOperations = operations;
        lastProgressNanos = now;
        var interval = stats.latency.sampleInterval();
        System.err.printf("pe-sim %6.1fs  pes=%d  registrations=%d  reregistrations=%d (%.0f/s)  deregistrations=%d"
                        + "  failures=%d  failovers=%d  p99=%dus%n",
                (now - startNanos) / 1e9, live.size(), stats.registrations.sum(), stats.reregistrations.sum(), rate,
                stats.deregistrations.sum(), stats.failures.sum(), failovers(),
                LatencyStats.percentile(interval, 99));
        return this;
    }

    long failovers() {
        return clients.stream().mapToLong(PoolElementClient::failovers).sum();
    }

    private Behavior<Command> onChurn() {
        if (!stopping) {
            leaveRandomPe();
            startPe(random.nextInt(options.pools()));
        }
        return this;
    }

    private Behavior<Command> onBurst() {
        if (!stopping) {
            for (int i = 0; i < options.burstCount(); i++) {
                leaveRandomPe();
            }
            for (int i = 0; i < options.burstCount(); i++) {
                startPe(random.nextInt(options.pools()));
            }
        }
        return this;
    }

    private Behavior<Command> onStop() {
        stopping = true;
        timers.cancel(Churn.INSTANCE);
        timers.cancel(Burst.INSTANCE);
        for (ActorRef<SimulatedPe.Command> pe : live) {
            pe.tell(SimulatedPe.Leave.INSTANCE);
        }
        live.clear();
        timers.startSingleTimer(Finish.INSTANCE, LEAVE_TIMEOUT);
        return checkDone();
    }

    private Behavior<Command> onTerminated(Terminated terminated) {
        live.remove(terminated.getRef());
        return stopping ? checkDone() : this;
    }

    private Behavior<Command> checkDone() {
        boolean anyChild = getContext().getChildren().iterator().hasNext();
        return anyChild ? this : onFinish();
    }

    private Behavior<Command> onFinish() {
        finished.complete(null);
        return Behaviors.stopped();
    }
}
