package org.poolkeeper.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.poolkeeper.handlespace.AddressBlock;
import org.poolkeeper.handlespace.PolicyInfo;
import org.poolkeeper.handlespace.PolicyType;
import org.poolkeeper.handlespace.PoolHandle;
import org.poolkeeper.handlespace.Status;
import org.poolkeeper.handlespace.TransportKind;

/**
 * PoolActors through Cluster Sharding on a one-node cluster (Pekko's ActorTestKit): the expiry timer fires at
 * the earliest deadline and re-arms, and every change is published as a delta with consecutive sequence
 * numbers within an epoch.
 */
class PoolActorTest {
    private static TestRegistrar registrar;
    private static ActorRef<ShardingEnvelope<PoolActor.Command>> region;

    @BeforeAll
    static void start() throws Exception {
        registrar = TestRegistrar.start("poolkeeper.registrar.min-registration-life = 100 ms");
        region = registrar.started.region();
    }

    @AfterAll
    static void stop() {
        registrar.close();
    }

    private static final PolicyInfo RR = PolicyInfo.of(PolicyType.ROUND_ROBIN);
    private static final MicrosClock CLOCK = MicrosClock.system();

    /** The next reply of this type, skipping Released notices (a session gets them for removed PEs). */
    private static <T extends PoolActor.Reply> T reply(TestProbe<PoolActor.Reply> probe, Class<T> type) {
        while (true) {
            PoolActor.Reply r = probe.receiveMessage();
            if (type.isInstance(r)) {
                return type.cast(r);
            }
            if (!(r instanceof PoolActor.Released)) {
                throw new AssertionError("expected " + type.getSimpleName() + ", got " + r);
            }
        }
    }

    private static void tell(PoolHandle handle, PoolActor.Command command) {
        region.tell(new ShardingEnvelope<>(PoolActor.entityId(handle), command));
    }

    private static Status register(PoolHandle handle, int peId, int lifeMs, TestProbe<PoolActor.Reply> replies) {
        tell(handle, new PoolActor.Register(peId, RR, AddressBlock.ipv4(0x7F000001, 7000 + peId, TransportKind.TCP),
                lifeMs, 0x7e57, peId, replies.getRef()));
        return reply(replies, PoolActor.Registered.class).status();
    }

    /** Deltas of one pool, as the node's hub publishes them. */
    private static TestProbe<Delta> deltasOf(PoolHandle handle) {
        TestProbe<Delta> probe = registrar.testKit.createTestProbe();
        ActorRef<Delta> ref = probe.getRef();
        registrar.node().deltas().subscribe(d -> {
            if (d.poolHandle().equals(handle)) {
                ref.tell(d);
            }
        });
        return probe;
    }

    @Test
    void theTimerFiresAtTheEarliestDeadlineAndReArms() {
        PoolHandle handle = PoolHandle.of("timers");
        TestProbe<Delta> deltas = deltasOf(handle);
        TestProbe<PoolActor.Reply> replies = registrar.testKit.createTestProbe();
        assertEquals(Status.ADDED, register(handle, 3, 900, replies));
        assertEquals(Status.ADDED, register(handle, 2, 600, replies));
        assertEquals(Status.ADDED, register(handle, 1, 300, replies)); // moves the timer earlier
        long[] deadlines = new long[4];
        for (int i = 0; i < 3; i++) {
            Delta added = deltas.receiveMessage();
            assertEquals(Delta.Action.ADD, added.action());
            deadlines[added.peId()] = added.element().deadline();
        }
        List<Integer> removedIds = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Delta d = deltas.receiveMessage(Duration.ofSeconds(3));
            long lateMs = (CLOCK.nowMicros() - deadlines[d.peId()]) / 1000;
            removedIds.add(d.peId());
            assertEquals(Delta.Action.REMOVE, d.action());
            assertEquals(Delta.Reason.EXPIRY, d.reason());
            assertTrue(lateMs >= 0, "PE " + d.peId() + " expired " + -lateMs + " ms before its deadline");
            assertTrue(lateMs < 250, "PE " + d.peId() + " expired " + lateMs
                    + " ms after its deadline: the timer was not armed at it");
        }
        assertEquals(List.of(1, 2, 3), removedIds, "in deadline order");
    }

    @Test
    void reRegisteringTheEarliestElementMovesTheDeadlineLater() {
        PoolHandle handle = PoolHandle.of("later");
        TestProbe<Delta> deltas = deltasOf(handle);
        TestProbe<PoolActor.Reply> replies = registrar.testKit.createTestProbe();
        register(handle, 1, 300, replies);
        long firstDeadline = deltas.receiveMessage().element().deadline();
        deltas.expectNoMessage(Duration.ofMillis(150));
        assertEquals(Status.UPDATED, register(handle, 1, 500, replies));
        Delta updated = deltas.receiveMessage();
        assertEquals(Delta.Action.UPDATE, updated.action());
        long newDeadline = updated.element().deadline();
        assertTrue(newDeadline > firstDeadline + 100_000);
        Delta removed = deltas.receiveMessage(Duration.ofSeconds(3));
        long now = CLOCK.nowMicros();
        assertEquals(Delta.Reason.EXPIRY, removed.reason());
        assertTrue(now >= newDeadline, "expired " + (newDeadline - now) / 1000 + " ms before its new deadline");
        assertTrue(now < newDeadline + 250_000, "expired " + (now - newDeadline) / 1000 + " ms late");
    }

    @Test
    void deltasCarryConsecutiveSequenceNumbersWithinAnEpoch() {
        PoolHandle handle = PoolHandle.of("deltas");
        TestProbe<Delta> deltas = deltasOf(handle);
        TestProbe<PoolActor.Reply> replies = registrar.testKit.createTestProbe();
        register(handle, 1, 60_000, replies);
        register(handle, 2, 60_000, replies);
        register(handle, 1, 60_000, replies); // re-registration: UPDATE
        for (int i = 0; i < 3; i++) {
            tell(handle, new PoolActor.ReportUnreachable(2, 100 + i, replies.getRef()));
            reply(replies, PoolActor.Reported.class);
        }
        tell(handle, new PoolActor.Deregister(1, 200, replies.getRef()));
        assertEquals(Status.REMOVED, reply(replies, PoolActor.Deregistered.class).status());

        List<Delta> seen = deltas.receiveSeveralMessages(5);
        long epoch = seen.get(0).ownerEpoch();
        for (int i = 0; i < seen.size(); i++) {
            assertEquals(i + 1, seen.get(i).sequence());
            assertEquals(epoch, seen.get(i).ownerEpoch());
            assertEquals(0x7e57, seen.get(i).writerRegistrarId());
        }
        assertEquals(List.of(Delta.Action.ADD, Delta.Action.ADD, Delta.Action.UPDATE, Delta.Action.REMOVE,
                Delta.Action.REMOVE), seen.stream().map(Delta::action).toList());
        assertEquals(Delta.Reason.UNREACHABLE, seen.get(3).reason());
        assertEquals(Delta.Reason.DEREGISTRATION, seen.get(4).reason());
        assertNull(seen.get(4).element());
        assertEquals(1, seen.get(2).element().id());

        // the pool is empty: its actor passivates (asynchronously: wait until it has stopped, else a register
        // may still reach this incarnation); the next incarnation has a greater epoch and starts at 1
        replies.awaitAssert(Duration.ofSeconds(5), () -> {
            assertTrue(!registrar.node().replica().tracks(handle), "the emptied pool's actor has not stopped");
            return null;
        });
        register(handle, 5, 60_000, replies);
        Delta next = deltas.receiveMessage();
        assertEquals(1, next.sequence());
        assertTrue(next.ownerEpoch() > epoch, "epoch " + next.ownerEpoch() + " after " + epoch);
        assertEquals(0, registrar.node().replica().gaps());
    }

    @Test
    void ownerModeResolutionAnswersFromThePool() {
        PoolHandle handle = PoolHandle.of("owner");
        TestProbe<PoolActor.Reply> replies = registrar.testKit.createTestProbe();
        register(handle, 1, 60_000, replies);
        register(handle, 2, 60_000, replies);
        tell(handle, new PoolActor.Resolve(0, 9, replies.getRef()));
        PoolActor.Resolved resolved = replies.expectMessageClass(PoolActor.Resolved.class);
        assertEquals(9, resolved.requestId());
        assertEquals(2, resolved.elements().size());
        assertEquals(PolicyType.ROUND_ROBIN.code(), resolved.policyType());
        tell(PoolHandle.of("owner-unknown"), new PoolActor.Resolve(0, 10, replies.getRef()));
        assertEquals(Status.UNKNOWN_POOL_HANDLE, replies.expectMessageClass(PoolActor.Resolved.class).status());
    }

    @Test
    void aSessionDropIsHonouredOnlyFromThePesCurrentSession() {
        PoolHandle handle = PoolHandle.of("sessions");
        TestProbe<Delta> deltas = deltasOf(handle);
        TestProbe<PoolActor.Reply> first = registrar.testKit.createTestProbe();
        TestProbe<PoolActor.Reply> second = registrar.testKit.createTestProbe();
        register(handle, 1, 60_000, first);
        register(handle, 1, 60_000, second); // the PE moved to the second session
        assertEquals(new PoolActor.Released(handle, 1), first.expectMessageClass(PoolActor.Released.class));
        tell(handle, new PoolActor.DropSessionElement(1, Delta.Reason.CONNECTION_LOST, 0x7e57, first.getRef()));
        deltas.receiveSeveralMessages(2);
        deltas.expectNoMessage(Duration.ofMillis(200));
        tell(handle, new PoolActor.DropSessionElement(1, Delta.Reason.KEEP_ALIVE_LOST, 0x7e57, second.getRef()));
        Delta removed = deltas.receiveMessage();
        assertEquals(Delta.Reason.KEEP_ALIVE_LOST, removed.reason());
        assertTrue(!registrar.node().replica().contains(handle, 1));
    }

    @Test
    void entityIdsAreReversible() {
        PoolHandle odd = PoolHandle.of(new byte[] {0, (byte) 0xFF, 'a', '/', ' '});
        assertEquals("00ff612f20", PoolActor.entityId(odd));
        assertEquals(odd, PoolActor.poolHandle(PoolActor.entityId(odd)));
    }
}
