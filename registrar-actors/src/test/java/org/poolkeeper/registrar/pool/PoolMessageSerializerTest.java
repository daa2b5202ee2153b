package org.poolkeeper.registrar.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.poolkeeper.handlespace.AddressBlock;
import org.poolkeeper.handlespace.PolicyInfo;
import org.poolkeeper.handlespace.PolicyType;
import org.poolkeeper.handlespace.PoolHandle;
import org.poolkeeper.handlespace.Status;
import org.poolkeeper.handlespace.TransportKind;
import org.poolkeeper.protocol.wire.PoolElementEntry;
import org.poolkeeper.registrar.RegistrarServer;
import org.poolkeeper.registrar.replication.Auditor;
import org.poolkeeper.replication.Delta;

/**
 * The shard writers' commands and replies that cross JVMs through the shard region, and their wake
 * acknowledgements, survive protobuf serialization.
 */
class PoolMessageSerializerTest {
    private static ActorTestKit testKit;
    private static Serialization serialization;

    @BeforeAll
    static void start() {
        testKit = ActorTestKit.create(RegistrarServer.loadConfig(ConfigFactory.parseString("""
                poolkeeper.registrar { registrar-id = 7, cluster-port = 0 }
                pekko.cluster.jmx.enabled = off
                """), null));
        serialization = SerializationExtension.get(testKit.system().classicSystem());
    }

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    private static Object roundTrip(Object message) throws Exception {
        org.apache.pekko.serialization.Serializer serializer = serialization.findSerializerFor(message);
        assertEquals(PoolMessageSerializer.class, serializer.getClass());
        byte[] bytes = serializer.toBinary(message);
        return serialization.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, message))
                .get();
    }

    @Test
    void commandsAndRepliesRoundTrip() throws Exception {
        TestProbe<ShardWriter.Reply> probe = testKit.createTestProbe();
        TestProbe<Auditor.WriterAwake> auditor = testKit.createTestProbe();
        PolicyInfo policy = PolicyInfo.weighted(PolicyType.WEIGHTED_RANDOM, 5);
        AddressBlock addresses = AddressBlock.ipv4(0x7F000001, 7000, TransportKind.TCP);
        PoolHandle handle = PoolHandle.of(new byte[] {1, 2, 3});
        List<Object> messages = List.of(
                new ShardWriter.Register(handle, 42, policy, addresses, 30_000, 0xA1, -5L, 77L, 9, probe.ref()),
                new ShardWriter.Deregister(handle, 42, -5L, 77L, 10, probe.ref()),
                new ShardWriter.Resolve(handle, 3, 11, probe.ref()),
                new ShardWriter.ReportUnreachable(handle, 42, 0xA1_0000_0007L, 12, probe.ref()),
                new ShardWriter.DropSessionElement(handle, 42, Delta.Reason.KEEP_ALIVE_LOST, 0xA1, probe.ref()),
                new ShardWriter.DropSessionElement(handle, 42, Delta.Reason.CONNECTION_LOST, 0xA1, probe.ref(), true,
                        0),
                new ShardWriter.DropSessionElement(handle, 42, Delta.Reason.CONNECTION_LOST, 0xA1, probe.ref(), false,
                        1_796_000_000_123_456L),
                new ShardWriter.Wake(0xB2, auditor.ref()),
                new ShardWriter.Wake(0, null),
                new Auditor.WriterAwake(17, 0xA1),
                new ShardWriter.Registered(9, handle, 42, Status.ADDED, 1_796_000_000_123_456L),
                new ShardWriter.Deregistered(10, handle, 42, Status.REMOVED),
                new ShardWriter.Resolved(11, handle, 1, List.of(PoolElementEntry.newBuilder().setPeId(42).build()),
                        Status.REPORTED),
                new ShardWriter.Reported(12, handle, 42, Status.UNKNOWN_POOL_ELEMENT),
                new ShardWriter.Released(handle, 42),
                new ShardWriter.Reclaimed(handle, 42, 1_796_000_000_123_456L));
        for (Object message : messages) {
            assertEquals(message, roundTrip(message));
        }
    }

    @Test
    void relayBatchesRoundTripWithEachReferenceOnce() throws Exception {
        TestProbe<ShardWriter.Reply> a = testKit.createTestProbe();
        TestProbe<ShardWriter.Reply> b = testKit.createTestProbe();
        TestProbe<Auditor.WriterAwake> auditor = testKit.createTestProbe();
        PolicyInfo policy = PolicyInfo.of(PolicyType.ROUND_ROBIN);
        PoolHandle handle = PoolHandle.of(new byte[] {9});
        Relay.CommandBatch commands = new Relay.CommandBatch(List.of(
                new Relay.Routed(3, new ShardWriter.Register(handle, 1, policy,
                        AddressBlock.ipv4(0x7F000001, 7001, TransportKind.TCP), 5_000, 0xA1, 0, 0, 1, a.ref())),
                new Relay.Routed(3, new ShardWriter.Deregister(handle, 2, 0, 0, 2, b.ref())),
                new Relay.Routed(4, new ShardWriter.Resolve(handle, 8, 3, a.ref())),
                new Relay.Routed(5, new ShardWriter.Wake(0, null)),
                new Relay.Routed(6, new ShardWriter.Wake(0xA1, auditor.ref()))));
        assertEquals(commands, roundTrip(commands));
        PoolMessageSerializer serializer = (PoolMessageSerializer) serialization.findSerializerFor(commands);
        assertEquals(3, serializer.commandBatch(commands).getRefsCount(), "a, b and the auditor, once each");
        Relay.ReplyBatch replies = new Relay.ReplyBatch(List.of(
                new Relay.Deliver(a.ref(), new ShardWriter.Registered(1, handle, 1, Status.ADDED)),
                new Relay.Deliver(b.ref(), new ShardWriter.Deregistered(2, handle, 2, Status.REMOVED)),
                new Relay.Deliver(a.ref(), new ShardWriter.Released(handle, 1))));
        assertEquals(replies, roundTrip(replies));
        assertEquals(2, serializer.replyBatch(replies).getRefsCount());
    }

    @Test
    void aRelayedReferenceOutsideTheBatchTableIsRefused() {
        PoolMessageSerializer serializer = (PoolMessageSerializer) serialization.findSerializerFor(
                new Relay.ReplyBatch(List.of()));
        byte[] bad = org.poolkeeper.protocol.wire.PoolReplyBatch.newBuilder()
                .addReplies(org.poolkeeper.protocol.wire.RelayedReply.newBuilder().setTo(2)
                        .setReply(serializer.reply(new ShardWriter.Released(PoolHandle.of(new byte[] {1}), 1))))
                .build().toByteArray();
        assertThrows(java.io.NotSerializableException.class, () -> serializer.fromBinary(bad, "Q"));
    }

    @Test
    void localOnlyMessagesAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> serialization.findSerializerFor(ShardWriter.Expire.INSTANCE).toBinary(ShardWriter.Expire.INSTANCE));
    }
}
