package org.poolkeeper.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.poolkeeper.protocol.wire.ErrorCause;

/** max-connections and max-connections-per-address, on a node of their own (no other test's connections count). */
class ConnectionLimitsTcpTest {
    private static TestRegistrar registrar;

    @BeforeAll
    static void start() throws Exception {
        registrar = TestRegistrar.start("""
                poolkeeper.registrar {
                  max-connections = 7
                  max-connections-per-address = 5
                }
                """);
    }

    @AfterAll
    static void stop() {
        registrar.close();
    }

    @Test
    void connectionsBeyondTheLimitsGetAnErrorAndAreClosed() throws Exception {
        List<TestClient> open = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) {
                open.add(registrar.client());
                open.get(i).resolve("nothing", null); // each accepted and answering
            }
            TestClient sixth = registrar.client();
            open.add(sixth);
            assertEquals(ErrorCause.ERROR_CAUSE_LACK_OF_RESOURCES, sixth.next().getError().getCause());
            assertTrue(sixth.awaitClosedByPeer(Duration.ofSeconds(5)), "the 6th from one address is closed");
            TestClient other = TestClient.connectFrom(registrar.asap(), "127.0.0.2");
            open.add(other);
            assertEquals(ErrorCause.ERROR_CAUSE_UNKNOWN_POOL_HANDLE, other.resolve("nothing", null).getCause(),
                    "another address still has room");
            TestClient seventh = TestClient.connectFrom(registrar.asap(), "127.0.0.3");
            open.add(seventh);
            seventh.resolve("nothing", null); // the 7th open one (the refused one holds no place)
            TestClient eighth = TestClient.connectFrom(registrar.asap(), "127.0.0.4");
            open.add(eighth);
            assertEquals(ErrorCause.ERROR_CAUSE_LACK_OF_RESOURCES, eighth.next().getError().getCause(),
                    "beyond max-connections");
        } finally {
            for (TestClient c : open) {
                c.close();
            }
        }
        TestRegistrar.eventually(Duration.ofSeconds(5), "closed connections free their places", () -> {
            try (TestClient again = registrar.client()) {
                return again.resolve("nothing", null).getCause() == ErrorCause.ERROR_CAUSE_UNKNOWN_POOL_HANDLE;
            } catch (Exception | AssertionError e) {
                return false;
            }
        });
    }

}
