package org.poolkeeper.systemtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The hostile-client suite, short (deploy/hostile.sh): one registrar JVM with default settings against PE hijacking
 * without the owner secret, unreachability reports from one connection, registrations whose connection closed at
 * once, five floods (one-PE pools, short connections, unfinished 64 KiB frames — 600 of them, more than the
 * registrar's 32 MiB budget for partial frames —, resolutions, reports) and 1,000,000 fuzzed frames (about 35 s at
 * about 30,000 frames/s on two cores), while legitimate clients go on. It asserts what the suite checks (answers,
 * listings, what the registrar closed, that it lived), never a timing.
 */
class HostileClientTest {

    @Test
    void legitimateClientsSurviveHijackingReportAbuseOwnerlessRegistrationsFloodsAndFuzzing() throws Exception {
        Path out = Files.createTempDirectory("poolkeeper-hostile");
        Programs.Child hostile = new Programs.Child(List.of(Programs.root().resolve("deploy/hostile.sh").toString(),
                "--hijack-pools", "2", "--hijack-pes", "10", "--same-reports", "20", "--ownerless-connections", "100",
                "--ownerless-registrations", "20", "--ownerless-wait", "15", "--flood-seconds", "6",
                "--slow-connections", "600", "--slow-hold", "14", "--report-flood-connections", "2", "--legit-pes",
                "10", "--fuzz-frames", "1000000", "--out", out.toString()), "-Xmx256m -XX:+UseSerialGC");
        int exit = hostile.waitFor(400);
        String report = Files.exists(out.resolve("report.md")) ? Files.readString(out.resolve("report.md")) : "";
        assertTrue(Files.exists(out.resolve("results.json")), () -> "no results:\n" + report + "\n"
                + String.join("\n", hostile.stderr));
        JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        List<String> ran = new ArrayList<>();
        for (JsonNode p : results.path("phases")) {
            ran.add(p.path("phase").asText());
        }
        assertEquals(List.of("hijack", "reports", "ownerless", "flood-pools", "flood-short", "flood-slow",
                "flood-resolutions", "flood-reports", "fuzz", "log"), ran, report);

        JsonNode hijack = phase(results, "hijack");
        assertTrue(hijack.path("attempts").asLong() > 0, report);
        assertEquals(hijack.path("attempts").asLong(), hijack.path("rejected").asLong(),
                () -> "hijack attempts not rejected for security: " + hijack.path("answers") + "\n" + report);
        assertEquals(hijack.path("owner_pes").asLong(), hijack.path("owner_pes_intact").asLong(),
                () -> "owner PEs changed or removed by the attacker\n" + report);
        assertEquals("4/4", hijack.path("no_secret_rejected").asText(), report);
        assertEquals("OK/OK", hijack.path("failover").asText(), () -> "fail-over with the right secret\n" + report);
        assertPassed(hijack, report);

        JsonNode reports = phase(results, "reports");
        assertEquals("20 reports: listed", reports.path("one_reporter").asText(), report);
        assertEquals("removed", reports.path("three_reporters").asText(), report);
        assertEquals("listed", reports.path("reset_by_reregistration").asText(), report);
        assertTrue(reports.path("unknown_pool").asText().startsWith("Error "), report);
        assertTrue(reports.path("unknown_pe").asText().startsWith("Error "), report);
        assertPassed(reports, report);

        JsonNode ownerless = phase(results, "ownerless");
        assertEquals(0, ownerless.path("left_behind").asLong(), () -> "PEs of closed connections left\n" + report);
        assertEquals("2/2", ownerless.path("handed_over_kept").asText(), report);
        assertPassed(ownerless, report);

        for (String flood : List.of("flood-pools", "flood-short", "flood-slow", "flood-resolutions",
                "flood-reports")) {
            JsonNode f = phase(results, flood);
            String[] probe = f.path("probe_answered").asText("0/1").split("/");
            assertTrue(Long.parseLong(probe[0]) > 0, () -> flood + ": no probe resolution answered\n" + report);
            assertEquals(probe[1], probe[0], () -> flood + ": probe resolutions unanswered\n" + report);
            assertPassed(f, report);
        }
        assertTrue(phase(results, "flood-pools").path("ok").asLong() > 0, report);
        JsonNode slow = phase(results, "flood-slow");
        assertTrue(slow.path("closed_by_registrar").asLong() > 0, report);
        assertEquals(0, slow.path("accepted_still_open").asLong(),
                () -> "connections with an unfinished frame left open past frame-timeout\n" + report);
        assertEquals(2, phase(results, "flood-reports").path("reporting_connections").asInt(), report);

        JsonNode fuzz = phase(results, "fuzz");
        // a connection the registrar ends at once writes no frame, but counts towards the 1,000,000
        assertTrue(fuzz.path("frames").asLong() >= 990_000, report);
        assertEquals("ok", fuzz.path("fresh_from_127.0.0.1").asText(), report);
        assertEquals("ok", fuzz.path("fresh_from_127.0.0.2").asText(), report);
        assertPassed(fuzz, report);

        JsonNode log = phase(results, "log");
        assertEquals(0, log.path("out_of_memory").asInt(), report);
        assertEquals(0, log.path("actor_failures").asInt(), report);
        assertEquals(1, log.path("registrar_starts").asInt(), () -> "the registrar died and was restarted\n" + report);

        assertEquals(0, exit, () -> "hostile run failed:\n" + report + "\n" + String.join("\n", hostile.stderr));
        assertTrue(report.contains("Result: PASS"), report);
    }

    private static JsonNode phase(JsonNode results, String name) {
        for (JsonNode p : results.path("phases")) {
            if (p.path("phase").asText().equals(name)) {
                return p;
            }
        }
        throw new AssertionError("no phase " + name + " in " + results);
    }

    private static void assertPassed(JsonNode phase, String report) {
        assertFalse(phase.path("failures").size() > 0 || !phase.path("pass").asBoolean(),
                () -> phase.path("phase").asText() + " failed: " + phase.path("failures") + "\n" + report);
    }
}
