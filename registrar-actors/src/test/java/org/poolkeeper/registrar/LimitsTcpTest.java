package org.poolkeeper.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.poolkeeper.protocol.wire.AsapMessage;
import org.poolkeeper.protocol.wire.ErrorCause;
import org.poolkeeper.protocol.wire.HandleResolution;

/**
 * The node limits of reference.conf, set small, over real TCP: what exceeds a limit is refused with an answer, and
 * what stays within it keeps working.
 */
class LimitsTcpTest {
    private static TestRegistrar registrar;

    @BeforeAll
    static void start() throws Exception {
        registrar = TestRegistrar.start("""
                poolkeeper.registrar {
                  max-pools = 4
                  max-pool-elements = 6
                  frame-timeout = 1 s
                  idle-timeout = 3 s
                  max-unfinished-frame-bytes = 100 KiB
                  max-hr-rate = 50
                  max-eu-rate = 5
                }
                """);
    }

    @AfterAll
    static void stop() {
        registrar.close();
    }

    @Test
    void poolsAndPesBeyondTheNodeLimitsAreRefusedAndAdmittedAgainOnceBelow() throws Exception {
        try (TestClient pe = registrar.client()) {
            ErrorCause lack = ErrorCause.ERROR_CAUSE_LACK_OF_RESOURCES;
            for (int p = 0; p < 4; p++) {
                assertEquals(ErrorCause.ERROR_CAUSE_OK, pe.register("limit-" + p, 1, 7001, TestClient.RR, 0, 60_000)
                        .getCause());
            }
            assertEquals(lack, pe.register("limit-4", 1, 7001, TestClient.RR, 0, 60_000).getCause(), "a 5th pool");
            assertEquals(ErrorCause.ERROR_CAUSE_OK, pe.register("limit-0", 2, 7002, TestClient.RR, 0, 60_000)
                    .getCause());
            assertEquals(ErrorCause.ERROR_CAUSE_OK, pe.register("limit-0", 3, 7003, TestClient.RR, 0, 60_000)
                    .getCause());
            assertEquals(lack, pe.register("limit-0", 4, 7004, TestClient.RR, 0, 60_000).getCause(), "a 7th PE");
            assertEquals(ErrorCause.ERROR_CAUSE_OK, pe.register("limit-0", 3, 7003, TestClient.RR, 0, 60_000)
                    .getCause(), "a re-registration needs no room");
            assertEquals(ErrorCause.ERROR_CAUSE_OK, pe.deregister("limit-3", 1).getCause());
            assertEquals(ErrorCause.ERROR_CAUSE_OK, pe.register("limit-4", 1, 7001, TestClient.RR, 0, 60_000)
                    .getCause(), "room again");
            for (String pool : List.of("limit-0", "limit-1", "limit-2", "limit-4")) {
                for (int id = 1; id <= 3; id++) {
                    pe.deregister(pool, id);
                }
            }
        }
    }

    @Test
    void aConnectionThatSendsNothingOrStallsInAFrameIsClosedAndAnIdleOneToo() throws Exception {
        try (TestClient silent = registrar.client(); TestClient stalled = registrar.client();
             TestClient working = registrar.client()) {
            stalled.sendRaw(new byte[] {0, 0, 1, 0, 1, 2, 3}); // 256 bytes announced, 3 sent
            working.resolve("nothing", null);
            assertTrue(silent.awaitClosedByPeer(Duration.ofSeconds(4)), "no frame within frame-timeout");
            assertTrue(stalled.awaitClosedByPeer(Duration.ofSeconds(4)), "a frame unfinished for frame-timeout");
            assertFalse(working.awaitClosedByPeer(Duration.ofMillis(1500)), "a connection that sent a frame stays");
            assertTrue(working.awaitClosedByPeer(Duration.ofSeconds(5)), "until it is idle for idle-timeout");
        }
    }

    @Test
    void unfinishedFramesOfAllConnectionsShareOneBudget() throws Exception {
        try (TestClient first = registrar.client(); TestClient second = registrar.client();
             TestClient third = registrar.client()) {
            byte[] header = {0, 0, (byte) 0xFF, (byte) 0xFF};
            byte[] almost = new byte[60_000];
            first.sendRaw(header);
            first.sendRaw(almost);
            Thread.sleep(200);
            second.sendRaw(header);
            second.sendRaw(almost); // 120,008 bytes unfinished in all: beyond 100 KiB
            assertTrue(second.awaitClosedByPeer(Duration.ofSeconds(3)), "the connection beyond the budget");
            // a small frame split over two writes is not charged: it completes while the budget is taken
            byte[] resolution = new org.poolkeeper.protocol.FrameEncoder(65_536).encode(AsapMessage.newBuilder()
                    .setHandleResolution(HandleResolution.newBuilder().setRequestId(third.nextRequestId())
                            .setPoolHandle(TestClient.handle("nothing"))).build());
            third.sendRaw(java.util.Arrays.copyOf(resolution, 6));
            Thread.sleep(100);
            third.sendRaw(java.util.Arrays.copyOfRange(resolution, 6, resolution.length));
            assertEquals(ErrorCause.ERROR_CAUSE_UNKNOWN_POOL_HANDLE, third.next().getHandleResolutionResponse()
                    .getCause(), "a split small frame goes on");
            assertEquals(ErrorCause.ERROR_CAUSE_UNKNOWN_POOL_HANDLE, third.resolve("nothing", null).getCause(),
                    "complete frames go on");
        }
    }

    @Test
    void resolutionsAndReportsBeyondTheirRatesAreRefused() throws Exception {
        try (TestClient pu = registrar.client(); TestClient pe = registrar.client()) {
            pe.register("rates", 1, 7001, TestClient.RR, 0, 60_000);
            int n = 200;
            for (int i = 0; i < n; i++) {
                pu.send(AsapMessage.newBuilder().setHandleResolution(HandleResolution.newBuilder()
                        .setRequestId(pu.nextRequestId()).setPoolHandle(TestClient.handle("rates"))).build());
            }
            int refused = 0;
            for (int i = 0; i < n; i++) {
                if (pu.next().getHandleResolutionResponse().getCause() == ErrorCause.ERROR_CAUSE_LACK_OF_RESOURCES) {
                    refused++;
                }
            }
            assertTrue(refused >= n - 2 * 50, "at most two seconds' worth answered: " + refused + " refused");
            for (int i = 0; i < 20; i++) {
                pu.reportUnreachable("rates", 1);
            }
            int errors = 0;
            for (int i = 0; i < 20 - 2 * 5; i++) {
                AsapMessage m = pu.next();
                if (m.hasError() && m.getError().getCause() == ErrorCause.ERROR_CAUSE_LACK_OF_RESOURCES) {
                    errors++;
                }
            }
            assertEquals(20 - 2 * 5, errors, "reports beyond max-eu-rate are answered with an error");
            assertEquals(1, pe.resolve("rates", null).getElementsCount(), "one reporter never removes a PE");
            pe.deregister("rates", 1);
        }
    }
}
