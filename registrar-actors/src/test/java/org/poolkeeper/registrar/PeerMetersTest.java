package org.poolkeeper.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.poolkeeper.registrar.replication.ReplicationStats;

/** A peer's replication meters exist from when it is first named until it leaves the cluster. */
class PeerMetersTest {
    private static List<Meter> peerMeters(SimpleMeterRegistry registry, String peer) {
        return registry.getMeters().stream().filter(m -> m.getId().getName().startsWith("poolkeeper.peer.")
                && peer.equals(m.getId().getTag("peer"))).toList();
    }

    @Test
    void aPeerThatLeftTakesItsMetersWithIt() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ReplicationStats stats = new ReplicationStats();
        stats.peer(0x101); // named before the meters were bound
        NodeMeters.bindPeers(registry, stats);
        stats.peer(0x102);
        assertEquals(6, peerMeters(registry, "0x00000101").size());
        assertEquals(6, peerMeters(registry, "0x00000102").size());

        stats.peerLeft(0x101);
        assertTrue(peerMeters(registry, "0x00000101").isEmpty(), () -> registry.getMetersAsString());
        assertEquals(6, peerMeters(registry, "0x00000102").size(), "the other peer keeps its meters");
        stats.peerLeft(0x999); // never named: nothing to remove

        stats.peer(0x101); // the same id back (a restart with a fixed --registrar-id): meters again, from zero
        assertEquals(6, peerMeters(registry, "0x00000101").size());
    }
}
