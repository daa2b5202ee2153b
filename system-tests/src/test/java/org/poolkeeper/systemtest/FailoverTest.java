package org.poolkeeper.systemtest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.poolkeeper.client.ClientSettings;
import org.poolkeeper.client.Policy;
import org.poolkeeper.client.PoolElementClient;
import org.poolkeeper.client.PoolElementRegistration;
import org.poolkeeper.client.PoolElementSpec;
import org.poolkeeper.client.PoolUserClient;
import org.poolkeeper.client.ResolvedElement;
import org.poolkeeper.client.UnknownPoolHandleException;

/** A pool element fails over to a second registrar process when the first one is killed with SIGKILL. */
class FailoverTest {

    @Test
    void poolElementMovesToTheSecondRegistrarWithinItsReregistrationInterval() throws Exception {
        try (RegistrarProcess first = RegistrarProcess.start(0xA1);
             RegistrarProcess second = RegistrarProcess.start(0xA2);
             PoolElementClient pe = PoolElementClient.create(ClientSettings.of(first.asap(), second.asap()));
             PoolUserClient atSecond = PoolUserClient.create(ClientSettings.of(second.asap()))) {
            Duration interval = Duration.ofSeconds(1);
            PoolElementRegistration registration = pe.registerBlocking(PoolElementSpec.builder("failover", Policy.RANDOM)
                    .address(new InetSocketAddress("127.0.0.1", 7100))
                    .registrationLife(Duration.ofSeconds(3)).reregistrationEvery(interval).build());
            assertEquals(first.asap(), pe.currentRegistrar());
            first.kill();
            long killed = System.nanoTime();
            ClientLibraryTest.eventually("registration at the second registrar", interval, () -> {
                try {
                    List<ResolvedElement> found = atSecond.resolveBlocking("failover", 0);
                    return found.size() == 1 && found.get(0).peId() == registration.peId();
                } catch (UnknownPoolHandleException e) {
                    return false;
                }
            });
            System.out.printf("fail-over: registered at the second registrar %.0f ms after SIGKILL%n",
                    (System.nanoTime() - killed) / 1e6);
            assertEquals(second.asap(), pe.currentRegistrar());
            assertEquals(1, pe.failovers());
        }
    }
}
