package org.poolkeeper.bench;

import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.poolkeeper.handlespace.PolicyType;

/** Writes results.csv and table1.md from the measured cells. */
final class Reports {
    static final String CSV_HEADER = "policy,operation,pools,pes,ops_per_s,fork_min,fork_max,forks,rsplib_ops_per_s";

    /** The paper's Table 1 (its unit is "ops/s/PE"; we compare the numbers as ops/s). Order: RR, LU, RAND, WRAND. */
    static final Map<Operation, double[]> PAPER = new EnumMap<>(Operation.class);

    static {
        PAPER.put(Operation.REGISTRATION, new double[] {11_237, 10_854, 10_992, 10_639});
        PAPER.put(Operation.REREGISTRATION, new double[] {6_425, 6_103, 6_219, 5_984});
        PAPER.put(Operation.RESOLUTION1, new double[] {27_901, 28_777, 29_462, 27_568});
        PAPER.put(Operation.RESOLUTION3, new double[] {27_901, 28_777, 29_462, 27_568});
        PAPER.put(Operation.TIMER, new double[] {37_210, 36_808, 35_941, 34_177});
        PAPER.put(Operation.EXPORT, new double[] {1_137, 1_089, 1_103, 1_025});
        PAPER.put(Operation.DEREGISTRATION, new double[] {9_832, 9_423, 9_701, 9_144});
    }

    /** Table 1's row order. */
    static final List<Operation> ROWS = List.of(Operation.REGISTRATION, Operation.REREGISTRATION,
            Operation.RESOLUTION1, Operation.RESOLUTION3, Operation.TIMER, Operation.EXPIRE1, Operation.BULK_EXPIRE,
            Operation.EXPORT, Operation.IMPORT, Operation.DEREGISTRATION);

    private final PaperTableCommand.Settings settings;
    private final RunInfo info;
    private final List<Cell> cells;
    private final Anchors anchors;

    Reports(PaperTableCommand.Settings settings, RunInfo info, List<Cell> cells, Anchors anchors) {
        this.settings = settings;
        this.info = info;
        this.cells = cells;
        this.anchors = anchors;
    }

    /**
     * One row per cell: the median across forks, their min and max, each fork's figure (separated by ';'), and
     * RSPLIB's median where the anchors have the cell (empty otherwise).
     */
    String csv() {
        StringBuilder b = new StringBuilder(CSV_HEADER).append('\n');
        for (Cell c : cells) {
            StringBuilder forks = new StringBuilder();
            for (double r : c.rates()) {
                forks.append(forks.length() == 0 ? "" : ";").append(String.format(Locale.ROOT, "%.1f", r));
            }
            Anchors.Anchor a = anchors.get(c.policy(), c.operation(), new Shape(c.pools(), c.pesPerPool()));
            b.append(String.format(Locale.ROOT, "%s,%s,%d,%d,%.1f,%.1f,%.1f,%s,%s%n", c.policy().shortName(),
                    c.operation().csvName(), c.pools(), c.pesPerPool(), c.stats().center, c.stats().low,
                    c.stats().high, forks, a == null ? "" : String.format(Locale.ROOT, "%.0f", a.median())));
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
        b.append("# Table 1 — handlespace operation throughput, beside the paper and RSPLIB 3.4.4\n\n");
        b.append(info.header());
        b.append("- Workload: registrar 0x10000001, pool \"BenchPool\" (or \"Pool-0000\" … for several pools), "
                + "PE ids a bijective mix of a counter, one seeded PRNG (42), one IPv4 address per PE, life 90,000 ms, "
                + "synthetic clock +1 µs per operation. Policy information is drawn afresh for every registration "
                + "and re-registration, as RSPLIB's harness draws it: LU loads uniform over 32 bits (so PEs tie "
                + "for the lowest load about as rarely as there), WRAND weights uniform 1–1000.\n");
        b.append(String.format(Locale.ROOT, "- Cells: **k ops/s**, the median of %d fork%s (separate JVMs run one "
                + "after the other), with the forks' min–max in brackets; a fork's figure is the mean of its %d "
                + "windows of %s after a warm-up. export/import/bulk_expire count PEs per second. Ratios use the "
                + "medians.%n", settings.forks, settings.forks == 1 ? "" : "s", settings.reps,
                Durations.format(settings.windowNs)));
        b.append("- Every size (10 … 100,000 PEs, and 1,000 pools × 100 PEs, where each operation picks a random "
                + "pool and expiry works on that pool's own earliest deadline) is in results.csv; figure2.png plots "
                + "them "
                + "with RSPLIB's and the paper's figures as markers.\n");
        b.append("- RSPLIB: ").append(String.join(" ", anchors.provenance())).append(" Its column is the median of "
                + "the two passes.\n\n");

        b.append("## Ours beside the paper (its Table 1, \"ops/s/PE\", older hardware), one pool of 3,000 PEs\n\n");
        appendPaper(b);
        b.append("\nThe paper gives one \"Handle Resolution\" row (shown beside both resolution1 and resolution3) and "
                + "one \"Synchronization\" row (beside export).\n\n");

        int met = 0;
        int all = 0;
        List<String> below = new java.util.ArrayList<>();
        for (Shape shape : anchors.shapes()) {
            if (!settings.shapes.contains(shape)) {
                continue;
            }
            b.append("## Ours beside RSPLIB 3.4.4, ").append(shape.pools() == 1
                    ? String.format(Locale.ROOT, "one pool of %,d PEs", shape.pesPerPool())
                    : String.format(Locale.ROOT, "%,d pools of %,d PEs", shape.pools(), shape.pesPerPool()))
                    .append(" (same machine, same operations; goal ≥ ×2 in every cell)\n\n");
            int[] count = appendRsplib(b, shape, below);
            met += count[0];
            all += count[1];
            b.append('\n');
        }
        b.append(String.format("Cells at ≥ ×2 RSPLIB: %d of %d.%s%n%n", met, all,
                below.isEmpty() ? "" : " Below: " + String.join(", ", below) + "."));

        List<PolicyType> extras = settings.extraPolicies;
        if (!extras.isEmpty()) {
            b.append("## Other policies, 3,000 PEs (k ops/s, median [min–max across forks])\n\n| operation |");
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
        if (c.rates().length == 1) {
            return kops(c.stats().center);
        }
        return kops(c.stats().center) + " [" + kops(c.stats().low) + "–" + kops(c.stats().high) + "]";
    }

    /** The header of a comparison table: per policy, ours, the reference's figure and the ratio. */
    private static void comparisonHeader(StringBuilder b, List<PolicyType> policies, String reference) {
        b.append("| operation |");
        for (PolicyType p : policies) {
            String n = p.shortName();
            b.append(String.format(" %s ours | %s %s | %s ratio |", n, n, reference, n));
        }
        b.append("\n| --- |");
        b.append(" ---: | ---: | ---: |".repeat(policies.size()));
        b.append('\n');
    }

    private void appendPaper(StringBuilder b) {
        List<PolicyType> four = PaperTableCommand.PAPER_POLICIES;
        comparisonHeader(b, four, "paper");
        for (Operation op : ROWS) {
            double[] ref = PAPER.get(op);
            b.append("| ").append(op.csvName()).append(" |");
            for (int i = 0; i < four.size(); i++) {
                Cell c = find(four.get(i), op, Shape.PAPER);
                b.append(' ').append(c == null ? "—" : cellText(c)).append(" | ")
                        .append(ref == null ? "—" : kops(ref[i])).append(" | ")
                        .append(c == null || ref == null ? "—" : ratio(c.stats().center, ref[i])).append(" |");
            }
            b.append('\n');
        }
    }

    /** One table at one anchored shape; returns {cells at ≥ ×2, cells compared} and adds the ones below. */
    private int[] appendRsplib(StringBuilder b, Shape shape, List<String> below) {
        List<PolicyType> four = PaperTableCommand.PAPER_POLICIES;
        comparisonHeader(b, four, "RSPLIB");
        int met = 0;
        int all = 0;
        for (Operation op : ROWS) {
            b.append("| ").append(op.csvName()).append(" |");
            for (PolicyType p : four) {
                Cell c = find(p, op, shape);
                Anchors.Anchor a = anchors.get(p, op, shape);
                String r = "—";
                if (c != null && a != null) {
                    all++;
                    boolean ok = c.stats().center >= 2 * a.median();
                    met += ok ? 1 : 0;
                    if (!ok) {
                        below.add(p.shortName() + " " + op.csvName() + " at " + shape + " ("
                                + ratio(c.stats().center, a.median()) + ")");
                    }
                    r = ratio(c.stats().center, a.median()) + (ok ? " ✓" : " ✗");
                }
                b.append(' ').append(c == null ? "—" : cellText(c)).append(" | ")
                        .append(a == null ? "—" : kops(a.median())).append(" | ").append(r).append(" |");
            }
            b.append('\n');
        }
        return new int[] {met, all};
    }
}
