package org.poolkeeper.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** A node forming a cluster of its own is started only when it writes every shard, and then stops promptly. */
class StartStopTest {

    @Test
    void aStartedNodeWritesEveryShardAndAStopRightAfterStartDoesNotHang() throws Exception {
        for (int round = 0; round < 3; round++) {
            TestRegistrar registrar = TestRegistrar.start("poolkeeper.registrar.registrar-id = " + (0x5000 + round));
            try {
                assertEquals(registrar.started.replica().numberOfShards(), registrar.started.sharding().hostedShards(),
                        "every shard has its writer here once start has completed");
            } finally {
                // fails if the node takes longer than the test kit's 10 s: a region still buffering messages for
                // shards without a home waits out the whole sharding shutdown phase on the last node
                registrar.close();
            }
        }
    }
}
