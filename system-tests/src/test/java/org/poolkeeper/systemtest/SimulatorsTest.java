package org.poolkeeper.systemtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.poolkeeper.client.ClientSettings;
import org.poolkeeper.client.PoolUserClient;
import org.poolkeeper.client.UnknownPoolHandleException;

/** pe-sim and pu-sim as separate JVMs against a registrar JVM. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SimulatorsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private RegistrarProcess registrar;

    @BeforeAll
    void startRegistrar() throws Exception {
        registrar = RegistrarProcess.start(0x52, Settings.keepAliveInterval("250ms"),
                Settings.keepAliveTimeout("250ms"), Settings.maxHandleResolutionItems(128));
    }

    @AfterAll
    void stopRegistrar() {
        if (registrar != null) {
            registrar.close();
        }
    }

    private Programs.Child run(String program, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Programs.launcher(program).toString());
        command.add("--registrars");
        command.add(registrar.registrars());
        command.addAll(List.of(args));
        return new Programs.Child(command, "-Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
    }

    private static JsonNode summary(Programs.Child child, int timeoutSeconds) throws Exception {
        int exit = child.waitFor(timeoutSeconds);
        String last = child.lastStdoutLine();
        assertEquals(0, exit, "exit code; stderr: " + child.stderr);
        return JSON.readTree(last);
    }

    @Test
    void bothSimulatorsRunWithoutFailuresAndSelectionIsFair() throws Exception {
        try (Programs.Child pe = run("pe-sim", "--pools", "4", "--pes-per-pool", "6", "--policy", "mixed",
                "--pool-prefix", "fair-", "--rereg-interval", "500..1000", "--life", "5000", "--connections", "2",
                "--duration", "9", "--seed", "7")) {
            Thread.sleep(2_500); // every PE registered
            try (Programs.Child pu = run("pu-sim", "--pools", "4", "--pool-prefix", "fair-", "--max-items", "3",
                    "--pus", "2", "--in-flight", "8", "--duration", "4", "--seed", "3")) {
                JsonNode users = summary(pu, 40);
                assertTrue(users.get("resolutions").asLong() > 2_000, "resolutions: " + users);
                assertEquals(0, users.get("errors").asLong(), "errors: " + users);
                assertTrue(users.get("latency_us").get("p99").asLong() > 0);
                JsonNode fairness = users.get("fairness");
                assertEquals(4, fairness.size(), "every pool resolved: " + fairness);
                for (Iterator<Map.Entry<String, JsonNode>> it = fairness.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> pool = it.next();
                    JsonNode f = pool.getValue();
                    switch (f.get("policy").asText()) {
                        case "RR" -> assertTrue(f.get("max_min_ratio").asDouble() <= 1.25, pool.toString());
                        case "LU" -> assertEquals(1.0, f.get("least_loaded_share").asDouble(), 0.0, pool.toString());
                        case "RAND", "WRAND" -> assertTrue(f.get("chi_square_p").asDouble() > 0.001, pool.toString());
                        default -> throw new AssertionError("unexpected policy in " + pool);
                    }
                }
            }
            JsonNode elements = summary(pe, 40);
            assertEquals(24, elements.get("registrations").asLong(), elements.toString());
            assertTrue(elements.get("reregistrations").asLong() >= 24 * 6, elements.toString());
            assertEquals(24, elements.get("deregistrations").asLong(), elements.toString());
            assertEquals(0, elements.get("failures").asLong(), elements.toString());
            assertEquals(0, elements.get("failovers").asLong(), elements.toString());
            assertTrue(elements.get("latency_us").get("p50").asLong() > 0);
        }
    }

    @Test
    void crashedPoolElementsDisappearWithinTheKeepAliveTimeout() throws Exception {
        // crashes happen in the first half of the 4 s load; the hold that follows stops them, and its line says how
        // many PEs are left: time is counted from that line, not from the launch of a JVM that may start slowly
        try (Programs.Child pe = run("pe-sim", "--pools", "1", "--pes-per-pool", "12", "--pool-prefix", "crash-",
                "--crash-fraction", "0.5", "--life", "60000", "--rereg-interval", "20000..20000",
                "--duration", "4", "--hold", "5", "--seed", "11");
             PoolUserClient user = PoolUserClient.create(ClientSettings.of(registrar.asap()))) {
            for (int i = 0; i < 300 && new ArrayList<>(pe.stderr).stream().noneMatch(l -> l.contains("holding: "));
                 i++) {
                Thread.sleep(100);
            }
            String holding = new ArrayList<>(pe.stderr).stream().filter(l -> l.contains("holding: ")).findFirst()
                    .orElseThrow(() -> new AssertionError("pe-sim never held: " + pe.stderr));
            Thread.sleep(1_500); // three times keep-alive interval + timeout (0.25 s + 0.25 s) of this registrar
            int listed;
            try {
                listed = user.resolveBlocking("crash-0", 128).size();
            } catch (UnknownPoolHandleException e) {
                listed = 0;
            }
            JsonNode summary = summary(pe, 40);
            long crashed = summary.get("crashed").asLong();
            assertTrue(crashed > 0, "the seed makes some PEs crash: " + summary);
            assertEquals(12 - crashed, summary.get("registered_at_hold").asLong(), holding);
            assertEquals(12 - crashed, listed, "only the PEs that still answer keep-alives are listed: " + summary);
        }
    }

    @Test
    void peSimHoldsItsPoolElementsRegisteredAndUnchangedBeforeLeaving() throws Exception {
        try (Programs.Child pe = run("pe-sim", "--pools", "1", "--pes-per-pool", "8", "--pool-prefix", "hold-",
                "--rereg-interval", "300..300", "--life", "10000", "--burst", "2@1", "--duration", "3",
                "--hold", "4", "--seed", "5");
             PoolUserClient user = PoolUserClient.create(ClientSettings.of(registrar.asap()))) {
            for (int i = 0; i < 200 && new ArrayList<>(pe.stderr).stream().noneMatch(l -> l.contains("holding: "));
                 i++) {
                Thread.sleep(100);
            }
            assertTrue(new ArrayList<>(pe.stderr).stream().anyMatch(l -> l.contains("holding: 8 PEs registered")),
                    () -> "the hold began with every PE registered: " + pe.stderr);
            // the load changes with every re-registration (every 300 ms before the hold): unchanged means none
            List<String> first = List.of();
            for (int i = 0; i < 20 && first.size() != 8; i++) {
                Thread.sleep(100); // a leave of the last burst may still be on its way
                first = user.resolveBlocking("hold-0", 128).stream().map(e -> e.peId() + "/" + e.load()).sorted()
                        .toList();
            }
            Thread.sleep(1_500); // six keep-alive intervals of this registrar: answered, or the PEs would be gone
            List<String> second = user.resolveBlocking("hold-0", 128).stream()
                    .map(e -> e.peId() + "/" + e.load()).sorted().toList();
            assertEquals(8, first.size(), first.toString());
            assertEquals(first, second, "no registration, re-registration or leave during the hold");
            JsonNode summary = summary(pe, 40);
            assertEquals(8, summary.get("registered_at_hold").asLong(), summary.toString());
            assertEquals(summary.get("registrations").asLong(), summary.get("deregistrations").asLong(),
                    "every PE left after the hold: " + summary);
            assertEquals(0, summary.get("failures").asLong(), summary.toString());
            assertTrue(summary.get("load_s").asDouble() < summary.get("duration_s").asDouble(), summary.toString());
        }
    }

    @Test
    void peSimRejectsAHoldLongerThanTheRegistrationLife() throws Exception {
        Programs.Child child = new Programs.Child(List.of(Programs.launcher("pe-sim").toString(),
                "--registrars", registrar.registrars(), "--hold", "5", "--life", "4000"), "-Xmx64m");
        assertEquals(2, child.waitFor(30));
        assertEquals(1, child.stderr.size(), "one line, no stack trace: " + child.stderr);
        assertTrue(child.stderr.get(0).contains("--life (4000 ms) must exceed --hold"), child.stderr.toString());
    }

    @Test
    void simulatorsExitWithAReasonWhenNoRegistrarIsReachable() throws Exception {
        for (String program : List.of("pe-sim", "pu-sim")) {
            Programs.Child child = new Programs.Child(List.of(Programs.launcher(program).toString(),
                    "--registrars", "127.0.0.1:1", "--duration", "1"), "-Xmx64m");
            int exit = child.waitFor(30);
            assertTrue(exit != 0, program + " must fail");
            assertTrue(String.join("\n", child.stderr).contains("cannot reach any registrar"), child.stderr.toString());
            assertEquals(1, child.stderr.size(), "one line, no stack trace: " + child.stderr);
        }
    }
}
