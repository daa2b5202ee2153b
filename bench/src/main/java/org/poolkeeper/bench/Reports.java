package org.poolkeeper.bench;

import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.poolkeeper.handlespace.PolicyType;

/** Writes results.csv and table1.md from the measured cells. */
final class Reports {
    static final String CSV_HEADER = "policy,operation,pools,pes,ops_per_s,ci_low,ci_high";

    /** The paper's Table 1 (its unit is "ops/s/PE"; we compare the numbers as ops/s). Order: RR, LU, RAND, WRAND. */
    static final Map<Operation, double[]> PAPER = new EnumMap<>(Operation.class);
    /** RSPLIB 3.4.4 on this kind of machine, one pool of 3,000 PEs, ops/s. Order: RR, LU, RAND, WRAND. */
    static final Map<Operation, double[]> RSPLIB = new EnumMap<>(Operation.class);

    static {
        PAPER.put(Operation.REGISTRATION, new double[] {11_237, 10_854, 10_992, 10_639});
        PAPER.put(Operation.REREGISTRATION, new double[] {6_425, 6_103, 6_219, 5_984});
        PAPER.put(Operation.RESOLUTION1, new double[] {27_901, 28_777, 29_462, 27_568});
        PAPER.put(Operation.RESOLUTION3, new double[] {27_901, 28_777, 29_462, 27_568});
        PAPER.put(Operation.TIMER, new double[] {37_210, 36_808, 35_941, 34_177});
        PAPER.put(Operation.EXPORT, new double[] {1_137, 1_089, 1_103, 1_025});
        PAPER.put(Operation.DEREGISTRATION, new double[] {9_832, 9_423, 9_701, 9_144});

        RSPLIB.put(Operation.REGISTRATION, k(1394, 1188, 1360, 1333));
        RSPLIB.put(Operation.REREGISTRATION, k(2783, 1611, 2728, 1733));
        RSPLIB.put(Operation.RESOLUTION1, k(8397, 12627, 3118, 3235));
        RSPLIB.put(Operation.RESOLUTION3, k(8400, 12158, 1027, 1053));
        RSPLIB.put(Operation.TIMER, k(6265, 6093, 6348, 6152));
        RSPLIB.put(Operation.EXPIRE1, k(2463, 2168, 2450, 2320));
        RSPLIB.put(Operation.DEREGISTRATION, k(1787, 1645, 1849, 1854));
    }

    private static double[] k(double... thousands) {
        double[] v = thousands.clone();
        for (int i = 0; i < v.length; i++) {
            v[i] *= 1000;
        }
        return v;
    }

    /** Table 1's row order. */
    static final List<Operation> ROWS = List.of(Operation.REGISTRATION, Operation.REREGISTRATION,
            Operation.RESOLUTION1, Operation.RESOLUTION3, Operation.TIMER, Operation.EXPIRE1, Operation.BULK_EXPIRE,
            Operation.EXPORT, Operation.IMPORT, Operation.DEREGISTRATION);

    private final PaperTableCommand.Settings settings;
    private final RunInfo info;
    private final List<Cell> cells;

    Reports(PaperTableCommand.Settings settings, RunInfo info, List<Cell> cells) {
        this.settings = settings;
        this.info = info;
        this.cells = cells;
    }

    String csv() {
        StringBuilder b = new StringBuilder(CSV_HEADER).append('\n');
        for (Cell c : cells) {
            b.append(String.format(Locale.ROOT, "%s,%s,%d,%d,%.1f,%.1f,%.1f%n", c.policy().shortName(),
                    c.operation().csvName(), c.pools(), c.pesPerPool(), c.stats().mean, c.stats().low, c.stats().high));
        }
        return b.toString();
    }

    Cell find(PolicyType policy, Operation op, Shape shape) {
        for (Cell c : cells) {
            if (c.policy() == policy && c.operation() == op && c.pools() == shape.pools()
                    && c.pesPerPool() == shape.pesPerPool()) {
                return c;
            }
        }
        return null;
    }

    static String kops(double opsPerSecond) {
        double k = opsPerSecond / 1e3;
        return k >= 100 ? String.format(Locale.ROOT, "%,.0f", k) : String.format(Locale.ROOT, "%,.1f", k);
    }

    private static String ratio(double ours, double theirs) {
        double r = ours / theirs;
        return r >= 100 ? String.format(Locale.ROOT, "×%,.0f", r) : String.format(Locale.ROOT, "×%.2f", r);
    }

    String table1() {
        StringBuilder b = new StringBuilder();
        b.append("# Table 1 — handlespace operation throughput, one pool of 3,000 PEs\n\n");
        b.append(info.header());
        b.append("- Workload: registrar 0x10000001, pool \"BenchPool\", PE ids a bijective mix of a counter, one "
                + "seeded PRNG (42), LU loads uniform 32-bit, WRAND weights 1–1000, one IPv4 address per PE, life "
                + "90,000 ms, synthetic clock +1 µs per operation.\n");
        b.append("- Cells: mean throughput in **k ops/s** over the repetitions, with the bootstrap 95 % CI "
                + "(10,000 resamples) in brackets. export/import/bulk_expire count PEs per second.\n"
                + "- Every size (10 … 100,000 PEs, and 1,000 pools × 100 PEs, where each operation picks a random pool "
                + "and expiry works on that pool's own earliest deadline) is in results.csv; figure2.png plots them.\n\n");

        b.append("## Ours beside the paper (its Table 1, \"ops/s/PE\", older hardware)\n\n");
        appendComparison(b, PAPER, "paper", false);
        b.append("\nThe paper gives one \"Handle Resolution\" row (shown beside both resolution1 and resolution3) and "
                + "one \"Synchronization\" row (beside export).\n\n");

        b.append("## Ours beside RSPLIB 3.4.4 on this kind of machine (the real bar; goal ≥ ×2 in every cell)\n\n");
        appendComparison(b, RSPLIB, "RSPLIB", true);
        b.append('\n');
        int[] goal = goalCount();
        b.append(String.format("Cells at ≥ ×2 RSPLIB: %d of %d.%n%n", goal[0], goal[1]));

        List<PolicyType> extras = settings.extraPolicies;
        if (!extras.isEmpty()) {
            b.append("## Other policies, 3,000 PEs (k ops/s, mean [95 % CI])\n\n| operation |");
            for (PolicyType p : extras) {
                b.append(' ').append(p.shortName()).append(" |");
            }
            b.append("\n| --- |");
            b.append(" ---: |".repeat(extras.size()));
            b.append('\n');
            for (Operation op : ROWS) {
                b.append("| ").append(op.csvName()).append(" |");
                for (PolicyType p : extras) {
                    Cell c = find(p, op, Shape.PAPER);
                    b.append(' ').append(c == null ? "—" : cellText(c)).append(" |");
                }
                b.append('\n');
            }
            b.append('\n');
        }
        b.append("Operations: ");
        for (Operation op : Operation.values()) {
            b.append("**").append(op.csvName()).append("** ").append(op.description()).append("; ");
        }
        b.setLength(b.length() - 2);
        b.append(".\n");
        return b.toString();
    }

    private static String cellText(Cell c) {
        return kops(c.stats().mean) + " [" + kops(c.stats().low) + "–" + kops(c.stats().high) + "]";
    }

    private void appendComparison(StringBuilder b, Map<Operation, double[]> reference, String name, boolean goal) {
        List<PolicyType> four = PaperTableCommand.PAPER_POLICIES;
        b.append("| operation |");
        for (PolicyType p : four) {
            String n = p.shortName();
            b.append(String.format(" %s ours | %s %s | %s ratio |", n, n, name, n));
        }
        b.append("\n| --- |");
        b.append(" ---: | ---: | ---: |".repeat(four.size()));
        b.append('\n');
        for (Operation op : ROWS) {
            double[] ref = reference.get(op);
            b.append("| ").append(op.csvName()).append(" |");
            for (int i = 0; i < four.size(); i++) {
                Cell c = find(four.get(i), op, Shape.PAPER);
                String ours = c == null ? "—" : cellText(c);
                String theirs = ref == null ? "—" : kops(ref[i]);
                String r = c == null || ref == null ? "—" : ratio(c.stats().mean, ref[i])
                        + (goal ? (c.stats().mean >= 2 * ref[i] ? " ✓" : " ✗") : "");
                b.append(' ').append(ours).append(" | ").append(theirs).append(" | ").append(r).append(" |");
            }
            b.append('\n');
        }
    }

    private int[] goalCount() {
        int met = 0;
        int all = 0;
        List<PolicyType> four = PaperTableCommand.PAPER_POLICIES;
        for (Map.Entry<Operation, double[]> e : RSPLIB.entrySet()) {
            for (int i = 0; i < four.size(); i++) {
                Cell c = find(four.get(i), e.getKey(), Shape.PAPER);
                if (c != null) {
                    all++;
                    if (c.stats().mean >= 2 * e.getValue()[i]) {
                        met++;
                    }
                }
            }
        }
        return new int[] {met, all};
    }
}
