package org.jepa4j.eval;

import org.jepa4j.io.AtomicFiles;
import org.jepa4j.metrics.FeatureMatrix;
import org.jepa4j.metrics.PcaProjection;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.Color;
import java.awt.geom.Ellipse2D;
import java.io.IOException;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.List;

/** PNG charts of an evaluation (JFreeChart, drawn off-screen; works headless). */
public final class Charts {
    /** Monitor columns drawn under the loss when the log has them, with their axis labels. */
    public static final List<String[]> MONITORS = List.of(new String[] {"feature_std", "feature std"},
            new String[] {"rankme", "RankMe"}, new String[] {"knn_top1", "kNN top-1"}, new String[] {"lr", "lr"});

    private static final int WIDTH = 900;

    /** Ten distinguishable colours (Tableau 10), cycled for more classes. */
    private static final Color[] PALETTE = {new Color(0x4e79a7), new Color(0xf28e2b), new Color(0xe15759),
            new Color(0x76b7b2), new Color(0x59a14f), new Color(0xedc948), new Color(0xb07aa1), new Color(0xff9da7),
            new Color(0x9c755f), new Color(0xbab0ac)};

    private Charts() {
    }

    /**
     * Pretraining curves from a run's CSV log: the loss and, in panels below, each monitor column
     * the log holds ({@link #MONITORS}), against {@code step} (or the row number when the log has
     * no step column). Cells that are empty are skipped.
     *
     * @throws IOException naming the log when it has no {@code loss} values
     */
    public static void trainingCurves(RunLog log, String title, Path png) throws IOException {
        if (!log.has("loss")) {
            throw new IOException(log.file() + ": no 'loss' values to plot (columns " + log.columns().keySet() + ")");
        }
        String xName = log.has("step") ? "step" : "row";
        double[] x = log.has("step") ? log.column("step") : null;
        NumberAxis domain = new NumberAxis(xName);
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(domain);
        plot.setGap(8);
        plot.add(panel(log, "loss", "loss", x, PALETTE[0]), 3);
        int panels = 1;
        for (String[] m : MONITORS) {
            if (log.has(m[0])) {
                plot.add(panel(log, m[0], m[1], x, PALETTE[panels % PALETTE.length]), 1);
                panels++;
            }
        }
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, false);
        chart.setBackgroundPaint(Color.WHITE);
        write(chart, png, WIDTH, 300 + 160 * panels);
    }

    private static XYPlot panel(RunLog log, String column, String label, double[] x, Color colour) {
        double[] y = log.column(column);
        XYSeries s = new XYSeries(label, false, true);
        for (int i = 0; i < y.length; i++) {
            double xi = x == null ? i : x[i];
            if (Double.isFinite(xi) && Double.isFinite(y[i])) {
                s.add(xi, y[i]);
            }
        }
        NumberAxis axis = new NumberAxis(label);
        axis.setAutoRangeIncludesZero(false);
        // a constant column (fixed lr, say) would otherwise get a range of 1e-8 and unreadable ticks
        double maxAbs = 0;
        for (int i = 0; i < s.getItemCount(); i++) {
            maxAbs = Math.max(maxAbs, Math.abs(s.getY(i).doubleValue()));
        }
        axis.setAutoRangeMinimumSize(Math.max(0.2 * maxAbs, 1e-12));
        // monitors logged every few steps are drawn with markers so single points stay visible
        boolean sparse = s.getItemCount() < 60;
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, sparse);
        r.setSeriesPaint(0, colour);
        XYPlot p = new XYPlot(new XYSeriesCollection(s), null, axis, r);
        p.setBackgroundPaint(Color.WHITE);
        p.setRangeGridlinePaint(Color.LIGHT_GRAY);
        p.setDomainGridlinePaint(Color.LIGHT_GRAY);
        return p;
    }

    /** Grouped bars: linear-probe and kNN top-1 (percent) for each feature kind of the report. */
    public static void accuracyBars(EvaluationReport report, Path png) throws IOException {
        DefaultCategoryDataset ds = new DefaultCategoryDataset();
        for (EvaluationReport.FeatureResult r : report.results()) {
            ds.addValue(100 * r.probe().testTop1(), "linear probe", r.name());
            ds.addValue(100 * r.knn().top1(), "kNN (k=" + r.knn().k() + ")", r.name());
        }
        NumberAxis value = new NumberAxis("test top-1 (%)");
        value.setRange(0, 100);
        BarRenderer renderer = new BarRenderer();
        renderer.setSeriesPaint(0, PALETTE[0]);
        renderer.setSeriesPaint(1, PALETTE[1]);
        renderer.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator("{2}", new DecimalFormat("0.0")));
        renderer.setDefaultItemLabelsVisible(true);
        renderer.setShadowVisible(false);
        renderer.setBarPainter(new org.jfree.chart.renderer.category.StandardBarPainter());
        CategoryPlot plot = new CategoryPlot(ds, new CategoryAxis("features"), value, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart("Test accuracy on " + report.data().spec() + " (" + report.featureKind() + ")",
                JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        write(chart, png, WIDTH, 560);
    }

    /**
     * Scatter of 2-D points coloured by class, with a legend of class names.
     *
     * @param xy         {@code [n, 2]} coordinates (e.g. {@link PcaProjection#project})
     * @param labels     {@code [n]} class indices
     * @param classNames names by class index; missing names print as the index
     */
    public static void scatter(double[][] xy, int[] labels, List<String> classNames, String title, String xLabel,
                               String yLabel, Path png) throws IOException {
        if (xy.length != labels.length) {
            throw new IllegalArgumentException("scatter: " + xy.length + " points but " + labels.length + " labels");
        }
        int classes = FeatureMatrix.numClasses(labels);
        List<XYSeries> series = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            String name = c < classNames.size() ? classNames.get(c) : String.valueOf(c);
            series.add(new XYSeries(c + ": " + name, false, true));
        }
        for (int i = 0; i < xy.length; i++) {
            series.get(labels[i]).add(xy[i][0], xy[i][1]);
        }
        XYSeriesCollection ds = new XYSeriesCollection();
        series.forEach(ds::addSeries);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(false, true);
        for (int c = 0; c < classes; c++) {
            r.setSeriesShape(c, new Ellipse2D.Double(-1.5, -1.5, 3, 3));
            Color base = PALETTE[c % PALETTE.length];
            r.setSeriesPaint(c, new Color(base.getRed(), base.getGreen(), base.getBlue(), 150));
        }
        NumberAxis xa = new NumberAxis(xLabel);
        NumberAxis ya = new NumberAxis(yLabel);
        xa.setAutoRangeIncludesZero(false);
        ya.setAutoRangeIncludesZero(false);
        XYPlot plot = new XYPlot(ds, xa, ya, r);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        write(chart, png, WIDTH, 760);
    }

    /** 2-D PCA of {@code features} coloured by class; axis labels carry the explained variance. */
    public static void pcaScatter(float[][] features, int[] labels, List<String> classNames, String title, Path png)
            throws IOException {
        PcaProjection pca = PcaProjection.fit(features, 2);
        double[] ratio = pca.explainedVarianceRatio();
        scatter(pca.project(features), labels, classNames, title,
                String.format(java.util.Locale.ROOT, "PC1 (%.1f%% of variance)", 100 * ratio[0]),
                String.format(java.util.Locale.ROOT, "PC2 (%.1f%% of variance)", 100 * ratio[1]), png);
    }

    /**
     * An ablation as grouped bars: per variant (and baseline), the linear probe's test top-1 of each
     * feature, as the mean over seeds with a whisker of one sample standard deviation.
     */
    public static void ablationBars(AblationTable table, Path png) throws IOException {
        org.jfree.data.statistics.DefaultStatisticalCategoryDataset ds =
                new org.jfree.data.statistics.DefaultStatisticalCategoryDataset();
        for (AblationTable.Variant v : table.variants()) {
            for (String f : table.features()) {
                AblationTable.Summary sm = v.summary(f, true);
                if (sm.n() > 0) {
                    ds.add(100 * sm.mean(), Double.isNaN(sm.std()) ? 0 : 100 * sm.std(), f + " probe", v.name());
                }
            }
        }
        table.baselines().forEach((name, perFeature) -> {
            for (String f : table.features()) {
                AblationTable.Scores sc = perFeature.get(f);
                if (sc != null) {
                    ds.add(100 * sc.probe(), 0, f + " probe", name);
                }
            }
        });
        NumberAxis value = new NumberAxis("test top-1 (%), linear probe");
        value.setAutoRangeIncludesZero(false);
        org.jfree.chart.renderer.category.StatisticalBarRenderer renderer =
                new org.jfree.chart.renderer.category.StatisticalBarRenderer();
        for (int i = 0; i < table.features().size(); i++) {
            renderer.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
        }
        renderer.setErrorIndicatorPaint(Color.DARK_GRAY);
        renderer.setShadowVisible(false);
        renderer.setBarPainter(new org.jfree.chart.renderer.category.StandardBarPainter());
        CategoryPlot plot = new CategoryPlot(ds, new CategoryAxis("variant"), value, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart(table.title(), JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        write(chart, png, WIDTH, 560);
    }

    private static void write(JFreeChart chart, Path png, int width, int height) throws IOException {
        AtomicFiles.write(png, out -> ChartUtils.writeChartAsPNG(out, chart, width, height));
    }
}
