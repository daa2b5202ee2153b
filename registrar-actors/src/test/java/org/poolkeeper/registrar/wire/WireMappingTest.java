package org.poolkeeper.registrar.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.poolkeeper.handlespace.AddressBlock;
import org.poolkeeper.handlespace.HandlespaceConfig;
import org.poolkeeper.handlespace.PolicyInfo;
import org.poolkeeper.handlespace.PolicyType;
import org.poolkeeper.handlespace.Pool;
import org.poolkeeper.handlespace.PoolElement;
import org.poolkeeper.handlespace.PoolHandle;
import org.poolkeeper.handlespace.TransportAddress;
import org.poolkeeper.handlespace.TransportKind;
import org.poolkeeper.protocol.wire.PoolElementEntry;
import org.poolkeeper.replication.Delta;

class WireMappingTest {

    @Test
    void replicationEntryRoundTripsThroughImport() throws Exception {
        Pool source = new Pool(PoolHandle.of("wire"), HandlespaceConfig.DEFAULTS, 1);
        AddressBlock addresses = AddressBlock.of(TransportAddress.tcp("192.0.2.1", 4711),
                TransportAddress.of("2001:db8::7", 80, TransportKind.SCTP));
        source.register(0xCAFEBABE, new PolicyInfo(PolicyType.LEAST_USED_DEGRADATION, 10, 1, 0, 3), addresses, 5000,
                0x10000002, 1234);
        source.resolve(1, 0, 5678, new PoolElement[1]); // accumulate some degradation
        PoolElement original = source.find(0xCAFEBABE);
        PoolElementEntry entry = PoolElementEntry.parseFrom(
                WireMapping.replicationEntry(original.snapshot()).toByteArray());
        Pool target = new Pool(PoolHandle.of("wire"), HandlespaceConfig.DEFAULTS, 2);
        target.importElement(WireMapping.snapshot(entry));
        assertEquals(original.snapshot(), target.find(0xCAFEBABE).snapshot());
        assertEquals(3, target.find(0xCAFEBABE).accumulatedDegradation());
    }

    @Test
    void badWireValuesAreRejectedWithAReason() {
        var noKind = org.poolkeeper.protocol.wire.TransportAddress.newBuilder()
                .setAddress(ByteString.copyFrom(new byte[4])).setPort(80).build();
        assertThrows(WireMapping.InvalidWireValueException.class, () -> WireMapping.addresses(List.of(noKind)));
        var badLength = noKind.toBuilder().setKind(org.poolkeeper.protocol.wire.TransportKind.TRANSPORT_KIND_TCP)
                .setAddress(ByteString.copyFrom(new byte[5])).build();
        assertThrows(WireMapping.InvalidWireValueException.class, () -> WireMapping.addresses(List.of(badLength)));
        var badPort = badLength.toBuilder().setAddress(ByteString.copyFrom(new byte[4])).setPort(70000).build();
        assertThrows(WireMapping.InvalidWireValueException.class, () -> WireMapping.addresses(List.of(badPort)));
        assertThrows(WireMapping.InvalidWireValueException.class, () -> WireMapping.addresses(List.of()));
        assertThrows(WireMapping.InvalidWireValueException.class, () -> WireMapping.policy(
                org.poolkeeper.protocol.wire.PolicyInfo.newBuilder().setPolicyType(0x77).build()));
        assertThrows(WireMapping.InvalidWireValueException.class, () -> WireMapping.poolHandle(ByteString.EMPTY));
    }

    @Test
    void deltasRoundTripThroughHandleUpdates() throws Exception {
        Pool pool = new Pool(PoolHandle.of("delta"), HandlespaceConfig.DEFAULTS, 3);
        pool.register(5, PolicyInfo.of(PolicyType.ROUND_ROBIN), AddressBlock.of(TransportAddress.tcp("192.0.2.5", 80)),
                30_000, 0x10000001, 777);
        Delta add = new Delta(PoolHandle.of("delta"), 9, 1, Delta.Action.ADD, 5, pool.find(5).snapshot(),
                Delta.Reason.REGISTRATION, 0x10000001);
        Delta remove = new Delta(PoolHandle.of("delta"), 9, 2, Delta.Action.REMOVE, 5, null, Delta.Reason.DEREGISTRATION,
                0x10000001);
        for (Delta d : List.of(add, remove)) {
            var wire = org.poolkeeper.protocol.wire.HandleUpdate.parseFrom(WireMapping.handleUpdate(d).toByteArray());
            assertEquals(d, WireMapping.delta(wire));
        }
    }
}
