package org.poolkeeper.systemtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The fault suite, short (deploy/chaos.sh): three registrar JVMs with default settings under pe-sim and pu-sim load,
 * restarted by a supervisor when they exit; a SIGKILL, a SIGSTOP/SIGCONT past the failure detector, repeated
 * kill/restart, and a {1,2}|{3} partition in network namespaces (skipped, with the reason in the report, where they
 * cannot be made). At every 100 ms sample every registrar that answers must list every live PE; no registration
 * of a live pe-sim may fail; at least 99.9 % of the resolutions must be answered; after each fault all three agree.
 * It asserts what the suite checks, never a timing. Agreement is awaited for up to 90 s: on a slow 2-core host the
 * rejoin after the partition was seen to stall every node's heartbeats for about a second, and the split brain
 * resolver then downed a healthy node (DownIndirectlyConnected) that restarted and rejoined in turn; no live PE went
 * missing, but agreement took longer than 45 s.
 */
class FaultTest {

    @Test
    void noServingRegistrarMissesALivePeThroughKillPauseRestartsAndAPartition() throws Exception {
        Path out = Files.createTempDirectory("poolkeeper-chaos");
        Programs.Child chaos = new Programs.Child(List.of(Programs.root().resolve("deploy/chaos.sh").toString(),
                "--scenarios", "kill,pause,restart,partition", "--cycles", "2", "--cycle-seconds", "25",
                "--pause-seconds", "8", "--partition-seconds", "15", "--after-seconds", "3", "--settle-seconds", "90",
                "--pools", "12", "--pes-per-pool", "20", "--rate", "600", "--restart-delay", "2", "--out",
                out.toString()), "-Xmx256m -XX:+UseSerialGC");
        int exit = chaos.waitFor(900);
        String report = Files.exists(out.resolve("report.md")) ? Files.readString(out.resolve("report.md")) : "";
        assertTrue(Files.exists(out.resolve("results.json")), () -> "no results:\n" + report + "\n"
                + String.join("\n", chaos.stderr));
        JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        List<String> ran = new ArrayList<>();
        for (JsonNode s : results.path("scenarios")) {
            String name = s.path("scenario").asText();
            ran.add(name);
            assertEquals(0, s.path("missing_max").asInt(), () -> name + ": live PEs missing at a serving registrar: "
                    + s.path("missing") + "\n" + report);
            assertEquals(0, s.path("pe_failures").asLong(), () -> name + ": registrations of live pe-sims failed\n"
                    + report);
            assertTrue(s.path("resolutions").asLong() > 0, () -> name + ": no resolutions measured\n" + report);
            assertTrue(s.path("resolutions_answered_pct").asDouble() >= 99.9, () -> name + ": resolutions answered\n"
                    + report);
            assertTrue(s.path("agreed").asBoolean(), () -> name + ": the registrars did not agree\n" + report);
        }
        assertTrue(ran.containsAll(List.of("kill", "pause", "restart")), ran + "\n" + report);
        if (!ran.contains("partition")) {
            // no network namespaces here (not root, or no iproute2): the report says why
            assertTrue(report.contains("| partition | SKIPPED"), report);
            System.err.println("FaultTest: partition scenario skipped: network namespaces are not available");
        }
        assertEquals(0, exit, () -> "fault run failed:\n" + report + "\n" + String.join("\n", chaos.stderr));
        assertTrue(report.contains("Result: PASS"), report);
    }
}
