package org.jepa4j.eval;

import org.jepa4j.metrics.LinearProbe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReportAndChartsTest {
    @TempDir
    Path dir;

    private static EvaluationReport report() {
        List<LinearProbe.GridPoint> grid = List.of(new LinearProbe.GridPoint(0.05, 5e-4, 0.81),
                new LinearProbe.GridPoint(0.01, 0, 0.83));
        LinearProbe.Result probe = new LinearProbe.Result(0.8123, 0.9, 0.01, 0, grid, 60000, 6000, 10000, 192, 3.5);
        LinearProbe.Result raw = new LinearProbe.Result(0.845, 0.87, 0.05, 5e-4, grid, 60000, 6000, 10000, 784, 9.0);
        var pre = new EvaluationReport.FeatureResult(EvaluationReport.PRETRAINED, "encoder.onnx@abc pooled", 192, 40,
                probe, new EvaluationReport.KnnResult(20, 0.07, 0.79, 5), 55.5, 0.05);
        var px = new EvaluationReport.FeatureResult(EvaluationReport.RAW_PIXELS, "eval-transformed pixels", 784, 2,
                raw, new EvaluationReport.KnnResult(20, 0.07, 0.85, 20), 30.1, 0.02);
        return new EvaluationReport("2025-01-01T00:00:00Z", "dev",
                new EvaluationReport.DataSummary("fashion-mnist", 60000, 10000, 10, List.of("T-shirt/top", "Trouser")),
                "pooled", Map.of("model_id", "encoder.onnx@abc", "jepa4j.config", "a|b\nc"),
                Map.of("command", "jepa4j eval ..."), List.of(pre, px), Map.of());
    }

    private static void assertNoTemporaryFiles(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")));
        }
    }

    @Test
    void jsonRoundTripsAndMarkdownTabulatesEveryFeatureKind() throws IOException {
        EvaluationReport r = report().withChart("accuracy", "accuracy.png");
        r.writeJson(dir.resolve("report.json"));
        assertEquals(r, EvaluationReport.readJson(dir.resolve("report.json")));
        r.writeMarkdown(dir.resolve("report.md"));
        String md = Files.readString(dir.resolve("report.md"));
        assertTrue(md.contains("| pretrained | 192 | 81.23% | 79.00% | 55.5 | 0.0500 |"), md);
        assertTrue(md.contains("| raw_pixels | 784 | 84.50% | 85.00% | 30.1 | 0.0200 |"), md);
        assertTrue(md.contains("| pretrained | 0.01 | 0.0 | 83.00% | * |"), md);
        assertTrue(md.contains("| jepa4j.config | a\\|b c |"), md);
        assertTrue(md.contains("![accuracy](accuracy.png)"), md);
        assertTrue(md.contains("60000 training and 10000 test images, 10 classes"), md);
        assertNoTemporaryFiles(dir);
    }

    @Test
    void trainingCurvesGetOnePanelPerMonitorPresent() throws IOException {
        StringBuilder csv = new StringBuilder("epoch,itr,loss,mask-A,mask-B,time,step,lr,wd,momentum,images_per_s,"
                + "feature_std,rankme,knn_top1\n");
        for (int s = 0; s < 50; s++) {
            String monitors = s % 10 == 0 ? (0.05 + ",") + (40 + s) + "," + (0.3 + s / 100.0) : ",,";
            csv.append(s / 10).append(',').append(s % 10).append(',').append(1.0 / (1 + s)).append(",40,10,5,")
                    .append(s).append(",0.001,0.04,0.996,100,").append(monitors).append('\n');
        }
        Path full = dir.resolve("full_r0.csv");
        Files.writeString(full, csv);
        Path lossOnly = dir.resolve("loss.csv");
        Files.writeString(lossOnly, "epoch,itr,loss\n0,0,1.0\n0,1,0.5\n");
        Charts.trainingCurves(RunLog.read(full), "run", dir.resolve("full.png"));
        Charts.trainingCurves(RunLog.read(lossOnly), "run", dir.resolve("loss.png"));
        BufferedImage a = ImageIO.read(dir.resolve("full.png").toFile());
        BufferedImage b = ImageIO.read(dir.resolve("loss.png").toFile());
        assertNotNull(a);
        assertNotNull(b);
        // loss + feature_std + rankme + knn_top1 + lr panels versus loss alone
        assertEquals(300 + 160 * 5, a.getHeight());
        assertEquals(300 + 160, b.getHeight());
        assertNoTemporaryFiles(dir);
    }

    @Test
    void accuracyBarsAndPcaScatterAreWrittenAsPng() throws IOException {
        Charts.accuracyBars(report(), dir.resolve("accuracy.png"));
        BufferedImage bars = ImageIO.read(dir.resolve("accuracy.png").toFile());
        assertEquals(900, bars.getWidth());

        Random rng = new Random(1);
        float[][] x = new float[300][6];
        int[] y = new int[300];
        for (int i = 0; i < 300; i++) {
            y[i] = i % 3;
            for (int j = 0; j < 6; j++) {
                x[i][j] = (float) (rng.nextGaussian() + (j == y[i] ? 5 : 0));
            }
        }
        Charts.pcaScatter(x, y, List.of("a", "b", "c"), "PCA", dir.resolve("pca.png"));
        BufferedImage pca = ImageIO.read(dir.resolve("pca.png").toFile());
        assertEquals(760, pca.getHeight());
        // some pixel carries the first class colour (blended over white by the marker alpha)
        boolean blue = false;
        for (int yy = 0; yy < pca.getHeight() && !blue; yy++) {
            for (int xx = 0; xx < pca.getWidth(); xx++) {
                int rgb = pca.getRGB(xx, yy);
                int r = (rgb >> 16) & 0xff;
                int g = (rgb >> 8) & 0xff;
                int bl = rgb & 0xff;
                if (bl > 150 && r < 130 && g > 110 && g < 170) {
                    blue = true;
                    break;
                }
            }
        }
        assertTrue(blue, "no point drawn in the first class colour");
        assertNoTemporaryFiles(dir);
    }
}
