package org.poolkeeper.systemtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.poolkeeper.client.ClientSettings;
import org.poolkeeper.client.Policy;
import org.poolkeeper.client.PoolElementClient;
import org.poolkeeper.client.PoolElementSpec;
import org.poolkeeper.client.PoolUserClient;
import org.poolkeeper.tools.tls.Certificates;

/**
 * Two registrar processes with TLS between them (Artery tls-tcp, mutual, the cluster's CA) form a cluster and
 * replicate; a process with no certificate, one with a certificate of another CA, and one with a certificate
 * of the cluster's CA but no registrar's subject, pointed at them with --seed, never join: the members stay two and
 * the cluster serves on.
 */
class ClusterTlsTest {

    @Test
    void onlyProcessesWithTheClustersCertificateJoin() throws Exception {
        Path dir = Files.createTempDirectory("poolkeeper-cluster-tls");
        Instant now = Instant.now();
        Certificates.Issued ca = Certificates.authority("cluster-ca", now.minusSeconds(60), now.plusSeconds(3600));
        Certificates.write(ca, dir.resolve("ca.pem"), dir.resolve("ca-key.pem"));
        for (String node : List.of("a", "b")) {
            Certificates.write(Certificates.issue(ca, "registrar-" + node, List.of("127.0.0.1"), now.minusSeconds(60),
                    now.plusSeconds(3600)), dir.resolve(node + ".pem"), dir.resolve(node + "-key.pem"));
        }
        // a client's certificate of the cluster's own CA: its subject is no registrar's
        Certificates.write(Certificates.issue(ca, "ops", List.of("127.0.0.1"), now.minusSeconds(60),
                now.plusSeconds(3600)), dir.resolve("ops.pem"), dir.resolve("ops-key.pem"));
        Certificates.Issued otherCa = Certificates.authority("other-ca", now.minusSeconds(60), now.plusSeconds(3600));
        Certificates.write(Certificates.issue(otherCa, "rogue", List.of("127.0.0.1"), now.minusSeconds(60),
                now.plusSeconds(3600)), dir.resolve("rogue.pem"), dir.resolve("rogue-key.pem"));
        Certificates.write(otherCa, dir.resolve("other-ca.pem"), dir.resolve("other-ca-key.pem"));

        try (RegistrarProcess a = RegistrarProcess.start(0xA1, List.of(), tls(dir, "a", "ca"));
             RegistrarProcess b = RegistrarProcess.start(0xB2, List.of(a.cluster()), tls(dir, "b", "ca"));
             PoolElementClient pe = PoolElementClient.create(ClientSettings.of(a.asap()));
             PoolUserClient pu = PoolUserClient.create(ClientSettings.of(b.asap()))) {
            ClientLibraryTest.eventually("two members", Duration.ofSeconds(30), () -> members(a) == 2
                    && members(b) == 2);
            int id = pe.registerBlocking(PoolElementSpec.builder("over-tls", Policy.ROUND_ROBIN)
                    .address(new InetSocketAddress("127.0.0.1", 9200)).build()).peId();
            ClientLibraryTest.eventually("replicated to B over TLS", Duration.ofSeconds(10),
                    () -> RegistrarClusterTest.contains(pu, "over-tls", id));
            // the latency from A's acknowledgement to B answering with the PE, over Artery TLS
            int probes = 200;
            long[] latencies = new long[probes];
            for (int i = 0; i < probes; i++) {
                String pool = "tls-latency-" + i;
                int pe2 = pe.registerBlocking(PoolElementSpec.builder(pool, Policy.ROUND_ROBIN)
                        .address(new InetSocketAddress("127.0.0.1", 9300 + i)).build()).peId();
                long acked = System.nanoTime();
                long deadline = acked + 5_000_000_000L;
                while (!RegistrarClusterTest.contains(pu, pool, pe2)) {
                    assertTrue(System.nanoTime() < deadline, pool + " not resolvable through B within 5 s");
                }
                latencies[i] = System.nanoTime() - acked;
            }
            java.util.Arrays.sort(latencies);
            System.out.printf("cluster-tls: registration acked on A -> resolvable on B over %d PEs: p50 %.2f ms, "
                    + "p99 %.2f ms%n", probes, RegistrarClusterTest.percentile(latencies, 0.5) / 1e6,
                    RegistrarClusterTest.percentile(latencies, 0.99) / 1e6);

            // a plaintext registrar, then one with a certificate of another CA: neither becomes a member
            try (Programs.Child plain = rogue(a.cluster());
                 Programs.Child stranger = rogue(a.cluster(), tls(dir, "rogue", "other-ca"));
                 Programs.Child insider = rogue(a.cluster(), tls(dir, "ops", "ca"))) {
                long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
                while (System.nanoTime() < deadline) {
                    assertEquals(2, members(a), () -> "a rogue joined: " + a.status());
                    assertFalse(listening(plain) || listening(stranger) || listening(insider),
                            "a rogue started serving as a member");
                    Thread.sleep(250);
                }
            }
            assertEquals(2, members(a));
            assertEquals(2, members(b));
            assertTrue(RegistrarClusterTest.contains(pu, "over-tls", id), "the cluster serves on");
        }
    }

    private static int members(RegistrarProcess p) {
        return p.status() == null ? -1 : p.status().get("members").asInt();
    }

    private static boolean listening(Programs.Child child) {
        synchronized (child.stdout) {
            return child.stdout.stream().anyMatch(l -> l.contains("listening"));
        }
    }

    private static String[] tls(Path dir, String node, String ca) {
        return new String[] {
                "poolkeeper.registrar.cluster-tls.enabled=on",
                "poolkeeper.registrar.cluster-tls.certificate=" + dir.resolve(node + ".pem"),
                "poolkeeper.registrar.cluster-tls.private-key=" + dir.resolve(node + "-key.pem"),
                "poolkeeper.registrar.cluster-tls.trusted-certificates=" + dir.resolve(ca + ".pem"),
                "poolkeeper.registrar.cluster-tls.peer-subjects.0=CN=registrar-*"};
    }

    private static Programs.Child rogue(String seed, String... settings) throws Exception {
        List<String> command = new ArrayList<>(List.of(Programs.launcher("registrar").toString(), "--host",
                "127.0.0.1", "--asap-port", "0", "--cluster-port", "0", "--seed", seed));
        StringBuilder opts = new StringBuilder("-Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
        for (String s : settings) {
            opts.append(" -D").append(s);
        }
        return new Programs.Child(command, opts.toString());
    }
}
