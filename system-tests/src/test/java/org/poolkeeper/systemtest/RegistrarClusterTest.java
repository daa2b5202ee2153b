package org.poolkeeper.systemtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.poolkeeper.client.ClientSettings;
import org.poolkeeper.client.Policy;
import org.poolkeeper.client.PoolElementClient;
import org.poolkeeper.client.PoolElementRegistration;
import org.poolkeeper.client.PoolElementSpec;
import org.poolkeeper.client.PoolUserClient;
import org.poolkeeper.client.ResolvedElement;
import org.poolkeeper.client.UnknownPoolHandleException;
import org.poolkeeper.tools.metrics.Exposition;

/**
 * Three registrar JVMs (A, B, C) in one Pekko cluster: replication of registrations, convergence of 10,000
 * registrations, the audit repairing a corrupted replica, and the loss (SIGKILL) and rejoin of B.
 */
class RegistrarClusterTest {
    static final int A = 0xA1, B = 0xB2, C = 0xC3;

    /** Fast failure detection and audits for tests. */
    static final String[] SETTINGS = {
            "poolkeeper.registrar.http-port=0",
            "poolkeeper.registrar.replication.audit-interval=250ms",
            "poolkeeper.registrar.test-hooks=on",
            // every PE removal and its reason in the registrars' output (printed when a check fails)
            "poolkeeper.removals=DEBUG",
            "poolkeeper.registrar.max-hres-items=128",
            "poolkeeper.registrar.keep-alive-interval=1s",
            "poolkeeper.registrar.keep-alive-timeout=1s",
            // tables in many blocks, pools of 100 PEs in parts: exercises the block-by-block pulls
            "poolkeeper.registrar.replication.max-elements-per-block=50",
    };

    static RegistrarProcess[] startCluster() throws Exception {
        RegistrarProcess a = RegistrarProcess.start(A, List.of(), SETTINGS);
        RegistrarProcess b = null;
        try {
            b = RegistrarProcess.start(B, List.of(a.cluster()), SETTINGS);
            RegistrarProcess c = RegistrarProcess.start(C, List.of(a.cluster()), SETTINGS);
            RegistrarProcess[] all = {a, b, c};
            ClientLibraryTest.eventually("three members up", Duration.ofSeconds(30),
                    () -> Arrays.stream(all).allMatch(p -> p.status() != null && p.status().get("members").asInt() == 3
                            && p.status().get("peers").asInt() == 2));
            return all;
        } catch (Throwable t) {
            a.close();
            if (b != null) {
                b.close();
            }
            throw t;
        }
    }

    private static String hex(RegistrarProcess p) {
        return String.format(java.util.Locale.ROOT, "0x%08x", p.registrarId());
    }

    static boolean converged(int elements, RegistrarProcess... nodes) {
        JsonNode first = null;
        for (RegistrarProcess p : nodes) {
            JsonNode s = p.status();
            if (s == null || s.get("elements").asInt() != elements) {
                return false;
            }
            if (first != null && !first.get("owner_checksums").equals(s.get("owner_checksums"))) {
                return false;
            }
            first = s;
        }
        return true;
    }

    /** Waits until the nodes agree on {@code elements} PEs; the failure shows every node's status. */
    static void awaitConverged(String what, Duration limit, int elements, RegistrarProcess... nodes)
            throws InterruptedException {
        try {
            ClientLibraryTest.eventually(what, limit, () -> converged(elements, nodes));
        } catch (AssertionError e) {
            StringBuilder b = new StringBuilder(e.getMessage()).append("; expected ").append(elements).append(" PEs:");
            for (RegistrarProcess p : nodes) {
                b.append('\n').append(p.status());
            }
            throw new AssertionError(b.toString(), e);
        }
    }

    static long percentile(long[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }

    @Test
    void registrationsReplicateConvergeAndTheAuditRepairsACorruptedReplica() throws Exception {
        RegistrarProcess[] nodes = startCluster();
        try (RegistrarProcess a = nodes[0]; RegistrarProcess b = nodes[1]; RegistrarProcess c = nodes[2];
             PoolElementClient peA = PoolElementClient.create(pipelined(a));
             PoolElementClient peB = PoolElementClient.create(pipelined(b));
             PoolElementClient peC = PoolElementClient.create(pipelined(c));
             PoolUserClient puC = PoolUserClient.create(ClientSettings.of(c.asap()))) {
            // a PE registered through A is resolvable through C: latency from A's ack to C's answer
            int probes = 200;
            long[] latencies = new long[probes];
            for (int i = 0; i < probes; i++) {
                String pool = "latency-" + i;
                PoolElementRegistration r = peA.registerBlocking(spec(pool, 7000 + i % 1000));
                long acked = System.nanoTime();
                long deadline = acked + 5_000_000_000L;
                while (!contains(puC, pool, r.peId())) {
                    assertTrue(System.nanoTime() < deadline, pool + " not resolvable through C within 5 s");
                }
                latencies[i] = System.nanoTime() - acked;
            }
            Arrays.sort(latencies);
            System.out.printf("cluster: registration acked on A -> resolvable on C over %d PEs: p50 %.2f ms, "
                    + "p99 %.2f ms%n", probes, percentile(latencies, 0.5) / 1e6, percentile(latencies, 0.99) / 1e6);

            // 10,000 registrations spread over A, B and C converge to equal per-owner checksums everywhere
            int total = 10_000;
            List<CompletableFuture<PoolElementRegistration>> acks = new ArrayList<>(total);
            PoolElementClient[] clients = {peA, peB, peC};
            long started = System.nanoTime();
            for (int i = 0; i < total; i++) {
                acks.add(clients[i % 3].register(spec("bulk-" + (i % 100), 10_000 + i % 50_000))
                        .toCompletableFuture());
            }
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
            long allAcked = System.nanoTime();
            long allAckedMillis = System.currentTimeMillis();
            awaitConverged("10,000 registrations on all three nodes", Duration.ofSeconds(30), total + probes, a, b, c);
            long lastChange = 0;
            for (RegistrarProcess p : nodes) {
                lastChange = Math.max(lastChange, p.status().get("last_change_ms").asLong());
            }
            System.out.printf("cluster: %d registrations acked in %.0f ms; the last change on the last node came "
                    + "%+d ms after the client saw the last ack (negative: before; equal checksums seen in the status "
                    + "files %.0f ms after it)%n", total,
                    (allAcked - started) / 1e6, lastChange - allAckedMillis, (System.nanoTime() - allAcked) / 1e6);

            // a corrupted replica is detected by the audit and repaired
            c.corruptReplica();
            ClientLibraryTest.eventually("the corruption of C", Duration.ofSeconds(10),
                    () -> c.status() != null && c.status().get("elements").asInt() == total + probes - 1);
            long corrupted = System.nanoTime();
            awaitConverged("the audit's repair of C", Duration.ofSeconds(15), total + probes, a, b, c);
            System.out.printf("cluster: corrupted replica repaired by the audit within %.0f ms%n",
                    (System.nanoTime() - corrupted) / 1e6);

            // the metrics endpoints tell the same story: the audit's find on C, and every update one node sent to
            // another arrived there (per-peer counters on both sides)
            Exposition onC = Exposition.scrape(c.http(), Duration.ofSeconds(5));
            assertTrue(onC.sum("poolkeeper_replication_audit_mismatches_total") >= 1, "C's audit mismatches");
            Map<RegistrarProcess, Exposition> scrapes = new LinkedHashMap<>();
            for (RegistrarProcess p : nodes) {
                scrapes.put(p, Exposition.scrape(p.http(), Duration.ofSeconds(5)));
            }
            long updates = 0;
            for (RegistrarProcess from : nodes) {
                for (RegistrarProcess to : nodes) {
                    if (from != to) {
                        double sent = scrapes.get(from).sum("poolkeeper_peer_updates_sent_total", "peer", hex(to));
                        double received = scrapes.get(to).sum("poolkeeper_peer_updates_received_total", "peer",
                                hex(from));
                        assertEquals(sent, received, hex(from) + " -> " + hex(to) + ": updates sent and received");
                        assertEquals(scrapes.get(from).sum("poolkeeper_peer_bytes_sent_total", "peer", hex(to)),
                                scrapes.get(to).sum("poolkeeper_peer_bytes_received_total", "peer", hex(from)),
                                hex(from) + " -> " + hex(to) + ": bytes sent and received");
                        updates += (long) sent;
                    }
                }
            }
            // each registration and each repair is sent to both other nodes
            assertTrue(updates >= 2L * (total + probes), "updates sent between the nodes: " + updates);
        }
    }

    @Test
    void anOverflowingReplicationBufferMakesPeersResyncInsteadOfFallingBehind() throws Exception {
        List<String> tiny = new ArrayList<>(List.of(SETTINGS));
        tiny.add("poolkeeper.registrar.replication.buffer-size=1");
        tiny.add("poolkeeper.registrar.replication.batch-size=1");
        // and resolutions answered by the pools' actors, half of them on the other JVM
        tiny.add("poolkeeper.registrar.resolution-mode=owner");
        String[] settings = tiny.toArray(String[]::new);
        try (RegistrarProcess a = RegistrarProcess.start(A, List.of(), settings);
             RegistrarProcess b = RegistrarProcess.start(B, List.of(a.cluster()), settings);
             PoolElementClient pe = PoolElementClient.create(pipelined(a))) {
            ClientLibraryTest.eventually("two members up", Duration.ofSeconds(30),
                    () -> b.status() != null && b.status().get("peers").asInt() == 1
                            && a.status() != null && a.status().get("peers").asInt() == 1);
            int total = 3000;
            List<CompletableFuture<PoolElementRegistration>> acks = new ArrayList<>(total);
            for (int i = 0; i < total; i++) {
                acks.add(pe.register(spec("overflow-" + (i % 30), 10_000 + i)).toCompletableFuture());
            }
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
            ClientLibraryTest.eventually("both nodes equal", Duration.ofSeconds(20), () -> converged(total, a, b));
            System.out.printf("cluster: replication buffer of 1: %d overflows on A and %d on B, %d resyncs by B, "
                    + "%d by A; converged%n", a.status().get("overflows").asLong(),
                    b.status().get("overflows").asLong(), b.status().get("resyncs").asLong(),
                    a.status().get("resyncs").asLong());
            assertTrue(a.status().get("overflows").asLong() + b.status().get("overflows").asLong() > 0,
                    "the buffer never overflowed: the test proves nothing");

            // owner mode: every pool answers with all its PEs through either node, and one round-robin state per
            // pool serves both nodes (consecutive picks through A and B alternately are all different)
            try (PoolUserClient puA = PoolUserClient.create(ClientSettings.of(a.asap()));
                 PoolUserClient puB = PoolUserClient.create(ClientSettings.of(b.asap()))) {
                for (int p = 0; p < 30; p++) {
                    assertEquals(100, resolve(puA, "overflow-" + p).size());
                    assertEquals(100, resolve(puB, "overflow-" + p).size());
                }
                for (int i = 0; i < 10; i++) {
                    pe.registerBlocking(PoolElementSpec.builder("owner-rr", Policy.ROUND_ROBIN)
                            .address(new InetSocketAddress("127.0.0.1", 9000 + i))
                            .registrationLife(Duration.ofSeconds(60)).autoReregister(false).build());
                }
                Set<Integer> picks = new HashSet<>();
                for (int i = 0; i < 10; i++) {
                    picks.add(((i & 1) == 0 ? puA : puB).resolveBlocking("owner-rr", 1).get(0).peId());
                }
                assertEquals(10, picks.size(), "picks through A and B share one round robin: " + picks);
            }
        }
    }

    @Test
    void whenBIsKilledTheOthersTakeOverItsPoolsAndARestartedBRejoins() throws Exception {
        RegistrarProcess[] nodes = startCluster();
        RegistrarProcess a = nodes[0];
        RegistrarProcess b = nodes[1];
        RegistrarProcess c = nodes[2];
        RegistrarProcess b2 = null;
        Programs.Child peSim = null;
        Programs.Child puSim = null;
        int pools = 20;
        try (PoolElementClient peA = PoolElementClient.create(ClientSettings.of(a.asap()));
             PoolElementClient peC = PoolElementClient.create(ClientSettings.of(c.asap()));
             PoolElementClient peB = PoolElementClient.create(ClientSettings.of(b.asap(), a.asap()));
             // a registration into a pool of B's is lost while B's death is not known yet, and waits in A's
             // shard region while the pool is taken over: a short timeout retries soon (the precise figure is
             // the time of the pool actors' restart in the logs)
             PoolElementClient probe = PoolElementClient.create(ClientSettings.of(a.asap())
                     .withRequestTimeout(Duration.ofMillis(300)));
             PoolUserClient puA = PoolUserClient.create(ClientSettings.of(a.asap()));
             PoolUserClient puC = PoolUserClient.create(ClientSettings.of(c.asap()))) {
            int[] viaA = new int[pools];
            int[] viaC = new int[pools];
            int[] viaB = new int[pools];
            for (int i = 0; i < pools; i++) {
                viaA[i] = peA.registerBlocking(living("takeover-" + i, 7100)).peId();
                viaC[i] = peC.registerBlocking(living("takeover-" + i, 7200)).peId();
                viaB[i] = peB.registerBlocking(living("takeover-" + i, 7300)).peId();
            }
            // PEs whose process dies with B: a pe-sim registered through B, killed right after B
            peSim = new Programs.Child(List.of(Programs.launcher("pe-sim").toString(), "--registrars",
                    b.registrars(), "--pools", Integer.toString(pools), "--pes-per-pool", "1", "--pool-prefix",
                    "takeover-", "--life", "30000", "--duration", "300"),
                    "-Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
            ClientLibraryTest.eventually("80 PEs on all three", Duration.ofSeconds(10),
                    () -> converged(4 * pools, a, b, c));

            // PUs resolve through all three during the whole event: one starts at each registrar (--spread), the
            // one at B fails over when B dies
            puSim = new Programs.Child(List.of(Programs.launcher("pu-sim").toString(), "--registrars",
                    b.registrars() + "," + a.registrars() + "," + c.registrars(), "--spread", "--pools",
                    Integer.toString(pools), "--pool-prefix", "takeover-", "--rate", "600", "--in-flight", "4",
                    "--pus", "3", "--duration", "20"),
                    "-Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
            // the pool users resolve (the pu-sim's first progress line) before B dies, so the one at B fails over
            Programs.Child pus = puSim;
            ClientLibraryTest.eventually("the pu-sim resolving", Duration.ofSeconds(30), () -> {
                synchronized (pus.stderr) {
                    return pus.stderr.stream().anyMatch(l -> l.startsWith("pu-sim ") && l.contains("resolutions="));
                }
            });
            b.kill();
            long killed = System.nanoTime();
            peSim.close();
            // every pool handle is written again: a registration through A succeeds for each pool
            int served = 0;
            while (served < pools) {
                assertTrue(System.nanoTime() - killed < 30_000_000_000L, "pools not served again within 30 s");
                try {
                    probe.registerBlocking(PoolElementSpec.builder("takeover-" + served, Policy.ROUND_ROBIN)
                            .address(new InetSocketAddress("127.0.0.1", 7500)).peId(0x5000 + served)
                            .registrationLife(Duration.ofSeconds(60)).autoReregister(false).build());
                    served++;
                } catch (RuntimeException e) {
                    Thread.sleep(20); // the pool's writer was B: not yet taken over
                }
            }
            long allServed = System.nanoTime();
            long servedAtMillis = System.currentTimeMillis();
            System.out.printf("cluster: SIGKILL of B -> every pool handle served (written) again: %.0f ms "
                    + "(%s after the SBR decision; the survivors reported all of B's shards written again %s after it)%n",
                    (allServed - killed) / 1e6, sinceDecision(servedAtMillis, a, c),
                    sinceDecision(lastLogMillis("shard(s) written again", a, c), a, c));
            // PEs homed at B re-register through A or C; those whose process died with B are removed after the
            // takeover grace; nothing registered through A or C is lost meanwhile
            try {
                awaitTakeover(pools, puA, puC, viaA, viaC, viaB);
            } catch (AssertionError e) {
                for (int i = 0; i < 3; i++) {
                    System.out.printf("takeover-%d: A %s, C %s; via B %d%n", i,
                            ids(puA, "takeover-" + i), ids(puC, "takeover-" + i), viaB[i]);
                }
                System.out.println("A: " + a.status() + "\nC: " + c.status());
                a.output().stream().filter(l -> l.contains("WARN") || l.contains("INFO")).forEach(System.out::println);
                throw e;
            }
            System.out.printf("cluster: SIGKILL of B -> B's PEs re-registered via A, orphans removed: %.0f ms%n",
                    (System.nanoTime() - killed) / 1e6);
            assertNotEquals(b.asap(), peB.currentRegistrar());
            assertEquals(0, pus.waitFor(60), () -> "pu-sim failed: " + pus.stderr);
            JsonNode puSummary = new com.fasterxml.jackson.databind.ObjectMapper().readTree(pus.lastStdoutLine());
            System.out.printf("cluster: pu-sim through B, A and C during the loss of B: %d resolutions, %d errors, "
                    + "%d fail-overs%n", puSummary.get("resolutions").asLong(), puSummary.get("errors").asLong(),
                    puSummary.get("failovers").asLong());
            assertTrue(puSummary.get("failovers").asLong() >= 1, "the pool user at B failed over: " + puSummary);
            assertTrue(puSummary.get("resolutions").asLong() > 1000, puSummary.toString());
            assertTrue(puSummary.get("errors").asLong() * 20 < puSummary.get("resolutions").asLong(),
                    "bounded failed resolutions: " + puSummary);
            // the probe's PEs count: its client gave up on its connection to A again and again while the pools had
            // no writer, and registered them again through each new one; none may be lost to an old one's drop
            try {
                awaitConverged("A and C equal", Duration.ofSeconds(10), 4 * pools, a, c);
            } catch (AssertionError e) {
                for (int i = 0; i < pools; i++) {
                    System.out.printf("takeover-%d: A %s, C %s; via A %d, C %d, B %d%n", i, ids(puA, "takeover-" + i),
                            ids(puC, "takeover-" + i), viaA[i], viaC[i], viaB[i]);
                }
                for (RegistrarProcess p : List.of(a, c)) {
                    p.output().stream().filter(l -> l.contains("WARN") || l.contains("removed") || l.contains("shard"))
                            .forEach(l -> System.out.println("log of " + p.asap() + ": " + l));
                }
                throw e;
            }

            // B restarted: it joins, pulls the handlespace before it accepts clients, and converges
            long restarting = System.nanoTime();
            b2 = RegistrarProcess.start(B, List.of(a.cluster()), SETTINGS);
            System.out.printf("cluster: restarted B listening after %.0f ms (join pull: %s)%n",
                    (System.nanoTime() - restarting) / 1e6, b2.output().stream()
                            .filter(l -> l.contains("join: pulled")).map(l -> l.replaceAll(".*join: ", ""))
                            .toList());
            RegistrarProcess restarted = b2;
            ClientLibraryTest.eventually("B rejoined and equal", Duration.ofSeconds(20),
                    () -> converged(4 * pools, a, restarted, c));
            assertConverged(4 * pools, a, restarted, c);
        } finally {
            a.close();
            b.close();
            c.close();
            if (b2 != null) {
                b2.close();
            }
            if (peSim != null) {
                peSim.close();
            }
            if (puSim != null) {
                puSim.close();
            }
        }
    }

    private static void awaitTakeover(int pools, PoolUserClient puA, PoolUserClient puC, int[] viaA, int[] viaC,
                                      int[] viaB) throws InterruptedException {
        ClientLibraryTest.eventually("takeover of B's PEs", Duration.ofSeconds(30), () -> {
                boolean done = true;
                for (int i = 0; i < pools; i++) {
                    for (PoolUserClient pu : List.of(puA, puC)) {
                        List<ResolvedElement> found = resolve(pu, "takeover-" + i);
                        Set<Integer> ids = new HashSet<>();
                        found.forEach(e -> ids.add(e.peId()));
                        assertTrue(ids.contains(viaA[i]) && ids.contains(viaC[i]),
                                "a PE registered through A or C was lost: takeover-" + i + " " + ids);
                        // B's PEs: re-homed at A (client alive) or gone (client dead with B); the probe's PE
                        // (0x5000 + i, registered once, with short timeouts) only measured when the pool was
                        // written again and does not count
                        ids.remove(0x5000 + i);
                        done &= ids.equals(Set.of(viaA[i], viaC[i], viaB[i]))
                                && found.stream().noneMatch(e -> e.homeRegistrarId() == B);
                    }
                }
                return done;
            });
    }

    /** How long before {@code millis} the nodes' log shows the Split Brain Resolver's downing decision. */
    private static String sinceDecision(long millis, RegistrarProcess... nodes) {
        long decided = Long.MAX_VALUE;
        for (RegistrarProcess node : nodes) {
            for (String line : node.output()) {
                if (line.contains("SBR took decision")) {
                    decided = Math.min(decided, logMillis(line));
                }
            }
        }
        return decided == Long.MAX_VALUE || millis == Long.MIN_VALUE ? "? (not logged)" : (millis - decided) + " ms";
    }

    /** The time of the last log line of the nodes that contains {@code text}, or Long.MIN_VALUE. */
    private static long lastLogMillis(String text, RegistrarProcess... nodes) {
        long last = Long.MIN_VALUE;
        for (RegistrarProcess node : nodes) {
            for (String line : node.output()) {
                if (line.contains(text)) {
                    last = Math.max(last, logMillis(line));
                }
            }
        }
        return last;
    }

    /** The epoch millis of a log line that starts with "yyyy-MM-dd HH:mm:ss,SSS" (Long.MIN_VALUE otherwise). */
    private static long logMillis(String line) {
        try {
            return java.time.LocalDateTime.parse(line.substring(0, 23).replace(' ', 'T').replace(',', '.'))
                    .atZone(java.time.ZoneId.systemDefault()).toInstant().toEpochMilli();
        } catch (RuntimeException notATimestamp) {
            return Long.MIN_VALUE;
        }
    }

    /** 10,000 requests in flight over three connections on 2 shared cores: a generous timeout. */
    private static ClientSettings pipelined(RegistrarProcess p) {
        return ClientSettings.of(p.asap()).withRequestTimeout(Duration.ofSeconds(15));
    }

    private static PoolElementSpec living(String pool, int port) {
        return PoolElementSpec.builder(pool, Policy.ROUND_ROBIN).address(new InetSocketAddress("127.0.0.1", port))
                .registrationLife(Duration.ofSeconds(30)).reregistrationEvery(Duration.ofSeconds(1)).build();
    }

    private static PoolElementSpec spec(String pool, int port) {
        return PoolElementSpec.builder(pool, Policy.RANDOM).address(new InetSocketAddress("127.0.0.1", port))
                .registrationLife(Duration.ofSeconds(60)).autoReregister(false).build();
    }

    static boolean contains(PoolUserClient pu, String pool, int peId) {
        try {
            return pu.resolveBlocking(pool, 128).stream().anyMatch(e -> e.peId() == peId);
        } catch (UnknownPoolHandleException e) {
            return false;
        }
    }

    static List<ResolvedElement> resolve(PoolUserClient pu, String pool) {
        try {
            return pu.resolveBlocking(pool, 128);
        } catch (UnknownPoolHandleException e) {
            return List.of();
        }
    }

    static Set<Integer> ids(PoolUserClient pu, String pool) {
        try {
            Set<Integer> ids = new HashSet<>();
            for (ResolvedElement e : pu.resolveBlocking(pool, 128)) {
                ids.add(e.peId());
            }
            return ids;
        } catch (UnknownPoolHandleException e) {
            return Set.of();
        }
    }

    static void assertConverged(int elements, RegistrarProcess... nodes) {
        assertTrue(converged(elements, nodes), () -> {
            StringBuilder b = new StringBuilder("not converged:");
            for (RegistrarProcess p : nodes) {
                b.append('\n').append(p.status());
            }
            return b.toString();
        });
        assertEquals(elements, nodes[0].status().get("elements").asInt());
    }
}
