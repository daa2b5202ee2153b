package org.poolkeeper.pesim;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
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
 * and at the end lets every pool element leave before it reports. With a hold, the end of the load first stops
 * churn and bursts and tells every pool element to {@link SimulatedPe.Hold hold}; once all have answered (their
 * registrations in flight settled) it prints {@code holding: N PEs registered} on stderr, and when the hold is
 * over they leave.
 */
final class PeSimulator extends AbstractBehavior<PeSimulator.Command> {
    sealed interface Command permits Progress, Churn, Burst, Stop, HoldAck, EndHold, Finish {
    }

    enum Progress implements Command { INSTANCE }

    enum Churn implements Command { INSTANCE }

    enum Burst implements Command { INSTANCE }

    enum Stop implements Command { INSTANCE }

    /** A pool element's answer to {@link SimulatedPe.Hold}: whether it is registered. */
    record HoldAck(boolean registered) implements Command {
    }

    private enum EndHold implements Command { INSTANCE }

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
    private boolean loadOver; // no more churn or bursts
    private boolean holding;
    private int holdAcksPending;
    private boolean holdSettled;
    private boolean stopping; // the pool elements are leaving

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
                // one identifier for the PE's whole life: a retry after a registration that timed out here but
                // was applied at the registrar re-registers that PE instead of leaving it behind as an orphan
                .peId(randomPeId())
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

    /** A random non-zero PE id, unseeded: simulators started with the same seed must not share PE ids. */
    private static int randomPeId() {
        int id = 0;
        while (id == 0) {
            id = ThreadLocalRandom.current().nextInt();
        }
        return id;
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
                .onMessage(HoldAck.class, this::onHoldAck)
                .onMessageEquals(EndHold.INSTANCE, this::onEndHold)
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
                        + "  failures=%d  failovers=%d  p99=%dus%s%s%n",
                (now - startNanos) / 1e9, live.size(), stats.registrations.sum(), stats.reregistrations.sum(), rate,
                stats.deregistrations.sum(), stats.failures.sum(), failovers(),
                LatencyStats.percentile(interval, 99),
                holding ? "  holding (" + stats.registered.sum() + " registered, no handlespace changes)" : "",
                stats.failureKinds.isEmpty() ? "" : "  failure kinds " + stats.failureKinds);
        return this;
    }

    long failovers() {
        return clients.stream().mapToLong(PoolElementClient::failovers).sum();
    }

    private Behavior<Command> onChurn() {
        if (!loadOver) {
            leaveRandomPe();
            startPe(random.nextInt(options.pools()));
        }
        return this;
    }

    private Behavior<Command> onBurst() {
        if (!loadOver) {
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
        if (loadOver) {
            return this; // --duration's timer and the end of standard input both end the load; the first counts
        }
        loadOver = true;
        timers.cancel(Stop.INSTANCE);
        stats.loadEndNanos = System.nanoTime();
        timers.cancel(Churn.INSTANCE);
        timers.cancel(Burst.INSTANCE);
        if (options.hold().isZero()) {
            stats.registeredAtHold = stats.registered.sum();
            return leaveAll();
        }
        holding = true;
        holdAcksPending = live.size();
        for (ActorRef<SimulatedPe.Command> pe : live) {
            pe.tell(new SimulatedPe.Hold(getContext().getSelf()));
        }
        timers.startSingleTimer(EndHold.INSTANCE, options.hold());
        if (holdAcksPending == 0) {
            holdSettled();
        }
        return this;
    }

    private Behavior<Command> onHoldAck(HoldAck ack) {
        if (holding && !holdSettled && --holdAcksPending <= 0) {
            holdSettled();
        }
        return this;
    }

    /** Every holding PE has answered: the handlespace as this simulator sees it no longer changes. */
    private void holdSettled() {
        holdSettled = true;
        stats.registeredAtHold = stats.registered.sum();
        long now = System.nanoTime();
        long leftNanos = Math.max(0, options.hold().toNanos() - (now - stats.loadEndNanos));
        // the wall-clock time lets a reader of the line (the testbed) time the hold however late it reads it
        System.err.printf(Locale.ROOT, "pe-sim %6.1fs  holding: %d PEs registered; no registrations,"
                        + " re-registrations, churn or bursts, keep-alives answered; leaving at %s (in %.1f s)%n",
                (now - startNanos) / 1e9, stats.registeredAtHold, Instant.now().plusNanos(leftNanos),
                leftNanos / 1e9);
    }

    private Behavior<Command> onEndHold() {
        if (!holdSettled) {
            holdSettled(); // a registration still unanswered after the whole hold: count what is registered
        }
        holding = false;
        return leaveAll();
    }

    private Behavior<Command> leaveAll() {
        stopping = true;
        for (ActorRef<SimulatedPe.Command> pe : live) {
            pe.tell(SimulatedPe.Leave.INSTANCE);
        }
        live.clear();
        // deregistrations may take up to the request timeout each
        Duration leaveTimeout = options.requestTimeout().plusSeconds(1).compareTo(LEAVE_TIMEOUT) > 0
                ? options.requestTimeout().plusSeconds(1) : LEAVE_TIMEOUT;
        timers.startSingleTimer(Finish.INSTANCE, leaveTimeout);
        return checkDone();
    }

    private Behavior<Command> onTerminated(Terminated terminated) {
        if (live.remove(terminated.getRef()) && holding && !holdSettled && --holdAcksPending <= 0) {
            holdSettled(); // a PE that stopped before it could answer the hold
        }
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
