package org.poolkeeper.systemtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

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

/** deploy/bin/cluster starts N registrar JVMs that form one cluster, and stop ends exactly those. */
class ClusterScriptTest {

    @Test
    void startsAClusterOfTwoThatReplicatesAndStopsItWithoutOrphans() throws Exception {
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
            RegistrarAddress first = address(addresses.get(0));
            RegistrarAddress second = address(addresses.get(1));
            try (PoolElementClient pe = PoolElementClient.create(ClientSettings.of(first));
                 PoolUserClient pu = PoolUserClient.create(ClientSettings.of(second))) {
                int peId = pe.registerBlocking(PoolElementSpec.builder("script", Policy.RANDOM)
                        .address(new InetSocketAddress("127.0.0.1", 7000)).autoReregister(false).build()).peId();
                ClientLibraryTest.eventually("replicated to the second node", Duration.ofSeconds(5),
                        () -> RegistrarClusterTest.contains(pu, "script", peId));
            }
            Programs.Child stop = script(state, "stop");
            assertEquals(0, stop.waitFor(60), () -> "stop failed: " + stop.stdout + stop.stderr);
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
