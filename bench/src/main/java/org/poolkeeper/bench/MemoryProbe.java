package org.poolkeeper.bench;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.poolkeeper.handlespace.Handlespace;
import org.poolkeeper.handlespace.HandlespaceConfig;
import org.poolkeeper.handlespace.PolicyInfo;
import org.poolkeeper.handlespace.PolicyType;
import org.poolkeeper.handlespace.PoolHandle;
import org.poolkeeper.handlespace.Status;

/**
 * Retained heap per PE: used heap after full collections, before and after building a handlespace of N PEs in
 * one pool (the workload's PEs: one IPv4 address each), divided by N. Only the handlespace stays reachable; the
 * policy infos the PEs were registered with are drawn beforehand and kept on both sides of the difference.
 */
final class MemoryProbe {
    private static final List<PolicyType> POLICIES = PaperTableCommand.PAPER_POLICIES;

    private MemoryProbe() {
    }

    record Row(PolicyType policy, int pes, int samples, long retainedBytes, double bytesPerPe) {
    }

    record Result(List<Row> rows, String method) {
    }

    static Result measure(int[] sizes, PrintStream err) {
        List<Row> rows = new ArrayList<>();
        for (int n : sizes) {
            List<PolicyType> policies = n <= 10_000 ? POLICIES : List.of(PolicyType.ROUND_ROBIN, PolicyType.LEAST_USED);
            for (PolicyType policy : policies) {
                int samples = n <= 10_000 ? 5 : 1;
                long[] retained = new long[samples];
                for (int i = 0; i < samples; i++) {
                    retained[i] = retainedBy(policy, n);
                }
                java.util.Arrays.sort(retained);
                long median = retained[samples / 2];
                Row row = new Row(policy, n, samples, median, median / (double) n);
                rows.add(row);
                err.printf(Locale.ROOT, "memory: %-5s %,9d PEs: %,d bytes retained, %.1f bytes/PE%n",
                        policy.shortName(), n, median, row.bytesPerPe());
            }
        }
        return new Result(rows, "used heap (MemoryMXBean) after System.gc() repeated until it stops shrinking, "
                + "before and after building the handlespace in this JVM; the median of 5 builds at 3,000 PEs, one "
                + "build at 1,000,000");
    }

    private static long retainedBy(PolicyType policy, int n) {
        SplittableRandom random = new SplittableRandom(Workload.SEED);
        PolicyInfo[] infos = new PolicyInfo[n];
        for (int i = 0; i < n; i++) {
            infos[i] = Workload.randomInfo(policy, random);
        }
        PoolHandle handle = PoolHandle.of(Workload.SINGLE_POOL);
        HandlespaceConfig config = HandlespaceConfig.DEFAULTS.withMaxElementsPerPool(Math.max(100_000, n));
        long before = settledUsedHeap();
        Handlespace hs = new Handlespace(config, random.nextLong());
        for (int c = 1; c <= n; c++) {
            if (hs.register(handle, Workload.peId(c), infos[c - 1], Workload.address(c), Workload.LIFE_MS,
                    Workload.REGISTRAR_ID, c) != Status.ADDED) {
                throw new IllegalStateException("registration failed while measuring memory");
            }
        }
        long after = settledUsedHeap();
        if (hs.elementCount() != n) {
            throw new IllegalStateException("handlespace lost PEs");
        }
        Reference.reachabilityFence(hs);
        Reference.reachabilityFence(infos);
        return after - before;
    }

    static long settledUsedHeap() {
        MemoryMXBean bean = ManagementFactory.getMemoryMXBean();
        long last = Long.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            System.gc();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            long used = bean.getHeapMemoryUsage().getUsed();
            if (i >= 2 && Math.abs(last - used) < 4096) {
                return used;
            }
            last = used;
        }
        return last;
    }

    static String markdown(Result result, RunInfo info) {
        StringBuilder b = new StringBuilder("# Memory — retained heap per PE\n\n").append(info.header()).append('\n');
        if (result == null) {
            return b.append("Not measured in this run (--no-memory).\n").toString();
        }
        b.append("Goal: ≤ 200 bytes per PE (RSPLIB 3.4.4: 528 bytes per PE; the paper: ~4.2 MB for 3,000 entries, "
                + "~1,400 bytes per PE).\n\n");
        b.append("| policy | PEs | retained bytes | bytes per PE | goal |\n| --- | ---: | ---: | ---: | --- |\n");
        for (Row r : result.rows()) {
            b.append(String.format(Locale.ROOT, "| %s | %,d | %,d | %.1f | %s |%n", r.policy().shortName(), r.pes(),
                    r.retainedBytes(), r.bytesPerPe(), r.bytesPerPe() <= 200 ? "✓" : "✗"));
        }
        b.append("\nMethod: ").append(result.method()).append(". The figure includes everything the handlespace "
                + "holds for a PE: the PoolElement object (tree node, hash-chain link, heap slot index, owner-list links "
                + "and the PE's data), its encoded address block (one byte[] for one IPv4 address), its slot in the "
                + "pool's id hash table and deadline heap, and the pool's share of fixed overhead.\n");
        return b.toString();
    }
}
