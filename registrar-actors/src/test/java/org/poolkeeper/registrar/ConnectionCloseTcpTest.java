package org.poolkeeper.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.poolkeeper.protocol.wire.AsapMessage;

/**
 * A connection that closes with registrations still on their way to the PoolActors (a client that timed out
 * and failed over): the PEs those registrations add are removed like the connection's other PEs, not left
 * behind until their life ends.
 */
class ConnectionCloseTcpTest {
    private static TestRegistrar registrar;

    @BeforeAll
    static void start() throws Exception {
        registrar = TestRegistrar.start("");
    }

    @AfterAll
    static void stop() {
        registrar.close();
    }

    @Test
    void registrationsStillOnTheirWayWhenTheConnectionClosesDoNotLeaveElementsBehind() throws Exception {
        try (TestClient stays = registrar.client()) {
            stays.register("stays", 1, 7001, TestClient.RR, 0, 60_000);
            for (int round = 0; round < 5; round++) {
                TestClient leaves = registrar.client();
                // pipelined into pools that do not exist yet (their actors start first, so the answers take a
                // while): mostly unanswered when the connection closes
                for (int i = 0; i < 200; i++) {
                    leaves.send(AsapMessage.newBuilder().setRegistration(TestClient.registration(
                            "pending-" + round + "-" + i, 100 + i, 7100 + i, TestClient.policy(TestClient.RR, 0),
                            60_000).setRequestId(leaves.nextRequestId())).build());
                }
                leaves.close();
                TestRegistrar.eventually(Duration.ofSeconds(5), "the closed connection's PEs removed, also those "
                        + "whose registration was answered after the close",
                        () -> registrar.node().replica().elementCount() == 1);
            }
            Thread.sleep(300);
            assertEquals(1, registrar.node().replica().elementCount());
        }
    }
}
