package org.poolkeeper.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.text.DecimalFormat;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.util.ShapeUtils;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.poolkeeper.handlespace.PolicyType;

/**
 * The paper's Figure 2: throughput against the number of PEs in the pool (log x axis), one line per policy and
 * operation — drawn as one panel per operation with a line per policy, so that 40 lines stay readable, and with
 * RSPLIB 3.4.4's figures (diamonds, from the anchors) and the paper's Table 1 (triangles, at 3,000 PEs) as markers in
 * the policy's colour. Only the single-pool sizes are on the x axis; the 1,000 × 100 case is in results.csv.
 */
final class Figure2 {
    private static final int PANEL_W = 640;
    private static final int PANEL_H = 380;
    private static final int COLUMNS = 2;
    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
        new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
        new Color(0x17becf)};

    private Figure2() {
    }

    static void write(List<Cell> cells, Anchors anchors, Path file) throws IOException {
        List<JFreeChart> charts = new ArrayList<>();
        for (Operation op : Reports.ROWS) {
            Map<PolicyType, XYSeries> series = new LinkedHashMap<>();
            for (Cell c : cells) {
                if (c.operation() == op && c.pools() == 1) {
                    series.computeIfAbsent(c.policy(), p -> new XYSeries(p.shortName() + " ours"))
                            .add(c.pesPerPool(), c.stats().center / 1e3);
                }
            }
            XYSeriesCollection data = new XYSeriesCollection();
            List<Color> colors = new ArrayList<>();
            List<Integer> kinds = new ArrayList<>(); // 0 ours (line), 1 RSPLIB, 2 paper (markers)
            int policyIndex = 0;
            for (Map.Entry<PolicyType, XYSeries> e : series.entrySet()) {
                if (e.getValue().getItemCount() < 2) { // a policy measured at one size only is no line
                    continue;
                }
                Color color = COLORS[policyIndex++ % COLORS.length];
                data.addSeries(e.getValue());
                colors.add(color);
                kinds.add(0);
                XYSeries rsplib = new XYSeries(e.getKey().shortName() + " RSPLIB");
                for (Shape shape : anchors.shapes()) {
                    Anchors.Anchor a = anchors.get(e.getKey(), op, shape);
                    if (shape.pools() == 1 && a != null) {
                        rsplib.add(shape.pesPerPool(), a.median() / 1e3);
                    }
                }
                if (rsplib.getItemCount() > 0) {
                    data.addSeries(rsplib);
                    colors.add(color);
                    kinds.add(1);
                }
                double[] paper = Reports.PAPER.get(op);
                int column = PaperTableCommand.PAPER_POLICIES.indexOf(e.getKey());
                if (paper != null && column >= 0) {
                    XYSeries p = new XYSeries(e.getKey().shortName() + " paper");
                    p.add(Shape.PAPER.pesPerPool(), paper[column] / 1e3);
                    data.addSeries(p);
                    colors.add(color);
                    kinds.add(2);
                }
            }
            charts.add(chart(op, data, colors, kinds));
        }
        int rows = (charts.size() + COLUMNS - 1) / COLUMNS;
        BufferedImage image = new BufferedImage(PANEL_W * COLUMNS, PANEL_H * rows, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, image.getWidth(), image.getHeight());
        for (int i = 0; i < charts.size(); i++) {
            charts.get(i).draw(g, new Rectangle2D.Double((i % COLUMNS) * PANEL_W, (i / COLUMNS) * PANEL_H, PANEL_W,
                    PANEL_H));
        }
        g.dispose();
        if (!ImageIO.write(image, "png", file.toFile())) {
            throw new IOException("no PNG writer");
        }
    }

    private static JFreeChart chart(Operation op, XYSeriesCollection data, List<Color> colors, List<Integer> kinds) {
        String unit = op == Operation.EXPORT || op == Operation.IMPORT || op == Operation.BULK_EXPIRE
                ? "thousand PEs per second" : "thousand operations per second";
        JFreeChart chart = ChartFactory.createXYLineChart("Figure 2 — " + op.csvName(), "PEs in the pool",
                unit, data, PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        LogAxis x = new LogAxis("PEs in the pool (log scale)");
        x.setBase(10);
        x.setSmallestValue(1);
        x.setTickUnit(new NumberTickUnit(1)); // one tick per decade: 10, 100, 1,000 ...
        x.setNumberFormatOverride(new DecimalFormat("#,##0"));
        plot.setDomainAxis(x);
        NumberAxis y = new NumberAxis(unit);
        y.setAutoRangeIncludesZero(true);
        y.setNumberFormatOverride(new DecimalFormat("#,##0"));
        plot.setRangeAxis(y);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            renderer.setSeriesPaint(i, colors.get(i));
            renderer.setSeriesStroke(i, new BasicStroke(2f));
            if (kinds.get(i) != 0) {
                renderer.setSeriesLinesVisible(i, false);
                renderer.setSeriesShape(i, kinds.get(i) == 1 ? ShapeUtils.createDiamond(6f)
                        : ShapeUtils.createUpTriangle(6f));
            }
        }
        plot.setRenderer(renderer);
        return chart;
    }
}
