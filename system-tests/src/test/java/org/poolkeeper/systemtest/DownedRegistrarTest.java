package org.poolkeeper.systemtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A registrar the cluster downed while it was paused (SIGSTOP longer than the failure detector and the Split
 * Brain Resolver allow) stops by itself once it runs again, with exit status 3 and a one-line reason, so that its
 * supervisor (the systemd unit restarts on failure) starts it again. It used to exit 0, which the unit counts as
 * success: the cluster stayed one node short.
 */
class DownedRegistrarTest {

    @Test
    void aPausedRegistrarThatWasDownedExitsNonZeroAfterItResumes() throws Exception {
        RegistrarProcess a = RegistrarProcess.start(0xd1, RegistrarClusterTest.SETTINGS);
        RegistrarProcess b = null;
        RegistrarProcess c = null;
        try {
            b = RegistrarProcess.start(0xd2, List.of(a.cluster()), RegistrarClusterTest.SETTINGS);
            c = RegistrarProcess.start(0xd3, List.of(a.cluster()), RegistrarClusterTest.SETTINGS);
            RegistrarProcess first = a;
            ClientLibraryTest.eventually("three members", Duration.ofSeconds(30), () -> members(first) == 3);

            c.signal(true);
            try {
                // the majority downs and removes the paused node
                ClientLibraryTest.eventually("C removed by the others", Duration.ofSeconds(40),
                        () -> members(first) == 2);
            } finally {
                c.signal(false);
            }
            int exit = c.awaitExit(60);
            assertEquals(3, exit, "exit status of the downed registrar; stderr:\n" + c.stderr());
            assertTrue(c.stderr().contains("registrar: stopped by the cluster"), c.stderr());
            // the majority keeps serving
            RegistrarProcess second = b;
            ClientLibraryTest.eventually("A and B still two members", Duration.ofSeconds(10),
                    () -> members(first) == 2 && members(second) == 2);
        } finally {
            a.close();
            if (b != null) {
                b.close();
            }
            if (c != null) {
                c.close();
            }
        }
    }

    private static int members(RegistrarProcess node) {
        JsonNode s = node.status();
        return s == null ? -1 : s.path("members").asInt();
    }
}
