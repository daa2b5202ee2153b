package org.poolkeeper.systemtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A registrar process started with the registrar id of a running member: it is refused, with a line on each
 * side, and the member serves on alone.
 */
class DuplicateRegistrarIdTest {

    @Test
    void aNodeWithATakenRegistrarIdIsRefusedAndSaysSo() throws Exception {
        try (RegistrarProcess a = RegistrarProcess.start(0xD1, List.of())) {
            ClientLibraryTest.eventually("A up", Duration.ofSeconds(20),
                    () -> a.status() != null && a.status().get("ready").asBoolean());
            try (Programs.Child twin = new Programs.Child(List.of(Programs.launcher("registrar").toString(),
                    "--host", "127.0.0.1", "--asap-port", "0", "--cluster-port", "0", "--registrar-id", "0xd1",
                    "--seed", a.cluster()), "-Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1")) {
                int status = twin.waitFor(60);
                twin.awaitOutput();
                assertEquals(2, status, () -> "the twin's exit status; its output: " + twin.stdout + twin.stderr);
                assertTrue(twin.stderr.stream().anyMatch(l -> l.contains("registrar id 0x000000d1 is already the id "
                        + "of the member at")), () -> String.join("\n", twin.stderr));
            }
            ClientLibraryTest.eventually("A's line about the twin", Duration.ofSeconds(10),
                    () -> a.stderr().contains("joined with this node's registrar id 0x000000d1"));
            ClientLibraryTest.eventually("A alone again", Duration.ofSeconds(20),
                    () -> a.status().get("members").asInt() == 1);
            assertTrue(a.status().get("ready").asBoolean(), "A serves on");
        }
    }
}
