package org.poolkeeper.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.poolkeeper.protocol.wire.ErrorCause;

/** A node that binds every address (bind-host) and advertises another (host), as in a container or behind NAT. */
class BindHostTcpTest {
    private static TestRegistrar registrar;

    @BeforeAll
    static void start() throws Exception {
        registrar = TestRegistrar.start("""
                poolkeeper.registrar {
                  bind-host = "0.0.0.0"
                  host = "127.0.0.3"
                  # bound beyond loopback, authorization is on by default (and allows nothing without rules)
                  authorization.enabled = off
                }
                """);
    }

    @AfterAll
    static void stop() {
        registrar.close();
    }

    @Test
    void itAnswersOnAnyLocalAddressAndAdvertisesItsHost() throws Exception {
        int port = registrar.started.asapAddress().getPort();
        for (String address : new String[] {"127.0.0.1", "127.0.0.3"}) {
            try (TestClient client = TestClient.connect(new InetSocketAddress(address, port))) {
                assertEquals(ErrorCause.ERROR_CAUSE_UNKNOWN_POOL_HANDLE, client.resolve("nothing", null).getCause(),
                        "answers on " + address);
                TestRegistrar.eventually(java.time.Duration.ofSeconds(5), "a ServerAnnounce",
                        () -> client.announce() != null);
                assertEquals("127.0.0.3", client.announce().getRegistrars(0).getHost(), "the advertised host");
            }
        }
        assertEquals("127.0.0.3", registrar.started.clusterAddress().getHost().get(),
                "the cluster address is the advertised host too");
    }
}
