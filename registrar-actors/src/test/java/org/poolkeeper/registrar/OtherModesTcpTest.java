package org.poolkeeper.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.poolkeeper.protocol.wire.ErrorCause;

/**
 * A node with non-default modes: resolution-mode = owner (resolutions go to the pool's PoolActor and come back
 * over TCP) and a connection-loss grace.
 */
class OtherModesTcpTest {
    private static TestRegistrar registrar;

    @BeforeAll
    static void start() throws Exception {
        registrar = TestRegistrar.start("""
                poolkeeper.registrar.resolution-mode = owner
                poolkeeper.registrar.connection-loss-grace = 600 ms
                """);
    }

    @AfterAll
    static void stop() {
        registrar.close();
    }

    @Test
    void resolutionsAreAnsweredByThePoolActor() throws Exception {
        try (TestClient pe = registrar.client(); TestClient pu = registrar.client()) {
            for (int id = 1; id <= 3; id++) {
                pe.register("owned", id, 7000 + id, TestClient.RR, 0, 60_000);
            }
            List<Integer> firsts = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                firsts.add(pu.resolvedIds("owned", 1).get(0));
            }
            assertEquals(List.of(1, 2, 3, 1), firsts);
            assertEquals(3, pu.resolve("owned", null).getElementsCount());
            assertEquals(ErrorCause.ERROR_CAUSE_UNKNOWN_POOL_HANDLE, pu.resolve("not-owned", null).getCause());
        }
    }

    @Test
    void aClosedConnectionsElementsStayForTheGrace() throws Exception {
        try (TestClient pu = registrar.client()) {
            TestClient pe = registrar.client();
            pe.register("grace", 1, 7001, TestClient.RR, 0, 60_000);
            long closedAt = System.nanoTime();
            pe.close();
            Thread.sleep(200);
            assertEquals(List.of(1), pu.resolvedIds("grace", null), "still listed during the grace");
            TestRegistrar.eventually(java.time.Duration.ofSeconds(5), "removed after the grace", () -> {
                try {
                    return pu.resolve("grace", null).getCause() == ErrorCause.ERROR_CAUSE_UNKNOWN_POOL_HANDLE;
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            long elapsedMs = (System.nanoTime() - closedAt) / 1_000_000;
            assertTrue(elapsedMs >= 600, "removed " + elapsedMs + " ms after the close, before the grace ended");
        }
    }
}
