package org.poolkeeper.systemtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.poolkeeper.client.ClientSettings;
import org.poolkeeper.client.Policy;
import org.poolkeeper.client.PoolElementClient;
import org.poolkeeper.client.PoolElementSpec;
import org.poolkeeper.client.PoolUserClient;
import org.poolkeeper.client.RegistrarAddress;

/**
 * deploy/bin/cluster starts N registrar JVMs that form one cluster, status shows them (and marks one that was
 * killed), and stop ends exactly those and leaves no status behind.
 */
class ClusterScriptTest {

    @Test
    void startsAClusterOfTwoThatReplicatesShowsItsStatusAndStopsItWithoutOrphans() throws Exception {
        Path state = Files.createTempDirectory("poolkeeper-cluster");
        List<Long> pids = new ArrayList<>();
        try {
            Programs.Child start = script(state, "start", "2");
            assertEquals(0, start.waitFor(120), () -> "start failed: " + start.stdout + start.stderr);
            List<String> addresses = Files.readAllLines(state.resolve("addresses"));
            assertEquals(2, addresses.size());
            for (String line : Files.readAllLines(state.resolve("pids"))) {
                pids.add(Long.parseLong(line.trim()));
            }
            // a start prints its listening line and, at INFO, only who joined (and the joiner's pull): no warning
            for (int node = 1; node <= 2; node++) {
                List<String> log = Files.readAllLines(state.resolve("node" + node + ".out"));
                assertEquals(1, log.stream().filter(l -> l.startsWith("poolkeeper registrar ")).count(), log::toString);
                assertTrue(log.stream().filter(l -> !l.startsWith("poolkeeper registrar ")).allMatch(l ->
                        l.contains(" INFO ") && (l.contains("Membership") || l.contains("join: pulled"))),
                        () -> state + ": a node logged more than membership at its start: " + log);
            }
            RegistrarAddress first = address(addresses.get(0));
            RegistrarAddress second = address(addresses.get(1));
            try (PoolElementClient pe = PoolElementClient.create(ClientSettings.of(first));
                 PoolUserClient pu = PoolUserClient.create(ClientSettings.of(second))) {
                int peId = pe.registerBlocking(PoolElementSpec.builder("script", Policy.RANDOM)
                        .address(new InetSocketAddress("127.0.0.1", 7000)).autoReregister(false).build()).peId();
                ClientLibraryTest.eventually("replicated to the second node", Duration.ofSeconds(5),
                        () -> RegistrarClusterTest.contains(pu, "script", peId));
            }
            Programs.Child status = script(state, "status");
            assertEquals(0, status.waitFor(60), () -> "status: " + status.stdout + status.stderr);
            status.awaitOutput();
            assertEquals(3, status.stdout.size(), "a header and two rows: " + status.stdout);
            assertTrue(status.stdout.get(1).endsWith("ready") && status.stdout.get(2).endsWith("ready"),
                    status.stdout::toString);

            ProcessHandle.of(pids.get(1)).ifPresent(ProcessHandle::destroyForcibly); // SIGKILL node 2
            ClientLibraryTest.eventually("node 2 gone", Duration.ofSeconds(10),
                    () -> ProcessHandle.of(pids.get(1)).map(p -> !p.isAlive()).orElse(true));
            Programs.Child afterKill = script(state, "status");
            assertEquals(1, afterKill.waitFor(60), () -> "not all ready: " + afterKill.stdout + afterKill.stderr);
            afterKill.awaitOutput();
            String row = afterKill.stdout.get(2);
            assertTrue(row.startsWith("2 ") && row.contains("gone") && row.contains("(last)"),
                    "the killed node is marked, its figures as its last ones: " + afterKill.stdout);
            assertTrue(afterKill.stdout.get(1).endsWith("ready"), afterKill.stdout::toString);

            Programs.Child stop = script(state, "stop");
            assertEquals(0, stop.waitFor(60), () -> "stop failed: " + stop.stdout + stop.stderr);
            List<String> survivorLog = Files.readAllLines(state.resolve("node1.out"));
            assertTrue(survivorLog.stream().noneMatch(l -> l.contains(" ERROR ")), () -> "an ERROR: " + survivorLog);
            assertTrue(survivorLog.stream().anyMatch(l -> l.contains("registrar 0x00000102 at ")
                    && l.contains(" is unreachable")), () -> "the kill in node 1's log: " + survivorLog);
            Programs.Child stopped = script(state, "status");
            assertEquals(1, stopped.waitFor(60));
            stopped.awaitOutput();
            assertEquals(1, stopped.stdout.size(), "nothing stale after stop: " + stopped.stdout);
            assertTrue(stopped.stdout.get(0).startsWith("cluster: not running"), stopped.stdout::toString);
            for (long pid : pids) {
                Optional<ProcessHandle> p = ProcessHandle.of(pid);
                assertFalse(p.isPresent() && p.get().isAlive(), "registrar " + pid + " still running");
            }
        } finally {
            for (long pid : pids) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    private static RegistrarAddress address(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return new RegistrarAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    private static Programs.Child script(Path state, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add("env");
        command.add("POOLKEEPER_CLUSTER_DIR=" + state);
        command.add(Programs.launcher("cluster").toString());
        command.addAll(List.of(args));
        return new Programs.Child(command, "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
    }
}
