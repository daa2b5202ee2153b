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
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.poolkeeper.handlespace.PolicyType;

/**
 * The paper's Figure 2: throughput against the number of PEs in the pool (log x axis), one line per policy and
 * operation — drawn as one panel per operation with a line per policy, so that 40 lines stay readable. Only the
 * single-pool sizes are on the x axis; the 1,000 × 100 case is in results.csv.
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

    static void write(List<Cell> cells, Path file) throws IOException {
        Map<Operation, XYSeriesCollection> panels = new LinkedHashMap<>();
        for (Operation op : Reports.ROWS) {
            Map<PolicyType, XYSeries> series = new LinkedHashMap<>();
            for (Cell c : cells) {
                if (c.operation() == op && c.pools() == 1) {
                    series.computeIfAbsent(c.policy(), p -> new XYSeries(p.shortName() + " " + op.csvName()))
                            .add(c.pesPerPool(), c.stats().mean / 1e3);
                }
            }
            XYSeriesCollection data = new XYSeriesCollection();
            for (XYSeries s : series.values()) {
                if (s.getItemCount() > 1) { // a policy measured at one size only is no line
                    data.addSeries(s);
                }
            }
            panels.put(op, data);
        }
        List<JFreeChart> charts = new ArrayList<>();
        for (Map.Entry<Operation, XYSeriesCollection> e : panels.entrySet()) {
            charts.add(chart(e.getKey(), e.getValue()));
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

    private static JFreeChart chart(Operation op, XYSeriesCollection data) {
        JFreeChart chart = ChartFactory.createXYLineChart("Figure 2 — " + op.csvName(), "PEs in the pool",
                "k ops/s", data, PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        LogAxis x = new LogAxis("PEs in the pool (log scale)");
        x.setBase(10);
        x.setSmallestValue(1);
        x.setTickUnit(new NumberTickUnit(1)); // one tick per decade: 10, 100, 1,000 ...
        x.setNumberFormatOverride(new DecimalFormat("#,##0"));
        plot.setDomainAxis(x);
        NumberAxis y = new NumberAxis("k ops/s");
        y.setAutoRangeIncludesZero(true);
        y.setNumberFormatOverride(new DecimalFormat("#,##0"));
        plot.setRangeAxis(y);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            renderer.setSeriesPaint(i, COLORS[i % COLORS.length]);
            renderer.setSeriesStroke(i, new BasicStroke(2f));
        }
        plot.setRenderer(renderer);
        return chart;
    }
}
