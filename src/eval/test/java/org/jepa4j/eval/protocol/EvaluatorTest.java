package org.jepa4j.eval.protocol;

import org.jepa4j.data.ImageDataset;
import org.jepa4j.data.ImageSources;
import org.jepa4j.data.Split;
import org.jepa4j.eval.EvaluationReport;
import org.jepa4j.infer.FeatureExtractor;
import org.jepa4j.infer.FeatureKind;
import org.jepa4j.metrics.BruteForceKnn;
import org.jepa4j.metrics.LinearProbe;
import org.jepa4j.testkit.ExportedEncoders;
import org.jepa4j.testkit.TinyEncoders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The protocol called as a library, against features extracted and scored here independently. */
class EvaluatorTest {
    private static final String DATA = "synthetic:count=48,size=16,channels=1,classes=3,seed=2,test_count=24";
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    @TempDir
    Path dir;

    /** Pooled features of every image of a split, one {@code embed} call per image. */
    private static float[][] embedAll(Path model, ImageDataset ds) throws Exception {
        float[][] x = new float[ds.size()][];
        try (FeatureExtractor fx = FeatureExtractor.open(model)) {
            for (int i = 0; i < x.length; i++) {
                x[i] = fx.embed(ds.image(i));
            }
        }
        return x;
    }

    private static int[] labels(ImageDataset ds) {
        int[] y = new int[ds.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = ds.label(i);
        }
        return y;
    }

    @Test
    void aLibraryRequestScoresTheEncodersOwnFeaturesAndWritesTheReport() throws Exception {
        Path model = ExportedEncoders.export(dir, TinyEncoders.GREY_ONE_LAYER, 5).model();
        Path out = dir.resolve("eval");
        EvaluationRequest request = EvaluationRequest.builder(model, DATA, out)
                .baseline(BaselineEncoder.file(model)) // the encoder as its own baseline: equal scores
                .probe(LinearProbe.Options.defaults().withEpochs(2))
                .build();
        EvaluationResult result = Evaluator.run(request, QUIET);

        ImageDataset train = ImageSources.open(DATA, Split.TRAIN);
        ImageDataset test = ImageSources.open(DATA, Split.TEST);
        float[][] xTrain = embedAll(model, train);
        float[][] xTest = embedAll(model, test);
        EvaluationReport.FeatureResult pre = result.result(FeatureKind.POOLED, EvaluationReport.PRETRAINED);
        assertEquals(BruteForceKnn.top1(xTrain, labels(train), xTest, labels(test), 20, 0.07), pre.knn().top1(), 1e-12);
        assertEquals(TinyEncoders.GREY_ONE_LAYER.width(), pre.probe().dim());
        EvaluationReport.FeatureResult base = result.result(FeatureKind.POOLED, EvaluationReport.RANDOM_INIT);
        assertEquals(pre.knn().top1(), base.knn().top1());
        assertEquals(pre.probe().testTop1(), base.probe().testTop1());
        // raw pixels: the evaluation transform's 1x16x16 values
        assertEquals(256, result.result(FeatureKind.POOLED, EvaluationReport.RAW_PIXELS).probe().dim());
        assertEquals(train.size(), result.data().trainSize());
        assertEquals(test.size(), result.data().testSize());

        EvaluationReport written = EvaluationReport.readJson(out.resolve("report.json"));
        assertEquals(pre.knn().top1(), written.results().get(0).knn().top1());
        assertEquals(List.of(EvaluationReport.PRETRAINED, EvaluationReport.RANDOM_INIT, EvaluationReport.RAW_PIXELS),
                written.results().stream().map(EvaluationReport.FeatureResult::name).toList());
        assertTrue(Files.exists(out.resolve("report.md")) && Files.exists(out.resolve("accuracy.png"))
                && Files.exists(out.resolve("pca.png")));
        assertFalse(written.provenance().containsKey("command"), "no command line was given");
    }

    @Test
    void validationScoresTheLastTrainingImagesAndFitsOnTheOnesBefore() {
        LabelledSplit.Pair p = LabelledSplit.open(DATA, 0, 0, 10);
        ImageDataset train = ImageSources.open(DATA, Split.TRAIN);
        assertEquals(train.size() - 10, p.train().size());
        assertEquals(10, p.test().size());
        for (int i = 0; i < 10; i++) {
            assertEquals(train.label(train.size() - 10 + i), p.test().labels()[i]);
        }
        var e = assertThrows(IllegalArgumentException.class, () -> LabelledSplit.open(DATA, 0, 0, train.size()));
        assertTrue(e.getMessage().contains("--validation " + train.size()), e.getMessage());
    }

    @Test
    void badRequestsAreRefusedNamingTheSetting() {
        Path m = dir.resolve("m.onnx");
        var twice = assertThrows(IllegalArgumentException.class, () -> EvaluationRequest.builder(m, DATA, dir)
                .features(List.of(FeatureKind.POOLED, FeatureKind.POOLED)).build());
        assertEquals("--features pooled,pooled: pooled is given twice", twice.getMessage());
        var negative = assertThrows(IllegalArgumentException.class, () -> EvaluationRequest.builder(m, DATA, dir)
                .limitTrain(-1).build());
        assertEquals("--limit-train -1: expected 0 or a positive number of images", negative.getMessage());
        var validation = assertThrows(IllegalArgumentException.class, () -> EvaluationRequest.builder(m, DATA, dir)
                .validation(-5).build());
        assertEquals("--validation -5: expected 0 or a positive number of images", validation.getMessage());
        var batch = assertThrows(IllegalArgumentException.class, () -> EvaluationRequest.builder(m, DATA, dir)
                .batchSize(0).build());
        assertEquals("--batch-size 0: expected a positive number of images per batch", batch.getMessage());
        var notARun = assertThrows(IllegalArgumentException.class, () -> EvaluationRequest.builder(m, DATA, dir)
                .run(dir.resolve("missing")).build());
        assertTrue(notARun.getMessage().contains("not a folder"), notARun.getMessage());
    }
}
