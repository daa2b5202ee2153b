package org.poolkeeper.registrar.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Set;
import org.apache.pekko.actor.Address;
import org.junit.jupiter.api.Test;

/**
 * The shard-home hints the relay routes by: a node that left, or stopped announcing a shard, is no home of it any
 * more, however its address object was made; a shard another node announced since stays with that node.
 */
class ShardHomesTest {
    /** A fresh instance each call: presences and member events carry equal, not identical, addresses. */
    private static Address node(int port) {
        return new Address("pekko", "poolkeeper", "127.0.0.1", port);
    }

    @Test
    void aNodeThatLeftIsNoHomeEvenWhenItsAddressIsAnotherInstance() {
        ShardHomes homes = new ShardHomes(8);
        homes.announced(node(1), Set.of(1, 2));
        homes.announced(node(2), Set.of(3));
        assertEquals(node(1), homes.homeOf(1));
        homes.left(node(1));
        assertNull(homes.homeOf(1));
        assertNull(homes.homeOf(2));
        assertEquals(node(2), homes.homeOf(3));
    }

    @Test
    void aShardNoLongerAnnouncedIsForgottenUnlessAnotherNodeTookIt() {
        ShardHomes homes = new ShardHomes(8);
        homes.announced(node(1), Set.of(1, 2, 3));
        homes.announced(node(2), Set.of(2)); // 2 moved to node 2; node 1 has not announced since
        homes.announced(node(1), Set.of(3));
        assertNull(homes.homeOf(1));
        assertEquals(node(2), homes.homeOf(2));
        assertEquals(node(1), homes.homeOf(3));
        homes.left(node(1));
        assertEquals(node(2), homes.homeOf(2), "node 1 leaving does not take shard 2 from node 2");
        assertNull(homes.homeOf(3));
    }
}
