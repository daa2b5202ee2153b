package org.poolkeeper.systemtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.poolkeeper.client.ClientSettings;
import org.poolkeeper.client.Policy;
import org.poolkeeper.client.PoolElementClient;
import org.poolkeeper.client.PoolElementSpec;

/**
 * deploy/bin/poolkeeper against three real registrar processes: the hello world (register, resolve, dump,
 * deregister), a dump of more than one block, status and members with every node up and with one SIGKILLed, and
 * one-line errors with their exit statuses.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PoolkeeperCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern REGISTERED = Pattern.compile("registered PE (0x[0-9a-f]{8}) in pool");
    private static final Pattern SECRET = Pattern.compile("owner secret ([0-9a-f]+)");
    private static final String JAVA_OPTS = "-Xmx96m -XX:+UseSerialGC -XX:TieredStopAtLevel=1";

    private static RegistrarProcess a;
    private static RegistrarProcess b;
    private static RegistrarProcess c;

    @BeforeAll
    static void startCluster() throws Exception {
        a = RegistrarProcess.start(0xa1, List.of());
        b = RegistrarProcess.start(0xb2, List.of(a.cluster()));
        c = RegistrarProcess.start(0xc3, List.of(a.cluster()));
        ClientLibraryTest.eventually("three members Up everywhere", Duration.ofSeconds(30), () -> {
            for (RegistrarProcess r : List.of(a, b, c)) {
                JsonNode s = r.status();
                if (s == null || s.get("members").asInt() != 3 || !s.get("ready").asBoolean()) {
                    return false;
                }
            }
            return true;
        });
    }

    @AfterAll
    static void stopCluster() {
        for (RegistrarProcess r : new RegistrarProcess[] {a, b, c}) {
            if (r != null) {
                r.close();
            }
        }
    }

    /** One run of the command: its exit status and output. */
    private record Run(int status, List<String> stdout, List<String> stderr) {
        String out() {
            return String.join("\n", stdout);
        }

        JsonNode json() throws Exception {
            return JSON.readTree(out());
        }

        @Override
        public String toString() {
            return "exit " + status + "; stdout: " + stdout + "; stderr: " + stderr;
        }
    }

    private static Programs.Child start(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Programs.launcher("poolkeeper").toString());
        command.addAll(List.of(args));
        return new Programs.Child(command, JAVA_OPTS);
    }

    private static Run run(String... args) throws Exception {
        try (Programs.Child child = start(args)) {
            int status = child.waitFor(60);
            child.awaitOutput();
            return new Run(status, List.copyOf(child.stdout), List.copyOf(child.stderr));
        }
    }

    private static String all() {
        return a.registrars() + "," + b.registrars() + "," + c.registrars();
    }

    private static String awaitLine(Programs.Child child, Pattern pattern) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            synchronized (child.stdout) {
                for (String line : child.stdout) {
                    Matcher m = pattern.matcher(line);
                    if (m.find()) {
                        return m.group(1);
                    }
                }
            }
            if (!child.process.isAlive()) {
                throw new AssertionError("register exited with " + child.process.exitValue() + ": " + child.stdout
                        + child.stderr);
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no line matching " + pattern + " within 30 s: " + child.stdout + child.stderr);
    }

    @Test
    void helloWorldRegisterResolveDumpAndDeregisterThroughDifferentRegistrars() throws Exception {
        try (Programs.Child register = start("register", "hello", "--address", "127.0.0.1:8080", "--hold",
                "-r", a.registrars())) {
            String peId = awaitLine(register, REGISTERED);
            String secret = awaitLine(register, SECRET);

            Run resolve = run("resolve", "hello", "-r", c.registrars());
            assertEquals(0, resolve.status(), resolve::toString);
            assertTrue(resolve.stdout().get(0).startsWith("PE"), "a table with a header: " + resolve);
            assertTrue(resolve.out().contains(peId) && resolve.out().contains("127.0.0.1:8080"), resolve::toString);

            JsonNode resolved = run("-o", "json", "resolve", "hello", "-r", b.registrars()).json();
            assertEquals("RR", resolved.get("policy").asText());
            assertEquals(1, resolved.get("elements").size());
            assertEquals(peId, resolved.get("elements").get(0).get("pe_id").asText());
            assertEquals("0x000000a1", resolved.get("elements").get(0).get("home_registrar").asText(),
                    "registered through A: A is its home");

            Run dump = run("dump", "-r", b.registrars());
            assertEquals(0, dump.status(), dump::toString);
            assertTrue(dump.stdout().stream().anyMatch(l -> l.startsWith("hello") && l.contains(peId)
                    && l.contains("0x000000a1")), dump::toString);
            JsonNode pool = run("-o", "json", "dump", "hello", "-r", c.registrars()).json().get("pools").get(0);
            assertEquals("hello", pool.get("pool").asText());
            JsonNode pe = pool.get("elements").get(0);
            assertEquals(peId, pe.get("pe_id").asText());
            long lifeLeft = pe.get("life_left_ms").asLong();
            assertTrue(lifeLeft > 0 && lifeLeft <= 30_000, "life left within the 30 s life: " + lifeLeft);

            Run wrongSecret = run("deregister", "hello", peId, "--secret", "00".repeat(32), "-r", c.registrars());
            assertEquals(1, wrongSecret.status(), wrongSecret::toString);
            assertEquals(1, wrongSecret.stderr().size(), "one line: " + wrongSecret);
            assertTrue(wrongSecret.stderr().get(0).startsWith("poolkeeper: "), wrongSecret::toString);
            assertEquals(0, run("resolve", "hello", "-r", c.registrars()).status(), "a wrong secret changes nothing");

            Run deregister = run("deregister", "hello", peId, "--secret", secret, "-r", c.registrars());
            assertEquals(0, deregister.status(), deregister::toString);
            Run gone = run("resolve", "hello", "-r", c.registrars());
            assertEquals(1, gone.status(), gone::toString);
            assertEquals(List.of("poolkeeper: pool 'hello': no such pool"), gone.stderr());

            register.process.destroy(); // SIGTERM: what Ctrl-C does too
            assertEquals(143, register.waitFor(30), () -> "register ends on SIGTERM: " + register.stderr);
        }
    }

    @Test
    void aRegistrationHeldByTheCommandEndsWhenItsTimeIsUp() throws Exception {
        Run held = run("register", "brief", "--address", "127.0.0.1:8090", "--policy", "LU", "--load", "25",
                "--for", "1s", "-r", b.registrars());
        assertEquals(0, held.status(), held::toString);
        assertTrue(held.stderr().stream().anyMatch(l -> l.startsWith("deregistered PE")), held::toString);
        assertEquals(1, run("resolve", "brief", "-r", a.registrars()).status(), "deregistered at the end");
    }

    @Test
    void aRegistrationNotHeldEndsWithTheCommand() throws Exception {
        Run once = run("register", "once", "--address", "127.0.0.1:8091", "-r", b.registrars());
        assertEquals(0, once.status(), once::toString);
        assertTrue(once.out().contains("registered PE"), once::toString);
        assertTrue(once.stderr().stream().anyMatch(l -> l.startsWith("not held")), once::toString);
        ClientLibraryTest.eventually("the registrar removes the PE after the connection-loss grace",
                Duration.ofSeconds(10), () -> {
                    try {
                        return run("resolve", "once", "-r", b.registrars()).status() == 1;
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                });
    }

    @Test
    void aDumpOfManyBlocksListsEveryPeOnce() throws Exception {
        Set<String> registered = new HashSet<>();
        try (PoolElementClient pe = PoolElementClient.create(ClientSettings.of(a.asap()))) {
            for (int i = 0; i < 1_300; i++) {
                String pool = i < 700 ? "big" : "small-" + i % 60;
                int id = pe.registerBlocking(PoolElementSpec.builder(pool, Policy.ROUND_ROBIN)
                        .address(new InetSocketAddress("127.0.0.1", 9000 + i % 1000)).peId(i + 1)
                        .registrationLife(Duration.ofSeconds(60)).build()).peId();
                registered.add(pool + "/" + String.format("0x%08x", id));
            }
            ClientLibraryTest.eventually("replicated to C", Duration.ofSeconds(10), () -> {
                JsonNode s = c.status();
                return s != null && s.get("elements").asInt() >= 1_300;
            });
            JsonNode dump = run("-o", "json", "dump", "-r", c.registrars()).json();
            Set<String> dumped = new HashSet<>();
            int count = 0;
            for (JsonNode pool : dump.get("pools")) {
                for (JsonNode e : pool.get("elements")) {
                    dumped.add(pool.get("pool").asText() + "/" + e.get("pe_id").asText());
                    count++;
                }
            }
            assertEquals(count, dumped.size(), "no PE twice");
            assertTrue(dumped.containsAll(registered), "every registered PE is in the dump");
            assertEquals(dump.get("element_count").asInt(), count);

            JsonNode big = run("-o", "json", "dump", "big", "-r", b.registrars()).json();
            assertEquals(1, big.get("pools").size());
            assertEquals(700, big.get("pools").get(0).get("elements").size(), "700 PEs: two blocks of one pool");
            assertEquals(700, big.get("pools").get(0).get("size").asInt());
        }
    }

    @Test
    @Order(Integer.MAX_VALUE) // kills C: the last test
    void statusAndMembersShowEveryNodeAndMarkAKilledOne() throws Exception {
        Run status = run("status", "-r", a.registrars()); // the others found through A's members
        assertEquals(0, status.status(), status::toString);
        assertEquals(4, status.stdout().size(), "a header and three rows: " + status);
        for (String id : List.of("0x000000a1", "0x000000b2", "0x000000c3")) {
            assertTrue(status.stdout().stream().anyMatch(l -> l.startsWith(id) && l.contains(" yes ")),
                    id + " answered: " + status);
        }
        JsonNode json = run("-o", "json", "status", "-r", all()).json();
        assertTrue(json.get("all_answered").asBoolean());
        assertEquals(3, json.get("registrars").size());
        for (JsonNode r : json.get("registrars")) {
            assertEquals(3, r.get("members_up").asInt());
            assertTrue(r.get("ready").asBoolean());
        }
        ClientLibraryTest.eventually("equal replicas", Duration.ofSeconds(10), () -> {
            Set<String> sums = new HashSet<>();
            try {
                for (JsonNode r : run("-o", "json", "status", "-r", all()).json().get("registrars")) {
                    sums.add(r.get("checksum").asText());
                }
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            return sums.size() == 1;
        });

        JsonNode members = run("-o", "json", "members", "-r", b.registrars()).json();
        assertEquals("0x000000b2", members.get("seen_by").asText());
        assertEquals(3, members.get("members").size());

        c.kill();
        Run afterKill = run("status", "-r", all());
        assertEquals(1, afterKill.status(), "not every registrar answered: " + afterKill);
        String row = afterKill.stdout().stream().filter(l -> l.startsWith("0x000000c3")).findFirst()
                .orElseThrow(() -> new AssertionError("no row for the killed node: " + afterKill));
        assertTrue(row.contains(" no ") && row.contains("cannot be reached"), row);
        assertFalse(afterKill.stdout().stream().anyMatch(l -> l.startsWith("0x000000a1") && l.contains(" no ")),
                afterKill::toString);
        JsonNode killed = null;
        for (JsonNode r : run("-o", "json", "status", "-r", all()).json().get("registrars")) {
            if (r.get("client_endpoint").asText().equals(c.registrars())) {
                killed = r;
            }
        }
        assertTrue(killed != null && !killed.get("answered").asBoolean(), "the killed node did not answer");
    }

    @Test
    void errorsAreOneLineWithTheirExitStatus() throws Exception {
        Run usage = run("resolve");
        assertEquals(2, usage.status(), usage::toString);
        assertEquals(1, usage.stderr().size(), usage::toString);
        Run badList = run("resolve", "x", "-r", "nohostport");
        assertEquals(2, badList.status(), badList::toString);
        assertTrue(badList.stderr().get(0).contains("--registrars"), badList::toString);
        Run unreachable = run("resolve", "x", "-r", "127.0.0.1:1");
        assertEquals(1, unreachable.status(), unreachable::toString);
        assertEquals(List.of("poolkeeper: registrar 127.0.0.1:1 cannot be reached: Connection refused"),
                unreachable.stderr());
        Run badPolicy = run("register", "x", "--address", "127.0.0.1:1", "--policy", "fastest");
        assertEquals(2, badPolicy.status(), badPolicy::toString);
        assertEquals(1, badPolicy.stderr().size(), badPolicy::toString);
        Run version = run("--version");
        assertEquals(0, version.status(), version::toString);
        assertTrue(version.out().matches("poolkeeper \\d+\\.\\d+\\.\\d+.*"), version::toString);
    }
}
