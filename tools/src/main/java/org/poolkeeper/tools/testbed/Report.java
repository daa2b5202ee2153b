package org.poolkeeper.tools.testbed;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.IntervalMarker;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The testbed's report: Table 2 beside the paper's figures, CPU, memory, latency, replication, agreement. */
public final class Report {

    /** The paper's Table 2 (ops/s/PE): simulation and real system, RR and LU. */
    private static final Map<String, double[]> PAPER = new LinkedHashMap<>();

    static {
        // {sim RR, real RR, sim LU, real LU}
        PAPER.put("Registration", new double[] {11_237, 8_301, 10_854, 7_988});
        PAPER.put("Re-registration", new double[] {6_425, 4_202, 6_103, 3_978});
        PAPER.put("Handle Resolution", new double[] {27_901, 24_728, 28_777, 25_033});
    }

    /** What Poolkeeper's figure in each Table 2 row is (rows in the order of {@link #PAPER}). */
    private final String[] measureText;
    /** The same for table2.csv. */
    private final String[] measureCsv;

    private static final Pattern PU_LINE =
            Pattern.compile("^pu-sim\\s+([0-9.]+)s\\s.*resolutions=\\d+.*p50=(\\d+)us\\s+p99=(\\d+)us"
                    + "(?:\\s+at=(\\d+))?");

    private final TestbedCommand bed;
    private final Monitor monitor;
    private final List<TestbedCommand.PuPhase> phases;
    private final TestbedCommand.Agreement agreement;
    private final Map<String, String> heap;
    private final List<String> problems;
    private final int pesTotal;
    private final double loadSeconds;
    private final List<String> policies = new ArrayList<>();
    final Map<String, double[]> ours = new LinkedHashMap<>(); // policy -> {reg/s, rereg/s, res/s}
    /** policy -> {registrations/s, re-registrations/s} the pe-sims offered during the load. */
    private final Map<String, double[]> offered = new LinkedHashMap<>();
    /** policy -> resolutions/s of the pu-sims' max phase (0 if it did not run). */
    private final Map<String, Double> maxPhase = new LinkedHashMap<>();
    private final boolean capacityMeasured;

    Report(TestbedCommand bed, Monitor monitor, List<TestbedCommand.PuPhase> phases,
           TestbedCommand.Agreement agreement, Map<String, String> heap, List<String> problems, int pesTotal,
           double loadSeconds) {
        this.bed = bed;
        this.monitor = monitor;
        this.phases = phases;
        this.agreement = agreement;
        this.heap = heap;
        this.problems = problems;
        this.pesTotal = pesTotal;
        this.loadSeconds = loadSeconds;
        for (String p : bed.policies) {
            policies.add(p.toUpperCase(Locale.ROOT));
        }
        for (String p : policies) {
            double reg = 0;
            double rereg = 0;
            for (TestbedCommand.Child c : bed.children()) {
                if (c.role.equals("pe") && p.equals(c.policy)) {
                    String j = c.lastJsonLine();
                    // over the load, not the hold (no registrations then) nor the leaving
                    double d = TestbedCommand.num(j, "load_s");
                    if (d <= 0) {
                        d = TestbedCommand.num(j, "duration_s");
                    }
                    if (d > 0) {
                        reg += TestbedCommand.num(j, "registrations") / d;
                        rereg += TestbedCommand.num(j, "reregistrations") / d;
                    }
                }
            }
            double res = 0;
            for (TestbedCommand.PuPhase ph : phases) {
                if (ph.max()) {
                    res = resolutionRate(ph, p);
                }
            }
            maxPhase.put(p, res);
            offered.put(p, new double[] {reg, rereg});
            double[] capacity = bed.capacities.get(p);
            ours.put(p, capacity != null ? capacity.clone() : new double[] {reg, rereg, res});
        }
        capacityMeasured = !bed.capacities.isEmpty();
        measureText = capacityMeasured
                ? new String[] {"capacity: new PEs (loadgen churn), closed loop before the load",
                    "capacity: re-registrations (loadgen), closed loop before the load",
                    "capacity: resolutions (loadgen), closed loop before the load"}
                : new String[] {"offered load, sustained (not capacity)", "offered load, sustained (not capacity)",
                    "pu-sims' max phase (simulators sharing the cores; not capacity)"};
        measureCsv = capacityMeasured
                ? new String[] {"capacity_churn", "capacity_reregistration", "capacity_resolution"}
                : new String[] {"offered_sustained", "offered_sustained", "max_phase"};
    }

    private static double resolutionRate(TestbedCommand.PuPhase phase, String policy) {
        double res = 0;
        for (TestbedCommand.Child c : phase.group()) {
            if (policy.equals(c.policy)) {
                String j = c.lastJsonLine();
                double d = TestbedCommand.num(j, "duration_s");
                if (d > 0) {
                    res += TestbedCommand.num(j, "resolutions") / d;
                }
            }
        }
        return res;
    }

    String render() {
        StringBuilder b = new StringBuilder();
        b.append("\n# Poolkeeper testbed report\n\n");
        b.append(String.format(Locale.ROOT, "Load %.0f s on loopback: 2 registrars (primary + backup, clustered), "
                        + "%d pe-sim JVMs (%d PEs, re-registration every 0.5-3 s, bursts of joins/leaves every 5 s), "
                        + "%d pu-sim JVMs in phases of rising rate (%s); PEs and PUs use the primary. Then a %d s "
                        + "hold: the pe-sims keep their PEs registered with no handlespace changes while the "
                        + "registrars are compared. Policies: %s. Host: %d cores.%n%n",
                loadSeconds, count("pe"), pesTotal, bed.puSims, phaseRates(), bed.hold, String.join(", ", policies),
                Runtime.getRuntime().availableProcessors()));

        b.append("## Table 2: throughput\n\n");
        b.append("Paper: ops/s/PE, its testbed: what its real system achieved. Poolkeeper: ops/s through the primary ")
                .append("(last column: what the figure is). ");
        if (capacityMeasured) {
            b.append(String.format(Locale.ROOT, "Every Poolkeeper figure is the primary's capacity, measured on the "
                    + "idle cluster before the load, after a warm-up, for %d s per figure by deploy/bin/loadgen "
                    + "(closed loop, 4 connections x 32 requests in flight; registration = a brand-new PE registered "
                    + "and deregistered again, re-registration = 5 PEs per pool registered over and over, handle "
                    + "resolution = 10 pools of %d PEs resolved), the backup replicating.%n%n", bed.capacity,
                    bed.pesPerPool));
        } else {
            b.append("Registration and re-registration: the load the pe-sims offered and the primary sustained; handle "
                    + "resolution: the pu-sims' max phase (not capacities: --capacity 0 skipped that "
                    + "measurement).\n\n");
        }
        StringBuilder head = new StringBuilder("| Operation |");
        StringBuilder sep = new StringBuilder("|---|");
        for (String p : policies) {
            head.append(" Simulation (").append(p).append(") | Real System (").append(p).append(") | Poolkeeper (")
                    .append(p).append(") |");
            sep.append("---:|---:|---:|");
        }
        head.append(" Poolkeeper figure |");
        sep.append("---|");
        b.append(head).append('\n').append(sep).append('\n');
        int row = 0;
        for (Map.Entry<String, double[]> e : PAPER.entrySet()) {
            b.append("| ").append(e.getKey()).append(" |");
            for (String p : policies) {
                int col = p.equals("RR") ? 0 : p.equals("LU") ? 2 : -1;
                b.append(col < 0 ? " — | — |" : " " + fmt(e.getValue()[col]) + " | " + fmt(e.getValue()[col + 1])
                        + " |");
                b.append(" ").append(fmt(ours.get(p)[row])).append(" |");
            }
            b.append(" ").append(measureText[row]).append(" |\n");
            row++;
        }
        if (capacityMeasured) {
            b.append("\nResolution capacity against 4x the paper's real system:");
            for (String p : policies) {
                int col = p.equals("RR") ? 1 : p.equals("LU") ? 3 : -1;
                if (col > 0) {
                    double goal = 4 * PAPER.get("Handle Resolution")[col];
                    b.append(String.format(Locale.ROOT, " %s %s/s %s %s/s;", p, fmt(ours.get(p)[2]),
                            ours.get(p)[2] >= goal ? ">=" : "BELOW", fmt(goal)));
                }
            }
            b.setLength(b.length() - 1);
            b.append(".\n");
        }
        b.append("\nThe pu-sims' own max phase (each pu-sim alone, 2 pool users x 16 requests in flight, while the ")
                .append("pe-sims' load runs and every simulator JVM shares the two cores: a figure of the simulators ")
                .append("as much as of the registrar):");
        for (String p : policies) {
            double m = maxPhase.getOrDefault(p, 0.0);
            b.append(String.format(Locale.ROOT, " %s %s;", p, m > 0 ? fmt(m) + " resolutions/s" : "did not run"));
        }
        b.setLength(b.length() - 1);
        b.append(".\n");
        b.append("\nDuring the load the pe-sims offered, and the primary answered:");
        for (String p : policies) {
            b.append(String.format(Locale.ROOT, " %s %s registrations/s and %s re-registrations/s;", p,
                    fmt(offered.get(p)[0]), fmt(offered.get(p)[1])));
        }
        b.setLength(b.length() - 1);
        b.append(".\n");

        b.append("\n## Registrar CPU and memory\n\n");
        b.append("Paper: below 42 % CPU at peak; ~4.2 MB for 3,000 PEs.\n\n");
        b.append("| Registrar | CPU % peak (1 s) | CPU % mean | RSS peak | RSS end | Heap used at end | PEs peak |\n");
        b.append("|---|---:|---:|---:|---:|---:|---:|\n");
        List<Monitor.Sample> s;
        synchronized (monitor.samples) {
            s = new ArrayList<>(monitor.samples);
        }
        for (int r = 0; r < 2; r++) {
            double peak = 0;
            double sum = 0;
            int cpuSamples = 0;
            long rssPeak = 0;
            long rssEnd = 0;
            long elements = 0;
            for (Monitor.Sample x : s) { // a sample whose scrape failed carries NaN or -1: skipped
                double c = r == 0 ? x.cpuPrimary() : x.cpuBackup();
                if (!Double.isNaN(c)) {
                    peak = Math.max(peak, c);
                    sum += c;
                    cpuSamples++;
                }
                long rss = r == 0 ? x.rssPrimaryKb() : x.rssBackupKb();
                if (rss >= 0) {
                    rssPeak = Math.max(rssPeak, rss);
                    rssEnd = rss;
                }
                elements = Math.max(elements, r == 0 ? x.elementsPrimary() : x.elementsBackup());
            }
            String name = r == 0 ? "registrar-1" : "registrar-2";
            b.append(String.format(Locale.ROOT, "| %s (%s) | %.1f | %.1f | %.1f MB | %.1f MB | %s | %d |%n",
                    r == 0 ? "primary" : "backup", name, peak, cpuSamples == 0 ? 0 : sum / cpuSamples,
                    rssPeak / 1024.0, rssEnd / 1024.0, heap.getOrDefault(name, "n/a"), elements));
        }
        b.append("\nFrom each registrar's /metrics, scraped every second: CPU % = process_cpu_time_ns_total over wall ")
                .append("time (100 % = one core); RSS = process_resident_memory_bytes (VmRSS), the whole JVM ")
                .append("(").append(TestbedCommand.LONG_JVM).append("); heap used = ")
                .append("jvm_memory_used_bytes{area=\"heap\"} after the load, not a ")
                .append("retained-size measurement ('bench memory' measures retained heap per PE); PEs = ")
                .append("poolkeeper_pool_elements.");
        b.append(String.format(Locale.ROOT, " Scrapes: %d, failed: %d%s.%n", monitor.scrapes, monitor.scrapeFailures,
                monitor.lastScrapeFailure == null ? "" : " (last: " + monitor.lastScrapeFailure + ")"));

        b.append("\n## Resolution latency (pu-sim, through the primary)\n\n");
        b.append(String.format(Locale.ROOT, "Each pu-sim resolved for %d s unmeasured first (its JVM's warm-up). A "
                + "paced phase reaches its rate when a pu-sim resolved at least 95 %% of it.%n%n",
                TestbedCommand.PU_WARMUP_S));
        b.append("| Policy | Phase rate | Resolutions/s | Reached | p50 ms | p99 ms | p999 ms | Errors |\n");
        b.append("|---|---:|---:|---|---:|---:|---:|---:|\n");
        for (TestbedCommand.PuPhase ph : phases) {
            for (TestbedCommand.Child c : ph.group()) {
                String j = c.lastJsonLine();
                double got = TestbedCommand.num(j, "resolutions") / TestbedCommand.num(j, "duration_s");
                b.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %.2f | %.2f | %.2f | %s |%n", c.policy,
                        ph.rate(), fmt(got), ph.max() ? "—" : TestbedCommand.reached(ph, c) ? "yes" : "NO",
                        TestbedCommand.num(j, "latency_us.p50") / 1000, TestbedCommand.num(j, "latency_us.p99") / 1000,
                        TestbedCommand.num(j, "latency_us.p999") / 1000, fmt(TestbedCommand.num(j, "errors"))));
            }
        }
        b.append("\nLatency over time: latency.png / latency.csv (per-5 s p50 and p99 from pu-sim progress, the ")
                .append("phases shaded; a phase shorter than 5 s gives one point from its summary).\n");

        b.append("\n## Replication between the registrars\n\n");
        double span = Math.max(1e-9, monitor.lastCounterT - monitor.firstCounterT);
        double batches = (monitor.lastBatches - monitor.firstBatches) / span;
        double updates = (monitor.lastUpdates - monitor.firstUpdates) / span;
        b.append(String.format(Locale.ROOT, "- messages/s (HandleUpdate batches sent, both directions): %.1f%n",
                batches));
        b.append(String.format(Locale.ROOT, "- updates/s (HandleUpdates received, both directions): %.1f%n", updates));
        b.append(String.format(Locale.ROOT, "- bytes/s (protobuf payload of the update batches, both directions; "
                + "Artery's framing not included): %.0f%n", (monitor.lastBytes - monitor.firstBytes) / span));
        b.append(String.format(Locale.ROOT, "- checksums equal during the load: %d of %d 1-s samples (the status "
                + "files are rewritten independently, so deltas in flight show as transient differences)%n",
                monitor.checksumEqual, monitor.checksumSamples));
        long held = 0;
        boolean heldKnown = true;
        for (TestbedCommand.Child c : bed.children()) {
            if (c.role.equals("pe")) {
                double n = TestbedCommand.num(c.lastJsonLine(), "registered_at_hold");
                heldKnown &= n >= 0;
                held += (long) Math.max(0, n);
            }
        }
        String heldText = heldKnown ? held + " PEs (the sum of their registered_at_hold)" : "n/a (a summary is missing)";
        if (agreement.agree()) {
            b.append(String.format(Locale.ROOT, "- final checksum agreement: yes, with %d PEs registered on both "
                            + "registrars, compared during the pe-sims' %d s hold before they deregistered: checksum "
                            + "%s on both, owner checksums and PE counts equal in two consecutive status rewrites of "
                            + "each, confirmed %.1f s after the load ended; the pe-sims held %s%n",
                    agreement.elements(), bed.hold, agreement.primaryChecksum(), agreement.reachedAfter(),
                    heldText));
        } else {
            b.append(String.format(Locale.ROOT, "- final checksum agreement: no, during the pe-sims' %d s hold (%s); "
                    + "the pe-sims held %s%n", bed.hold, agreement.detail(), heldText));
        }

        b.append("\n## Processes\n\n");
        for (TestbedCommand.Child c : bed.children()) {
            if (c.role.equals("registrar")) {
                continue;
            }
            if (c.role.equals("loadgen")) {
                b.append(String.format(Locale.ROOT, "- %s (%s): exit %s, %s%n", c.name, c.policy, c.exit,
                        c.lastStdoutLine()));
                continue;
            }
            String j = c.lastJsonLine();
            b.append(String.format(Locale.ROOT, "- %s (%s): exit %s, %s%n", c.name, c.policy, c.exit,
                    j == null ? "no JSON" : c.role.equals("pe")
                            ? "failures " + fmt(TestbedCommand.num(j, "failures")) + ", registered at hold "
                                    + fmt(TestbedCommand.num(j, "registered_at_hold"))
                            : "errors " + fmt(TestbedCommand.num(j, "errors"))));
        }
        b.append("\n## Result: ").append(problems.isEmpty() ? "PASS" : "FAIL").append('\n');
        for (String p : problems) {
            b.append("- ").append(p).append('\n');
        }
        b.append('\n');
        return b.toString();
    }

    private int count(String role) {
        int n = 0;
        for (TestbedCommand.Child c : bed.children()) {
            n += c.role.equals(role) ? 1 : 0;
        }
        return n;
    }

    private String phaseRates() {
        List<String> r = new ArrayList<>();
        for (TestbedCommand.PuPhase p : phases) {
            r.add(p.rate() + "/s x " + p.seconds() + " s");
        }
        return String.join(", ", r).replace("max/s", "max");
    }

    static String fmt(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v) || v < 0) {
            return "n/a";
        }
        return String.format(Locale.ROOT, "%,.0f", v);
    }

    void writeCsvAndCharts(Path out) throws IOException {
        StringBuilder t = new StringBuilder(
                "operation,policy,paper_simulation,paper_real_system,poolkeeper,poolkeeper_measure\n");
        int row = 0;
        for (Map.Entry<String, double[]> e : PAPER.entrySet()) {
            for (String p : policies) {
                int col = p.equals("RR") ? 0 : p.equals("LU") ? 2 : -1;
                t.append(String.format(Locale.ROOT, "%s,%s,%s,%s,%.1f,%s%n", e.getKey(), p,
                        col < 0 ? "" : String.format(Locale.ROOT, "%.0f", e.getValue()[col]),
                        col < 0 ? "" : String.format(Locale.ROOT, "%.0f", e.getValue()[col + 1]), ours.get(p)[row],
                        measureCsv[row]));
            }
            row++;
        }
        Files.writeString(out.resolve("table2.csv"), t);

        StringBuilder ts = new StringBuilder("t_s,reg_per_s,res_per_s,cpu_primary_pct,cpu_backup_pct,rss_primary_kb,"
                + "rss_backup_kb,repl_batches_per_s,repl_updates_per_s,elements_primary,elements_backup\n");
        XYSeries cpuP = new XYSeries("primary CPU %");
        XYSeries cpuB = new XYSeries("backup CPU %");
        synchronized (monitor.samples) {
            for (Monitor.Sample s : monitor.samples) {
                ts.append(String.format(Locale.ROOT, "%.1f,%.1f,%.1f,%.1f,%.1f,%d,%d,%.1f,%.1f,%d,%d%n", s.t(),
                        s.regPerS(), s.resPerS(), s.cpuPrimary(), s.cpuBackup(), s.rssPrimaryKb(), s.rssBackupKb(),
                        s.batchesPerS(), s.updatesPerS(), s.elementsPrimary(), s.elementsBackup()));
                cpuP.add(s.t(), s.cpuPrimary()); // NaN where a scrape failed: a gap in the chart
                cpuB.add(s.t(), s.cpuBackup());
            }
        }
        Files.writeString(out.resolve("timeseries.csv"), ts);

        StringBuilder lat = new StringBuilder("t_s,process,policy,p50_us,p99_us\n");
        Map<String, XYSeries> series = new LinkedHashMap<>();
        for (TestbedCommand.Child c : bed.children()) {
            if (!c.role.equals("pu")) {
                continue;
            }
            boolean any = false;
            // a gap before each pu-sim's points: no line is drawn across the time no pu-sim of the policy ran
            series.computeIfAbsent(c.policy + " p50", k -> new XYSeries(k, true)).add(c.startedAt, Double.NaN);
            series.computeIfAbsent(c.policy + " p99", k -> new XYSeries(k, true)).add(c.startedAt, Double.NaN);
            for (String line : TestbedCommand.readLines(c.errFile)) {
                Matcher m = PU_LINE.matcher(line);
                if (m.find()) {
                    any = true;
                    double at = m.group(4) != null ? bed.testbedSeconds(Long.parseLong(m.group(4)))
                            : c.startedAt + Double.parseDouble(m.group(1));
                    long p50 = Long.parseLong(m.group(2));
                    long p99 = Long.parseLong(m.group(3));
                    lat.append(String.format(Locale.ROOT, "%.1f,%s,%s,%d,%d%n", at, c.name, c.policy, p50, p99));
                    series.get(c.policy + " p50").add(at, p50 / 1000.0);
                    series.get(c.policy + " p99").add(at, p99 / 1000.0);
                }
            }
            String j = c.lastJsonLine();
            if (!any && j != null && TestbedCommand.num(j, "duration_s") > 0) {
                // a phase shorter than the 5 s progress interval: one point from its summary
                double from = TestbedCommand.num(j, "measured_from_ms");
                double at = (from > 0 ? bed.testbedSeconds((long) from) : c.startedAt)
                        + TestbedCommand.num(j, "duration_s");
                long p50 = (long) TestbedCommand.num(j, "latency_us.p50");
                long p99 = (long) TestbedCommand.num(j, "latency_us.p99");
                lat.append(String.format(Locale.ROOT, "%.1f,%s,%s,%d,%d%n", at, c.name, c.policy, p50, p99));
                series.get(c.policy + " p50").add(at, p50 / 1000.0);
                series.get(c.policy + " p99").add(at, p99 / 1000.0);
            }
        }
        Files.writeString(out.resolve("latency.csv"), lat);
        XYSeriesCollection latData = new XYSeriesCollection();
        series.values().forEach(latData::addSeries);
        JFreeChart latency = chart("Resolution latency through the primary (pu-sims, p50 and p99 per 5 s)",
                "time since the testbed started (s)", "resolution latency (ms)", latData);
        XYPlot plot = latency.getXYPlot();
        for (TestbedCommand.PuPhase ph : phases) {
            IntervalMarker marker = new IntervalMarker(ph.began(), ph.ended());
            marker.setPaint(ph.max() ? new Color(255, 220, 180) : new Color(200, 225, 255));
            marker.setAlpha(0.5f);
            marker.setLabel(ph.max() ? "max" : ph.rate() + "/s");
            marker.setLabelAnchor(RectangleAnchor.TOP);
            marker.setLabelTextAnchor(TextAnchor.TOP_CENTER);
            plot.addDomainMarker(marker, Layer.BACKGROUND);
        }
        write(latency, out.resolve("latency.png"));
        XYSeriesCollection cpuData = new XYSeriesCollection();
        cpuData.addSeries(cpuP);
        cpuData.addSeries(cpuB);
        png(out.resolve("cpu.png"), "Registrar CPU (1 s samples; gaps: a failed scrape)",
                "time since the testbed started (s)", "CPU (% of one core)", cpuData);
    }

    public static void png(Path file, String title, String x, String y, XYSeriesCollection data)
            throws IOException {
        write(chart(title, x, y, data), file);
    }

    /** A line chart with points; a NaN value is a gap in its line. */
    static JFreeChart chart(String title, String x, String y, XYSeriesCollection data) {
        JFreeChart chart = ChartFactory.createXYLineChart(title, x, y, data, PlotOrientation.VERTICAL, true, false,
                false);
        XYPlot plot = chart.getXYPlot();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            renderer.setSeriesStroke(i, new BasicStroke(2f));
        }
        plot.setRenderer(renderer);
        return chart;
    }

    static void write(JFreeChart chart, Path file) throws IOException {
        BufferedImage image = chart.createBufferedImage(900, 500);
        if (!ImageIO.write(image, "png", file.toFile())) {
            throw new IOException("no PNG writer");
        }
    }
}
