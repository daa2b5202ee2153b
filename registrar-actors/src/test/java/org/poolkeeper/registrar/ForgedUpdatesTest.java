package org.poolkeeper.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.poolkeeper.handlespace.ElementSnapshot;
import org.poolkeeper.handlespace.PolicyType;
import org.poolkeeper.handlespace.PoolHandle;
import org.poolkeeper.protocol.wire.EnrpMessage;
import org.poolkeeper.protocol.wire.ErrorCause;
import org.poolkeeper.protocol.wire.HandleTableResponse;
import org.poolkeeper.protocol.wire.HandleUpdate;
import org.poolkeeper.protocol.wire.HandleUpdateBatch;
import org.poolkeeper.protocol.wire.PoolEntries;
import org.poolkeeper.protocol.wire.PoolElementEntry;
import org.poolkeeper.protocol.wire.UpdateAction;
import org.poolkeeper.registrar.node.Membership;
import org.poolkeeper.registrar.replication.Inbox;
import org.poolkeeper.registrar.wire.WireMapping;
import org.poolkeeper.replication.PoolOrder;

/**
 * A cluster member that sends forged HandleUpdates — deltas of another writer, an epoch far ahead of any clock, a
 * malformed update — is refused: the PE they would remove stays, and replication goes on.
 */
class ForgedUpdatesTest {

    @Test
    void forgedDeltasAreRefusedAndReplicationGoesOn() throws Exception {
        withVictimOnBoth((a, b, client, victim, inboxOfA) -> {
            PoolOrder order = a.started.replica().apply(a.started.replica().shardOf(victim), s -> s.order(victim));

            // B (a member) sends A removals of the PE it has no right to make
            int otherWriter = order.writer() == 0xb2 ? 0xa1 : order.writer();
            inboxOfA.tell(batch(0xb2, removal(victim, otherWriter, order.epoch(), order.sequence() + 1)));
            inboxOfA.tell(batch(0xb2, removal(victim, 0xb2, Long.MAX_VALUE / 2, 1)));
            inboxOfA.tell(batch(0xb2, HandleUpdate.newBuilder().setPoolHandle(WireMapping.poolHandle(victim))
                    .setOwnerEpoch(0).setSequence(1).build()));
            Thread.sleep(1000);
            assertTrue(a.registeredAt(victim, 7) > 0, "a forged removal was applied");

            // and replication goes on: a PE registered through B arrives at A
            try (TestClient viaB = b.client()) {
                assertEquals(ErrorCause.ERROR_CAUSE_OK, viaB.register("after", 8, 9001, 1, 0, 60_000).getCause());
            }
            PoolHandle after = PoolHandle.of("after".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            TestRegistrar.eventually(Duration.ofSeconds(10), "replication after the forgeries",
                    () -> a.registeredAt(after, 8) > 0);
            assertTrue(a.registeredAt(victim, 7) > 0);
        });
    }

    /**
     * A member that answers a pull of its own table (it asked for one with a resync batch) with a block holding a
     * pool at an epoch far ahead of any clock is refused: that block would replace the real writer's pool here and
     * make all its later changes look stale.
     */
    @Test
    void tableBlockWithAFarEpochIsRefused() throws Exception {
        withVictimOnBoth((a, b, client, victim, inboxOfA) -> {
            ElementSnapshot real = a.started.replica().apply(a.started.replica().shardOf(victim),
                    s -> s.find(victim, 7).snapshot());
            PolicyType policy = real.policy().type();
            ElementSnapshot forged = new ElementSnapshot(99, real.policy(), real.addresses(), real.lifeMs(), 0xb2,
                    real.registeredAt(), real.lastReregisteredAt(), 0, real.deadline(), 0, 0, 0, 0, 0, 0);
            PoolEntries farAhead = PoolEntries.newBuilder().setPoolHandle(WireMapping.poolHandle(victim))
                    .setPolicyType(policy.code()).setOwnerEpoch(Long.MAX_VALUE / 2).setLastSequence(1)
                    .addElements(WireMapping.replicationEntry(forged)).build();

            // B asks A to pull its whole table, and answers the pull itself before its table server can: the
            // messages travel in order on one association, the server's reply needs a round trip
            inboxOfA.tell(EnrpMessage.newBuilder().setHandleUpdateBatch(HandleUpdateBatch.newBuilder()
                    .setSenderRegistrarId(0xb2).setResyncRequired(true)).build());
            for (long requestId = 1; requestId <= 200; requestId++) {
                inboxOfA.tell(EnrpMessage.newBuilder().setHandleTableResponse(HandleTableResponse.newBuilder()
                        .setSenderRegistrarId(0xb2).setRequestId(requestId).addPools(farAhead)
                        .setMoreToSend(false)).build());
            }
            Thread.sleep(1000);
            assertTrue(a.registeredAt(victim, 7) > 0, "the forged table block removed the real PE");
            assertEquals(-1L, a.registeredAt(victim, 99), "the forged table block added its PE");

            // and the real writer's changes still apply: a second PE in the same pool arrives at B
            assertEquals(ErrorCause.ERROR_CAUSE_OK, client.register("victim", 8, 9001, 1, 0, 60_000).getCause());
            TestRegistrar.eventually(Duration.ofSeconds(10), "the real writer's next change at B",
                    () -> b.registeredAt(victim, 8) > 0);
        });
    }

    /** What a test does with two clustered registrars, A (0xa1) and B (0xb2), and PE 7 of pool "victim" on both. */
    private interface Scenario {
        void run(TestRegistrar a, TestRegistrar b, TestClient client, PoolHandle victim,
                 ActorRef<EnrpMessage> inboxOfA) throws Exception;
    }

    /**
     * Starts A and B, registers PE 7 in "victim" through A ({@code client}), waits until both hold it, and runs
     * {@code scenario}; {@code inboxOfA} is A's replication inbox as B reaches it.
     */
    private static void withVictimOnBoth(Scenario scenario) throws Exception {
        try (TestRegistrar a = TestRegistrar.start("poolkeeper.registrar.registrar-id = 0xa1");
             TestRegistrar b = TestRegistrar.start("poolkeeper.registrar.registrar-id = 0xb2\n"
                     + "poolkeeper.registrar.seed-nodes = [\"127.0.0.1:"
                     + a.started.clusterAddress().getPort().get() + "\"]");
             TestClient client = a.client()) {
            TestRegistrar.eventually(Duration.ofSeconds(30), "two members", () ->
                    new Membership(a.testKit.system(), 0xa1).upMembers() == 2
                            && new Membership(b.testKit.system(), 0xb2).upMembers() == 2);
            assertEquals(ErrorCause.ERROR_CAUSE_OK, client.register("victim", 7, 9000, 1, 0, 60_000).getCause());
            PoolHandle victim = PoolHandle.of("victim".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            TestRegistrar.eventually(Duration.ofSeconds(10), "the PE on both", () ->
                    a.registeredAt(victim, 7) > 0 && b.registeredAt(victim, 7) > 0);
            scenario.run(a, b, client, victim, new Membership(b.testKit.system(), 0xb2)
                    .actorAt(a.started.clusterAddress(), Inbox.NAME));
        }
    }

    private static HandleUpdate removal(PoolHandle pool, int writer, long epoch, long sequence) {
        return HandleUpdate.newBuilder().setPoolHandle(WireMapping.poolHandle(pool)).setOwnerEpoch(epoch)
                .setSequence(sequence).setWriterRegistrarId(writer).setAction(UpdateAction.UPDATE_ACTION_REMOVE)
                .setElement(PoolElementEntry.newBuilder().setPeId(7)).build();
    }

    private static EnrpMessage batch(int sender, HandleUpdate update) {
        return EnrpMessage.newBuilder().setHandleUpdateBatch(HandleUpdateBatch.newBuilder()
                .setSenderRegistrarId(sender).addUpdates(update)).build();
    }
}
