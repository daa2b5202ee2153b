package org.poolkeeper.registrar.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.poolkeeper.handlespace.AddressBlock;
import org.poolkeeper.handlespace.HandlespaceConfig;
import org.poolkeeper.handlespace.PolicyInfo;
import org.poolkeeper.handlespace.PolicyType;
import org.poolkeeper.handlespace.PoolHandle;
import org.poolkeeper.handlespace.Status;
import org.poolkeeper.handlespace.TransportKind;
import org.poolkeeper.registrar.node.BadInputLog;
import org.poolkeeper.registrar.node.MicrosClock;
import org.poolkeeper.registrar.replication.Auditor;
import org.poolkeeper.registrar.replication.HostedShards;
import org.poolkeeper.registrar.replication.Inbox;
import org.poolkeeper.registrar.replication.NodeReplica;
import org.poolkeeper.replication.Delta;
import org.poolkeeper.replication.PoolOrder;
import org.poolkeeper.replication.Shards;

/**
 * A shard writer spawned on its own (Pekko's ActorTestKit, no cluster): the expiry timer fires at the earliest
 * deadline and re-arms, every change is a delta with consecutive sequence numbers within an epoch, a writer
 * starts from the replica with new epochs and gives the PEs of a registrar that left the takeover grace, and a
 * handed-off writer wakes its shard at its new home.
 */
class ShardWriterTest {
    private static final ActorTestKit TEST_KIT = ActorTestKit.create();
    private static final int SELF = 0x7e57;
    private static final int SHARDS = 4;
    private static final int SHARD = 1;
    private static final PolicyInfo RR = PolicyInfo.of(PolicyType.ROUND_ROBIN);
    private static final MicrosClock CLOCK = MicrosClock.system();

    @AfterAll
    static void stop() {
        TEST_KIT.shutdownTestKit();
    }

    /** A writer of {@link #SHARD} with its own replica; its deltas go to {@link #deltas}. */
    private static final class Writer {
        final NodeReplica replica = new NodeReplica(SHARDS, HandlespaceConfig.DEFAULTS, 1);
        final HostedShards hosted = new HostedShards();
        final TestProbe<Delta> deltas = TEST_KIT.createTestProbe();
        final List<Integer> wokenAtNewHome = new CopyOnWriteArrayList<>();
        final List<Integer> handovers = new CopyOnWriteArrayList<>();
        Set<Integer> live = Set.of(SELF);
        final Duration grace;
        ActorRef<ShardWriter.Command> ref;

        Writer(Duration grace) {
            this.grace = grace;
        }

        Writer start() {
            ActorRef<Delta> sink = deltas.getRef();
            ShardWriter.Context context = new ShardWriter.Context(SELF, replica, sink::tell, CLOCK, () -> live,
                    hosted, wokenAtNewHome::add, (writer, shard, done) -> {
                        handovers.add(writer);
                        done.tell(new Inbox.PullDone(writer, Set.of(shard)));
                    }, 3, grace, ShardWriter.WriterLimits.none(replica), Duration.ofSeconds(30), new BadInputLog(0),
                    Duration.ZERO);
            ref = TEST_KIT.spawn(ShardWriter.create(SHARD, context));
            return this;
        }
    }

    /** A pool handle of {@link #SHARD} with the given name prefix. */
    private static PoolHandle handle(String prefix) {
        for (int i = 0; ; i++) {
            PoolHandle h = PoolHandle.of(prefix + "-" + i);
            if (Shards.of(h, SHARDS) == SHARD) {
                return h;
            }
        }
    }

    /** The next reply of this type, skipping Released notices (a session gets them for removed PEs). */
    private static <T extends ShardWriter.Reply> T reply(TestProbe<ShardWriter.Reply> probe, Class<T> type) {
        while (true) {
            ShardWriter.Reply r = probe.receiveMessage();
            if (type.isInstance(r)) {
                return type.cast(r);
            }
            if (!(r instanceof ShardWriter.Released)) {
                throw new AssertionError("expected " + type.getSimpleName() + ", got " + r);
            }
        }
    }

    private static ShardWriter.Register registration(PoolHandle handle, int peId, int lifeMs, int home,
                                                     TestProbe<ShardWriter.Reply> replies) {
        return new ShardWriter.Register(handle, peId, RR, AddressBlock.ipv4(0x7F000001, 7000 + peId,
                TransportKind.TCP), lifeMs, home, 0, 0, peId, replies.getRef());
    }

    private static Status register(Writer w, PoolHandle handle, int peId, int lifeMs,
                                   TestProbe<ShardWriter.Reply> replies) {
        w.ref.tell(registration(handle, peId, lifeMs, SELF, replies));
        return reply(replies, ShardWriter.Registered.class).status();
    }

    /** A registration presenting the owner hash {@code (7, owner)}. */
    private static Status registerOwned(Writer w, PoolHandle handle, int peId, long owner,
                                        TestProbe<ShardWriter.Reply> replies) {
        w.ref.tell(new ShardWriter.Register(handle, peId, RR, AddressBlock.ipv4(0x7F000001, 7000 + peId,
                TransportKind.TCP), 60_000, SELF, 7, owner, peId, replies.getRef()));
        return reply(replies, ShardWriter.Registered.class).status();
    }

    @Test
    void onlyTheHoldingSessionOrTheOwnerSecretChangesAPe() {
        Writer w = new Writer(Duration.ofSeconds(10)).start();
        PoolHandle handle = handle("ownership");
        TestProbe<ShardWriter.Reply> owner = TEST_KIT.createTestProbe();
        TestProbe<ShardWriter.Reply> attacker = TEST_KIT.createTestProbe();
        assertEquals(Status.ADDED, registerOwned(w, handle, 1, 42, owner));
        assertEquals(Status.REJECTED, registerOwned(w, handle, 1, 43, attacker));
        assertEquals(Status.REJECTED, register(w, handle, 1, 60_000, attacker));
        w.ref.tell(new ShardWriter.Deregister(handle, 1, 0, 0, 9, attacker.getRef()));
        assertEquals(Status.REJECTED, reply(attacker, ShardWriter.Deregistered.class).status());
        w.ref.tell(new ShardWriter.Deregister(handle, 1, 7, 43, 9, attacker.getRef()));
        assertEquals(Status.REJECTED, reply(attacker, ShardWriter.Deregistered.class).status());
        // the owner's session may re-register without the secret; another session with it (a fail-over) too
        assertEquals(Status.UPDATED, register(w, handle, 1, 60_000, owner));
        TestProbe<ShardWriter.Reply> failover = TEST_KIT.createTestProbe();
        assertEquals(Status.UPDATED, registerOwned(w, handle, 1, 42, failover));
        owner.expectMessageClass(ShardWriter.Released.class);
        w.ref.tell(new ShardWriter.Deregister(handle, 1, 7, 42, 10, owner.getRef()));
        assertEquals(Status.REMOVED, reply(owner, ShardWriter.Deregistered.class).status());
    }

    @Test
    void aRegistrationInFlightWhenItsSessionClosedLeavesNoPe() {
        Writer w = new Writer(Duration.ofSeconds(10)).start();
        PoolHandle handle = handle("in-flight");
        TestProbe<ShardWriter.Reply> closed = TEST_KIT.createTestProbe();
        TestProbe<ShardWriter.Reply> live = TEST_KIT.createTestProbe();
        // applied, then the closed session's drop: the PE goes
        assertEquals(Status.ADDED, registerOwned(w, handle, 1, 42, closed));
        w.ref.tell(new ShardWriter.DropSessionElement(handle, 1, Delta.Reason.CONNECTION_LOST, SELF, closed.getRef(),
                true, 0));
        // the drop first: a registration arriving after it is not applied
        assertEquals(Status.REJECTED, registerOwned(w, handle, 2, 42, closed));
        // the client registered again through a live session, and the stale one arrived after that
        assertEquals(Status.ADDED, registerOwned(w, handle, 3, 42, live));
        TestProbe<ShardWriter.Reply> stale = TEST_KIT.createTestProbe();
        assertEquals(Status.UPDATED, registerOwned(w, handle, 3, 42, stale));
        w.ref.tell(new ShardWriter.DropSessionElement(handle, 3, Delta.Reason.CONNECTION_LOST, SELF, stale.getRef(),
                true, 0));
        live.expectMessageClass(ShardWriter.Released.class);
        assertReclaimed(w, live, handle, 3);
        // the same when the stale session got its answer before it closed (it held the PE: a plain drop)
        TestProbe<ShardWriter.Reply> answered = TEST_KIT.createTestProbe();
        assertEquals(Status.UPDATED, registerOwned(w, handle, 3, 42, answered));
        live.expectMessageClass(ShardWriter.Released.class);
        w.ref.tell(new ShardWriter.DropSessionElement(handle, 3, Delta.Reason.CONNECTION_LOST, SELF,
                answered.getRef()));
        live.expectMessageClass(ShardWriter.Reclaimed.class);
        w.ref.tell(new ShardWriter.Deregister(handle, 4, 0, 0, 11, live.getRef())); // a round trip: drops applied
        reply(live, ShardWriter.Deregistered.class);
        assertNull(w.replica.apply(SHARD, s -> s.find(handle, 1)));
        assertNull(w.replica.apply(SHARD, s -> s.find(handle, 2)));
        assertNotNull(w.replica.apply(SHARD, s -> s.find(handle, 3)), "the live session's PE stays");
        // and it is the live session's again: its keep-alive loss removes it
        w.ref.tell(new ShardWriter.DropSessionElement(handle, 3, Delta.Reason.KEEP_ALIVE_LOST, SELF, live.getRef()));
        w.ref.tell(new ShardWriter.Deregister(handle, 4, 0, 0, 12, live.getRef()));
        reply(live, ShardWriter.Deregistered.class);
        assertNull(w.replica.apply(SHARD, s -> s.find(handle, 3)));
    }

    @Test
    void lateCopiesFromSeveralClosedSessionsGiveThePeBackToTheLiveOne() {
        // a client gave up on two connections in a row while the pool's writer was being taken over, and registered
        // through a third; copies from both closed ones reached the writer after the live one's, some twice
        Writer w = new Writer(Duration.ofSeconds(10)).start();
        PoolHandle handle = handle("closed-chain");
        TestProbe<ShardWriter.Reply> live = TEST_KIT.createTestProbe();
        TestProbe<ShardWriter.Reply> first = TEST_KIT.createTestProbe();
        TestProbe<ShardWriter.Reply> second = TEST_KIT.createTestProbe();
        assertEquals(Status.ADDED, registerOwned(w, handle, 5, 42, live));
        assertEquals(Status.UPDATED, registerOwned(w, handle, 5, 42, first));
        live.expectMessageClass(ShardWriter.Released.class);
        assertEquals(Status.UPDATED, registerOwned(w, handle, 5, 42, second));
        first.expectMessageClass(ShardWriter.Released.class);
        assertEquals(Status.UPDATED, registerOwned(w, handle, 5, 42, first));
        second.expectMessageClass(ShardWriter.Released.class);
        assertEquals(Status.UPDATED, registerOwned(w, handle, 5, 42, second)); // a second copy
        first.expectMessageClass(ShardWriter.Released.class);
        // the closed sessions' drops, the one that does not hold the PE first
        w.ref.tell(new ShardWriter.DropSessionElement(handle, 5, Delta.Reason.CONNECTION_LOST, SELF, first.getRef(),
                true, 0));
        w.ref.tell(new ShardWriter.DropSessionElement(handle, 5, Delta.Reason.CONNECTION_LOST, SELF, second.getRef(),
                true, 0));
        assertReclaimed(w, live, handle, 5);
        w.ref.tell(new ShardWriter.Deregister(handle, 6, 0, 0, 11, live.getRef())); // a round trip: drops applied
        reply(live, ShardWriter.Deregistered.class);
        assertNotNull(w.replica.apply(SHARD, s -> s.find(handle, 5)), "the live session's PE stays");
        // it is the live session's: its own drop removes it, and no closed session gets it back
        w.ref.tell(new ShardWriter.DropSessionElement(handle, 5, Delta.Reason.CONNECTION_LOST, SELF, live.getRef()));
        w.ref.tell(new ShardWriter.Deregister(handle, 6, 0, 0, 12, live.getRef()));
        reply(live, ShardWriter.Deregistered.class);
        assertNull(w.replica.apply(SHARD, s -> s.find(handle, 5)));
        first.expectNoMessage(Duration.ofMillis(50));
        second.expectNoMessage(Duration.ofMillis(50));
    }

    /** The session got the PE back, with the PE's registration stamp (its drop carries it). */
    private static void assertReclaimed(Writer w, TestProbe<ShardWriter.Reply> session, PoolHandle handle, int peId) {
        ShardWriter.Reclaimed reclaimed = session.expectMessageClass(ShardWriter.Reclaimed.class);
        assertEquals(handle, reclaimed.poolHandle());
        assertEquals(peId, reclaimed.peId());
        long stamp = w.replica.apply(SHARD, s -> s.find(handle, peId).lastReregisteredAt());
        assertEquals(stamp, reclaimed.stamp());
    }

    @Test
    void theTimerFiresAtTheEarliestDeadlineAndReArms() {
        Writer w = new Writer(Duration.ofSeconds(10)).start();
        PoolHandle a = handle("timers-a");
        PoolHandle b = handle("timers-b");
        TestProbe<ShardWriter.Reply> replies = TEST_KIT.createTestProbe();
        assertEquals(Status.ADDED, register(w, a, 3, 900, replies));
        assertEquals(Status.ADDED, register(w, b, 2, 600, replies));
        assertEquals(Status.ADDED, register(w, a, 1, 300, replies)); // moves the timer earlier
        long[] deadlines = new long[4];
        for (int i = 0; i < 3; i++) {
            Delta added = w.deltas.receiveMessage();
            assertEquals(Delta.Action.ADD, added.action());
            deadlines[added.peId()] = added.element().deadline();
        }
        List<Integer> removedIds = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Delta d = w.deltas.receiveMessage(Duration.ofSeconds(3));
            long lateMs = (CLOCK.nowMicros() - deadlines[d.peId()]) / 1000;
            removedIds.add(d.peId());
            assertEquals(Delta.Action.REMOVE, d.action());
            assertEquals(Delta.Reason.EXPIRY, d.reason());
            assertTrue(lateMs >= 0, "PE " + d.peId() + " expired " + -lateMs + " ms before its deadline");
            assertTrue(lateMs < 250, "PE " + d.peId() + " expired " + lateMs
                    + " ms after its deadline: the timer was not armed at it");
        }
        assertEquals(List.of(1, 2, 3), removedIds, "in deadline order, across the shard's pools");
    }

    @Test
    void reRegisteringTheEarliestElementMovesTheDeadlineLater() {
        Writer w = new Writer(Duration.ofSeconds(10)).start();
        PoolHandle handle = handle("later");
        TestProbe<ShardWriter.Reply> replies = TEST_KIT.createTestProbe();
        register(w, handle, 1, 300, replies);
        long firstDeadline = w.deltas.receiveMessage().element().deadline();
        w.deltas.expectNoMessage(Duration.ofMillis(150));
        assertEquals(Status.UPDATED, register(w, handle, 1, 500, replies));
        Delta updated = w.deltas.receiveMessage();
        assertEquals(Delta.Action.UPDATE, updated.action());
        long newDeadline = updated.element().deadline();
        assertTrue(newDeadline > firstDeadline + 100_000);
        Delta removed = w.deltas.receiveMessage(Duration.ofSeconds(3));
        long now = CLOCK.nowMicros();
        assertEquals(Delta.Reason.EXPIRY, removed.reason());
        assertTrue(now >= newDeadline, "expired " + (newDeadline - now) / 1000 + " ms before its new deadline");
        assertTrue(now < newDeadline + 250_000, "expired " + (now - newDeadline) / 1000 + " ms late");
    }

    @Test
    void deltasCarryConsecutiveSequenceNumbersWithinAnEpoch() {
        Writer w = new Writer(Duration.ofSeconds(10)).start();
        PoolHandle handle = handle("deltas");
        TestProbe<ShardWriter.Reply> replies = TEST_KIT.createTestProbe();
        register(w, handle, 1, 60_000, replies);
        register(w, handle, 2, 60_000, replies);
        register(w, handle, 1, 60_000, replies); // re-registration: UPDATE
        for (int i = 0; i < 3; i++) {
            w.ref.tell(new ShardWriter.ReportUnreachable(handle, 2, 1000 + i, 100 + i, replies.getRef()));
            reply(replies, ShardWriter.Reported.class);
        }
        w.ref.tell(new ShardWriter.Deregister(handle, 1, 0, 0, 200, replies.getRef()));
        assertEquals(Status.REMOVED, reply(replies, ShardWriter.Deregistered.class).status());

        List<Delta> seen = w.deltas.receiveSeveralMessages(5);
        long epoch = seen.get(0).epoch();
        for (int i = 0; i < seen.size(); i++) {
            assertEquals(i + 1, seen.get(i).sequence());
            assertEquals(epoch, seen.get(i).epoch());
            assertEquals(SELF, seen.get(i).writer());
        }
        assertEquals(List.of(Delta.Action.ADD, Delta.Action.ADD, Delta.Action.UPDATE, Delta.Action.REMOVE,
                Delta.Action.REMOVE), seen.stream().map(Delta::action).toList());
        assertEquals(Delta.Reason.UNREACHABLE, seen.get(3).reason());
        assertEquals(Delta.Reason.DEREGISTRATION, seen.get(4).reason());
        assertNull(seen.get(4).element());
        assertEquals(1, seen.get(2).element().id());

        // the pool is empty: its epoch ended; the next registration starts a greater one at 1
        assertNull(w.replica.apply(SHARD, s -> s.order(handle)));
        register(w, handle, 5, 60_000, replies);
        Delta next = w.deltas.receiveMessage();
        assertEquals(1, next.sequence());
        assertTrue(next.epoch() > epoch, "epoch " + next.epoch() + " after " + epoch);
    }

    @Test
    void ownerModeResolutionAnswersFromThePool() {
        Writer w = new Writer(Duration.ofSeconds(10)).start();
        PoolHandle handle = handle("owner");
        TestProbe<ShardWriter.Reply> replies = TEST_KIT.createTestProbe();
        register(w, handle, 1, 60_000, replies);
        register(w, handle, 2, 60_000, replies);
        w.ref.tell(new ShardWriter.Resolve(handle, 0, 9, replies.getRef()));
        ShardWriter.Resolved resolved = replies.expectMessageClass(ShardWriter.Resolved.class);
        assertEquals(9, resolved.requestId());
        assertEquals(2, resolved.elements().size());
        assertEquals(PolicyType.ROUND_ROBIN.code(), resolved.policyType());
        w.ref.tell(new ShardWriter.Resolve(handle("owner-unknown"), 0, 10, replies.getRef()));
        assertEquals(Status.UNKNOWN_POOL_HANDLE, replies.expectMessageClass(ShardWriter.Resolved.class).status());
    }

    @Test
    void aSessionDropIsHonouredOnlyFromThePesCurrentSession() {
        Writer w = new Writer(Duration.ofSeconds(10)).start();
        PoolHandle handle = handle("sessions");
        TestProbe<ShardWriter.Reply> first = TEST_KIT.createTestProbe();
        TestProbe<ShardWriter.Reply> second = TEST_KIT.createTestProbe();
        registerOwned(w, handle, 1, 42, first);
        registerOwned(w, handle, 1, 42, second); // the PE moved to the second session (its owner failed over)
        assertEquals(new ShardWriter.Released(handle, 1), first.expectMessageClass(ShardWriter.Released.class));
        w.ref.tell(new ShardWriter.DropSessionElement(handle, 1, Delta.Reason.CONNECTION_LOST, SELF, first.getRef()));
        w.deltas.receiveSeveralMessages(2);
        w.deltas.expectNoMessage(Duration.ofMillis(200));
        w.ref.tell(new ShardWriter.DropSessionElement(handle, 1, Delta.Reason.KEEP_ALIVE_LOST, SELF,
                second.getRef()));
        Delta removed = w.deltas.receiveMessage();
        assertEquals(Delta.Reason.KEEP_ALIVE_LOST, removed.reason());
        assertNull(w.replica.apply(SHARD, s -> s.find(handle, 1)));
    }

    @Test
    void aPeRemovedByReportsKeepsItsIdForItsOwner() {
        Writer w = new Writer(Duration.ofSeconds(10)).start();
        PoolHandle handle = handle("tombstone");
        TestProbe<ShardWriter.Reply> owner = TEST_KIT.createTestProbe();
        TestProbe<ShardWriter.Reply> squatter = TEST_KIT.createTestProbe();
        assertEquals(Status.ADDED, registerOwned(w, handle, 1, 42, owner));
        for (int reporter = 1; reporter <= 3; reporter++) {
            w.ref.tell(new ShardWriter.ReportUnreachable(handle, 1, reporter, 50 + reporter, squatter.getRef()));
            reply(squatter, ShardWriter.Reported.class);
        }
        owner.expectMessageClass(ShardWriter.Released.class);
        assertNull(w.replica.apply(SHARD, s -> s.find(handle, 1)), "three reporters removed it");
        assertEquals(Status.REJECTED, registerOwned(w, handle, 1, 43, squatter), "another secret");
        assertEquals(Status.REJECTED, register(w, handle, 1, 60_000, squatter), "no secret");
        assertEquals(Status.ADDED, registerOwned(w, handle, 1, 42, owner), "its owner registers it again");
    }

    @Test
    void aWriterThatKnowsNoSessionAsksTheSessionWhetherItHoldsAPe() {
        Writer w = new Writer(Duration.ofSeconds(10));
        PoolHandle handle = handle("no-session");
        // a PE without a secret that this node's replica holds, registered before this writer started
        w.replica.apply(SHARD, s -> {
            s.beginIncarnation(SELF, CLOCK.nowMicros());
            s.register(handle, 1, RR, AddressBlock.ipv4(0x7F000001, 7001, TransportKind.TCP), 60_000, SELF,
                    CLOCK.nowMicros(), d -> { });
            s.endIncarnation();
            return null;
        });
        w.start();
        TestProbe<ShardWriter.Reply> other = TEST_KIT.createTestProbe();
        TestProbe<ShardWriter.Reply> holder = TEST_KIT.createTestProbe();
        AddressBlock address = AddressBlock.ipv4(0x7F000001, 7001, TransportKind.TCP);
        w.ref.tell(new ShardWriter.Register(handle, 1, RR, address, 60_000, SELF, 0, 0, 1, other.getRef(), false));
        assertEquals(Status.REJECTED, reply(other, ShardWriter.Registered.class).status(),
                "a session of the PE's home registrar that does not hold it");
        w.ref.tell(new ShardWriter.Deregister(handle, 1, 0, 0, 2, other.getRef(), false));
        assertEquals(Status.REJECTED, reply(other, ShardWriter.Deregistered.class).status());
        w.ref.tell(new ShardWriter.Deregister(handle, 1, 0, 0, 3, holder.getRef(), true));
        assertEquals(Status.REMOVED, reply(holder, ShardWriter.Deregistered.class).status(), "the session holding it");
    }

    @Test
    void aWriterThatKnowsNoSessionHonoursOnlyTheDropOfThePesLastRegistration() {
        Writer w = new Writer(Duration.ofSeconds(10));
        PoolHandle handle = handle("no-session-drop");
        AddressBlock address = AddressBlock.ipv4(0x7F000001, 7001, TransportKind.TCP);
        // registered through one session of this registrar, then (its client reconnected) through another, both
        // applied by the shard's earlier writer: the first connection's drop is still on its way
        long first = CLOCK.nowMicros() - 2_000;
        long second = first + 1_000;
        w.replica.apply(SHARD, s -> {
            s.beginIncarnation(SELF, first);
            s.register(handle, 1, RR, address, 60_000, SELF, first, d -> { });
            s.register(handle, 1, RR, address, 60_000, SELF, second, d -> { });
            s.endIncarnation();
            return null;
        });
        w.start();
        TestProbe<ShardWriter.Reply> closed = TEST_KIT.createTestProbe();
        TestProbe<ShardWriter.Reply> live = TEST_KIT.createTestProbe();
        w.ref.tell(new ShardWriter.DropSessionElement(handle, 1, Delta.Reason.CONNECTION_LOST, SELF, closed.getRef(),
                false, first));
        w.ref.tell(new ShardWriter.Resolve(handle, 10, 1, live.getRef())); // a round trip: the drop was applied
        reply(live, ShardWriter.Resolved.class);
        assertNotNull(w.replica.apply(SHARD, s -> s.find(handle, 1)), "registered since that session's registration");
        w.ref.tell(new ShardWriter.DropSessionElement(handle, 1, Delta.Reason.KEEP_ALIVE_LOST, SELF, live.getRef(),
                false, second));
        assertEquals(Delta.Reason.KEEP_ALIVE_LOST, w.deltas.receiveMessage().reason());
        assertNull(w.replica.apply(SHARD, s -> s.find(handle, 1)));
    }

    @Test
    void aWriterStartsFromTheReplicaWithNewEpochsAndGivesThePesOfARegistrarThatLeftTheTakeoverGrace() {
        Writer w = new Writer(Duration.ofMillis(400));
        PoolHandle handle = handle("takeover");
        int gone = 0xB2;
        // what this node's replica holds of the shard another registrar (gone now) was writing
        long oldEpoch = w.replica.apply(SHARD, s -> {
            long epoch = s.beginIncarnation(gone, CLOCK.nowMicros());
            s.register(handle, 1, RR, AddressBlock.ipv4(0x0A000001, 7001, TransportKind.TCP), 60_000, gone,
                    CLOCK.nowMicros(), d -> { });
            s.register(handle, 2, RR, AddressBlock.ipv4(0x0A000002, 7002, TransportKind.TCP), 60_000, SELF,
                    CLOCK.nowMicros(), d -> { });
            s.endIncarnation();
            return epoch;
        });
        w.start();
        TEST_KIT.createTestProbe().awaitAssert(Duration.ofSeconds(3), () -> {
            assertTrue(w.hosted.contains(SHARD));
            return null;
        });
        PoolOrder order = w.replica.apply(SHARD, s -> s.order(handle));
        assertEquals(SELF, order.writer());
        assertTrue(order.epoch() > oldEpoch, "a new epoch: " + order);
        // the PE homed at the registrar that left is removed when the grace ends; the other one stays
        Delta removed = w.deltas.receiveMessage(Duration.ofSeconds(3));
        assertEquals(1, removed.peId());
        assertEquals(Delta.Reason.TAKEOVER_EXPIRED, removed.reason());
        assertEquals(order.epoch(), removed.epoch());
        assertEquals(1, removed.sequence());
        assertTrue(w.handovers.isEmpty(), "no table pull from a registrar that left");
        w.deltas.expectNoMessage(Duration.ofMillis(300));
        assertTrue(w.replica.apply(SHARD, s -> s.find(handle, 2)) != null);
    }

    @Test
    void aWriterTakingAShardOverFromALiveRegistrarPullsItsTableFirst() {
        Writer w = new Writer(Duration.ofSeconds(10));
        int predecessor = 0xB2;
        w.live = Set.of(SELF, predecessor); // a rebalance: the predecessor handed the shard off and lives on
        PoolHandle handle = handle("handover");
        w.replica.apply(SHARD, s -> {
            s.beginIncarnation(predecessor, CLOCK.nowMicros());
            s.register(handle, 1, RR, AddressBlock.ipv4(0x0A000001, 7001, TransportKind.TCP), 60_000, predecessor,
                    CLOCK.nowMicros(), d -> { });
            s.endIncarnation();
            return null;
        });
        w.start();
        TestProbe<ShardWriter.Reply> replies = TEST_KIT.createTestProbe();
        assertEquals(Status.ADDED, register(w, handle, 2, 60_000, replies));
        assertEquals(List.of(predecessor), w.handovers, "the predecessor's table was pulled before writing");
        assertEquals(SELF, w.replica.apply(SHARD, s -> s.order(handle)).writer());
    }

    @Test
    void aWakeIsAcknowledgedAndGivesTheLeavingRegistrarsPesTheGrace() {
        Writer w = new Writer(Duration.ofMillis(300)).start();
        PoolHandle handle = handle("wake");
        TestProbe<ShardWriter.Reply> replies = TEST_KIT.createTestProbe();
        w.ref.tell(registration(handle, 7, 60_000, 0xC3, replies));
        reply(replies, ShardWriter.Registered.class);
        w.deltas.receiveMessage();
        TestProbe<Auditor.WriterAwake> auditor = TEST_KIT.createTestProbe();
        w.ref.tell(new ShardWriter.Wake(0xC3, auditor.getRef()));
        assertEquals(new Auditor.WriterAwake(SHARD, SELF), auditor.receiveMessage());
        Delta removed = w.deltas.receiveMessage(Duration.ofSeconds(3));
        assertEquals(7, removed.peId());
        assertEquals(Delta.Reason.TAKEOVER_EXPIRED, removed.reason());
    }

    @Test
    void aHandedOffWriterWithPoolsWakesItsShardAtItsNewHome() {
        Writer w = new Writer(Duration.ofSeconds(10)).start();
        TestProbe<ShardWriter.Reply> replies = TEST_KIT.createTestProbe();
        register(w, handle("handoff"), 1, 60_000, replies);
        w.ref.tell(ShardWriter.Stop.INSTANCE);
        replies.awaitAssert(Duration.ofSeconds(3), () -> {
            assertEquals(List.of(SHARD), w.wokenAtNewHome);
            assertTrue(!w.hosted.contains(SHARD));
            return null;
        });
        assertEquals(0, (int) w.replica.apply(SHARD, s -> s.incarnation()), "the replica no longer writes the shard");
    }

    @Test
    void entityIdsAreShardNumbers() {
        assertEquals("17", PoolSharding.entityId(17));
        assertEquals(17, PoolSharding.shardOf("17", 100));
        assertThrows(IllegalArgumentException.class, () -> PoolSharding.shardOf("100", 100));
        assertThrows(IllegalArgumentException.class, () -> PoolSharding.shardOf("pool", 100));
    }
}
