package org.poolkeeper.pesim;

import java.time.Duration;
import java.util.concurrent.CompletionException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.poolkeeper.client.PoolElementClient;
import org.poolkeeper.client.PoolElementRegistration;
import org.poolkeeper.client.PoolElementSpec;

/**
 * One simulated pool element: registers, re-registers on its own randomized interval, and leaves or
 * crashes (stops answering keep-alives) when told to. Told to {@link Hold}, it stops every handlespace change
 * it would make by itself (re-registration, retrying a failed registration, a planned crash) and only keeps
 * answering keep-alives (the client library does that) until it is told to leave; it answers the hold with
 * {@link PeSimulator.HoldAck} once its registration state is settled.
 */
final class SimulatedPe extends AbstractBehavior<SimulatedPe.Command> {
    sealed interface Command permits Reregister, Leave, Crash, Hold, Registered, Deregistered {
    }

    enum Reregister implements Command { INSTANCE }

    enum Leave implements Command { INSTANCE }

    enum Crash implements Command { INSTANCE }

    /** Stop changing the handlespace; answer {@code replyTo} whether this PE is registered. */
    record Hold(ActorRef<PeSimulator.Command> replyTo) implements Command {
    }

    private record Registered(long startNanos, PoolElementRegistration registration, Throwable error,
                              boolean reregistration) implements Command {
    }

    private enum Deregistered implements Command { INSTANCE }

    private static final Duration RETRY = Duration.ofSeconds(1);

    private final PoolElementClient client;
    private final PoolElementSpec spec;
    private final Duration interval;
    private final SimStats stats;
    private final TimerScheduler<Command> timers;
    private PoolElementRegistration registration;
    private boolean registering; // the first registration is in flight
    private boolean leaving;
    private boolean crashing;
    private boolean holding;
    private ActorRef<PeSimulator.Command> holdReplyTo; // answered once the registration in flight completes

    static Behavior<Command> create(PoolElementClient client, PoolElementSpec spec, Duration interval,
                                    Duration crashAfter, SimStats stats) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
            if (crashAfter != null) {
                timers.startSingleTimer(Crash.INSTANCE, crashAfter);
            }
            return new SimulatedPe(context, timers, client, spec, interval, stats);
        }));
    }

    private SimulatedPe(ActorContext<Command> context, TimerScheduler<Command> timers, PoolElementClient client,
                        PoolElementSpec spec, Duration interval, SimStats stats) {
        super(context);
        this.timers = timers;
        this.client = client;
        this.spec = spec;
        this.interval = interval;
        this.stats = stats;
        register();
    }

    private void register() {
        registering = true;
        long start = System.nanoTime();
        getContext().pipeToSelf(client.register(spec), (registered, error) ->
                new Registered(start, registered, error, false));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Registered.class, this::onRegistered)
                .onMessageEquals(Reregister.INSTANCE, this::onReregister)
                .onMessageEquals(Leave.INSTANCE, this::onLeave)
                .onMessageEquals(Crash.INSTANCE, this::onCrash)
                .onMessage(Hold.class, this::onHold)
                .onMessageEquals(Deregistered.INSTANCE, Behaviors::stopped)
                .build();
    }

    private Behavior<Command> onRegistered(Registered registered) {
        if (!registered.reregistration()) {
            registering = false;
        }
        if (registered.error() != null) {
            stats.failed(registered.error());
            if (registration == null) {
                answerHold(false);
                if (!leaving && !holding) {
                    timers.startSingleTimer(Reregister.INSTANCE, RETRY);
                }
            }
            return leaving && registration == null ? Behaviors.stopped() : this;
        }
        stats.latency.recordSince(registered.startNanos());
        if (crashing && !registered.reregistration()) {
            registration = registered.registration();
            stats.registered.increment();
            return onCrash();
        }
        if (registered.reregistration()) {
            stats.reregistrations.increment();
        } else {
            stats.registrations.increment();
            registration = registered.registration();
            stats.registered.increment();
            if (leaving) {
                return onLeave();
            }
            answerHold(true);
            if (!holding) {
                timers.startTimerWithFixedDelay(Reregister.INSTANCE, interval);
            }
        }
        return this;
    }

    private Behavior<Command> onHold(Hold hold) {
        holding = true;
        crashing = false; // a crash still waiting for its registration is called off: the PE stays registered
        timers.cancelAll(); // re-registration, retry and crash timers
        if (registering) {
            holdReplyTo = hold.replyTo();
        } else {
            hold.replyTo().tell(new PeSimulator.HoldAck(registration != null && registration.isActive()));
        }
        return this;
    }

    private void answerHold(boolean registered) {
        if (holdReplyTo != null) {
            holdReplyTo.tell(new PeSimulator.HoldAck(registered));
            holdReplyTo = null;
        }
    }

    private Behavior<Command> onReregister() {
        if (holding) {
            return this; // a tick that was already queued when the hold began
        }
        if (registration == null) {
            register();
            return this;
        }
        long start = System.nanoTime();
        getContext().pipeToSelf(registration.reregister(), (ok, error) ->
                new Registered(start, registration, unwrap(error), true));
        return this;
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    private Behavior<Command> onLeave() {
        leaving = true;
        timers.cancelAll();
        if (registration == null) {
            // still registering: leave once that completes; never registered (failed, retry pending): done
            return registering ? this : Behaviors.stopped();
        }
        if (!registration.isActive()) {
            return Behaviors.stopped(); // crashed earlier: nothing to deregister
        }
        stats.registered.decrement();
        getContext().pipeToSelf(registration.deregister(), (ok, error) -> {
            if (error == null) {
                stats.deregistrations.increment();
            } else {
                stats.failed(unwrap(error));
            }
            return Deregistered.INSTANCE;
        });
        return this;
    }

    private Behavior<Command> onCrash() {
        if (holding) {
            return this; // a crash that was already queued when the hold began
        }
        timers.cancelAll();
        if (registration == null) {
            crashing = true; // crash as soon as the registration completes
            return this;
        }
        registration.abandon();
        stats.registered.decrement();
        stats.crashed.increment();
        return Behaviors.stopped();
    }
}
