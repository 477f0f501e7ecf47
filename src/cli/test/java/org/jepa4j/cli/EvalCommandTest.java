package org.jepa4j.cli;

import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.config.RunConfig;
import org.jepa4j.config.RunConfigLoader;
import org.jepa4j.config.RunConfigWriter;
import org.jepa4j.data.EvalTransform;
import org.jepa4j.data.Image;
import org.jepa4j.data.ImageDataset;
import org.jepa4j.data.ImageSources;
import org.jepa4j.data.Split;
import org.jepa4j.eval.Evaluation;
import org.jepa4j.eval.EvaluationReport;
import org.jepa4j.eval.InnerProductSearch;
import org.jepa4j.metrics.Knn;
import org.jepa4j.metrics.LinearProbe;
import org.jepa4j.export.OnnxExporter;
import org.jepa4j.infer.ExtractorOptions;
import org.jepa4j.infer.FeatureExtractor;
import org.jepa4j.infer.FeatureKind;
import org.jepa4j.infer.internal.GridPooling;
import org.jepa4j.metadata.OnnxMetadata;
import org.jepa4j.model.Initializer;
import org.jepa4j.tensor.NamedTensors;
import org.jepa4j.testkit.TinyRun;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EvalCommandTest {
    private static final String DATA = "synthetic:count=96,size=16,channels=1,classes=3,test_count=40";

    /** Features computed independently of the command, with their labels. */
    private record Labelled(float[][] x, int[] y) {
        static Labelled of(ImageDataset images, java.util.function.Function<Image, float[]> feature) {
            float[][] x = new float[images.size()][];
            int[] y = new int[images.size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = feature.apply(images.image(i));
                y[i] = images.label(i);
            }
            return new Labelled(x, y);
        }
    }

    @TempDir
    Path dir;

    /** The tiny run with 2x2 patches (an 8x8 grid), two blocks and seed 3. */
    private static final TinyRun TINY = TinyRun.standard().with("mask.patch_size", 2).with("meta.depth", 2)
            .with("meta.seed", 3);

    /** A run folder whose "trained" weights are an initialisation with another seed than the config's. */
    private Path tinyRun() throws Exception {
        return tinyRun("run", TINY);
    }

    /** {@link #tinyRun()} of {@code tiny} in folder {@code name}. */
    private Path tinyRun(String name, TinyRun tiny) throws Exception {
        RunConfig config = tiny.config();
        Path run = dir.resolve(name);
        Path ckptDir = run.resolve(Checkpoint.FOLDER);
        Files.createDirectories(ckptDir);
        NamedTensors trained = Initializer.initialize(config.modelSpec(), 99);
        new Checkpoint(trained, Map.of(Checkpoint.MODEL, Checkpoint.modelSpecJson(config.modelSpec()),
                Checkpoint.CONFIG, RunConfigWriter.toYaml(config))).write(ckptDir.resolve(Checkpoint.LATEST));
        Files.writeString(run.resolve("jepa_r0.csv"), "epoch,itr,loss,mask-A,mask-B,time,step,lr,wd,momentum,images_per_s,knn_top1\n"
                + "1,0,0.9,40,10,5,0,0.001,0.04,0.996,100,0.4\n1,1,0.7,40,10,5,1,0.001,0.04,0.996,100,\n");
        return run;
    }

    /** {@code run}'s encoder exported to {@code encoder.onnx} with the default options. */
    private Path export(Path run) throws Exception {
        Path model = dir.resolve("encoder.onnx");
        OnnxExporter.export(run, model, OnnxExporter.Options.defaults());
        return model;
    }

    /**
     * Runs {@code eval --model model --data DATA --epochs 2 <more> --out out}, asserts it succeeds
     * and returns its report.
     */
    private static EvaluationReport eval(Path model, Path out, String... more) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("eval", "--model", model.toString(), "--data", DATA,
                "--epochs", "2"));
        args.addAll(List.of(more));
        args.addAll(List.of("--out", out.toString()));
        StringWriter err = new StringWriter();
        var cl = Jepa4j.commandLine();
        cl.setErr(new PrintWriter(err, true));
        assertEquals(0, cl.execute(args.toArray(String[]::new)), err.toString());
        return EvaluationReport.readJson(out.resolve("report.json"));
    }

    @Test
    void writesReportChartsAndRandomInitBaselineFromTheRun() throws Exception {
        Path run = tinyRun();
        Path out = dir.resolve("eval");
        EvaluationReport report = eval(export(run), out, "--run", run.toString());
        assertEquals(List.of(EvaluationReport.PRETRAINED, EvaluationReport.RANDOM_INIT, EvaluationReport.RAW_PIXELS),
                report.results().stream().map(EvaluationReport.FeatureResult::name).toList());
        assertEquals(96, report.data().trainSize());
        assertEquals(40, report.data().testSize());
        assertEquals(32, report.results().get(0).dim());
        assertEquals(16 * 16, report.results().get(2).dim());
        for (String f : List.of("report.md", "accuracy.png", "pca.png", "training.png", "random_init.onnx")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        // the baseline holds the weights training started from: the config's seed, not the trained ones
        Checkpoint init = Checkpoint.read(out.resolve("random_init.safetensors"));
        String name = "target_encoder.blocks.0.attn.qkv.weight";
        assertArrayEquals(Initializer.initialize(init.modelSpec(), 3).get(name).data(), init.tensors().get(name).data());
        assertFalse(java.util.Arrays.equals(Checkpoint.read(run).tensors().get(name).data(),
                init.tensors().get(name).data()));
        try (FeatureExtractor baseline = FeatureExtractor.open(out.resolve("random_init.onnx"))) {
            assertEquals("fp32", baseline.info().precision(), "a float32 model gets a float32 baseline");
        }
    }

    @Test
    void anInt8ModelIsComparedWithAnInt8RandomInitBaseline() throws Exception {
        Path run = tinyRun();
        Path model = dir.resolve("int8.onnx");
        OnnxExporter.export(run, model, OnnxExporter.Options.defaults().withPrecision("int8").withInt8Scale("image"));
        Path out = dir.resolve("eval-int8");
        EvaluationReport report = eval(model, out, "--run", run.toString(), "--no-pixel-baseline");
        assertEquals(List.of(EvaluationReport.PRETRAINED, EvaluationReport.RANDOM_INIT),
                report.results().stream().map(EvaluationReport.FeatureResult::name).toList());
        try (FeatureExtractor baseline = FeatureExtractor.open(out.resolve("random_init.onnx"))) {
            assertEquals("int8", baseline.info().precision(), "exported like the evaluated model");
            assertEquals("image", baseline.info().metadata().get(OnnxMetadata.INT8_ACTIVATION_SCALE));
        }
    }

    @Test
    void rawPixelBaselineScoresTheEvaluationTransformedPixels() throws Exception {
        Path run = tinyRun();
        EvaluationReport report = eval(export(run), dir.resolve("eval"), "--limit-train", "80", "--seed", "4");
        assertEquals(2, report.results().size());
        EvaluationReport.FeatureResult pixels = report.results().get(1);

        // independent computation: eval transform of the checkpoint's config, probe and kNN on the same splits
        EvalTransform t = new EvalTransform(OnnxExporter.preprocessingOf(Checkpoint.read(run), run));
        Labelled train = Labelled.of(ImageSources.open(DATA, Split.TRAIN).limit(80), t::apply);
        Labelled test = Labelled.of(ImageSources.open(DATA, Split.TEST), t::apply);
        assertScoredOn(pixels, train, test);
    }

    /** The result's probe (2 epochs, seed 4) and kNN equal an independent fit on {@code train} scored on {@code test}. */
    private static void assertScoredOn(EvaluationReport.FeatureResult result, Labelled train, Labelled test) {
        LinearProbe.Result probe = LinearProbe.run(train.x(), train.y(), test.x(), test.y(),
                Evaluation.Settings.defaults().probe().withEpochs(2).withSeed(4));
        assertEquals(probe.testTop1(), result.probe().testTop1());
        assertEquals(probe.grid(), result.probe().grid());
        assertEquals(Knn.evaluate(train.x(), train.y(), test.x(), test.y(), 20, 0.07, InnerProductSearch.FACTORY), result.knn().top1());
    }

    @Test
    void randomInitBaselineUsesTheRunsInitialisationScheme() throws Exception {
        Path run = tinyRun("xavier-run", TINY.with("meta.seed", 5).with("meta.patch_embed_init", "xavier_uniform")
                .with("meta.pos_embed_scale", 0.5));
        RunConfig config = RunConfigLoader.parse(Checkpoint.read(run).meta(Checkpoint.CONFIG), "run", List.of());
        Path out = Files.createDirectories(dir.resolve("baseline"));
        org.jepa4j.eval.protocol.RandomInitBaseline.create(run, out, new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        NamedTensors expected = Initializer.initialize(config.modelSpec(), 5, config.meta().init());
        Checkpoint init = Checkpoint.read(out.resolve("random_init.safetensors"));
        for (String name : List.of("target_encoder.patch_embed.proj.weight", "target_encoder.pos_embed",
                "target_encoder.blocks.1.mlp.fc1.weight")) {
            assertArrayEquals(expected.get(name).data(), init.tensors().get(name).data(), name);
        }
    }

    @Test
    void validationScoresTheLastTrainingImagesAndNeverReadsTheTestSplit() throws Exception {
        Path run = tinyRun();
        Path model = export(run);
        EvaluationReport report = eval(model, dir.resolve("eval"), "--validation", "30", "--seed", "4");
        assertEquals(66, report.data().trainSize());
        assertEquals(30, report.data().testSize());
        assertTrue(report.data().spec().contains("validation"), report.data().spec());

        // independent computation on the first 66 and the last 30 of the 96 training images
        EvalTransform t = new EvalTransform(OnnxExporter.preprocessingOf(Checkpoint.read(run), run));
        ImageDataset all = ImageSources.open(DATA, Split.TRAIN);
        Labelled train = Labelled.of(all.limit(66), t::apply);
        Labelled held = Labelled.of(new ValidationTail(all, 30), t::apply);
        EvaluationReport.FeatureResult pixels = report.results().stream()
                .filter(r -> r.name().equals(EvaluationReport.RAW_PIXELS)).findFirst().orElseThrow();
        assertScoredOn(pixels, train, held);

        CommandRun tooMany = CommandRun.of("eval", "--model", model.toString(), "--data", DATA,
                "--validation", "96", "--out", dir.resolve("eval2").toString());
        assertEquals(2, tooMany.code());
        assertTrue(tooMany.err().contains("--validation 96") && tooMany.err().contains("has 96 images"), tooMany.err());
    }

    /** The last {@code n} images of a dataset, written here without {@link ImageDataset#range}. */
    private record ValidationTail(ImageDataset all, int n) implements ImageDataset {
        @Override
        public int size() {
            return n;
        }

        @Override
        public Image image(int index) {
            return all.image(all.size() - n + index);
        }

        @Override
        public int label(int index) {
            return all.label(all.size() - n + index);
        }

        @Override
        public List<String> classNames() {
            return all.classNames();
        }

        @Override
        public String description() {
            return "tail";
        }
    }

    /**
     * Exports the tiny run and evaluates {@code feature} with the same model as its own baseline
     * and no pixel baseline; returns the report folder.
     */
    private Path evalWithItselfAsBaseline(String feature) throws Exception {
        Path model = export(tinyRun());
        Path out = dir.resolve("eval");
        eval(model, out, "--baseline-model", model.toString(), "--no-pixel-baseline", "--features", feature);
        return out;
    }

    @Test
    void baselineModelGivenOnTheCommandLineIsScoredLikeThePretrainedOne() throws Exception {
        Path out = evalWithItselfAsBaseline("pooled_last4");
        EvaluationReport report = EvaluationReport.readJson(out.resolve("report.json"));
        assertEquals(2, report.results().size());
        EvaluationReport.FeatureResult pre = report.results().get(0);
        EvaluationReport.FeatureResult base = report.results().get(1);
        assertEquals(EvaluationReport.RANDOM_INIT, base.name());
        // depth 2 < 4: pooled_last4 concatenates every block, 2 x 32 values
        assertEquals(64, pre.dim());
        assertEquals(pre.probe().grid(), base.probe().grid());
        assertEquals(pre.probe().testTop1(), base.probe().testTop1());
        assertEquals(pre.knn().top1(), base.knn().top1());
        assertFalse(Files.exists(out.resolve("random_init.onnx")));
    }

    @Test
    void pooledGridFeaturesArePooledFromTheTokensOfTheSameModel() throws Exception {
        Path out = evalWithItselfAsBaseline("pooled_grid");
        EvaluationReport.FeatureResult pre = pretrainedResult(out);
        // 16 px, patch 2: an 8x8 token grid pooled into 3x3 regions of 32 channels
        assertEquals(9 * 32, pre.dim());
        assertKnnOfTokenFeatures(tokens -> GridPooling.pool(tokens, 32), pre);
    }

    /** The pretrained model's result in the report under {@code out}. */
    private static EvaluationReport.FeatureResult pretrainedResult(Path out) throws Exception {
        return EvaluationReport.readJson(out.resolve("report.json")).results().get(0);
    }

    /**
     * The report's kNN equals an independent {@link Knn} run on features computed here from the
     * {@code last_hidden_state} of the model {@link #evalWithItselfAsBaseline} exported, by {@code fromTokens}.
     */
    private void assertKnnOfTokenFeatures(java.util.function.UnaryOperator<float[]> fromTokens,
                                          EvaluationReport.FeatureResult reported) throws Exception {
        try (FeatureExtractor fx = FeatureExtractor.open(dir.resolve("encoder.onnx"),
                ExtractorOptions.defaults().withFeature(FeatureKind.LAST_HIDDEN_STATE))) {
            Labelled train = Labelled.of(ImageSources.open(DATA, Split.TRAIN), im -> fromTokens.apply(fx.embed(im)));
            Labelled test = Labelled.of(ImageSources.open(DATA, Split.TEST), im -> fromTokens.apply(fx.embed(im)));
            assertEquals(Knn.evaluate(train.x(), train.y(), test.x(), test.y(), 20, 0.07, InnerProductSearch.FACTORY), reported.knn().top1(),
                    1e-12);
        }
    }

    @Test
    @Tag("slow") // a probe on all tokens flattened: minutes
    void lastHiddenStateIsEvaluatedAsAllTokensFlattened() throws Exception {
        Path out = evalWithItselfAsBaseline("last_hidden_state");
        EvaluationReport.FeatureResult pre = pretrainedResult(out);
        // 16 px, patch 2: 64 tokens of 32 channels
        assertEquals(64 * 32, pre.dim());
        assertTrue(pre.rankMe() > 1 && pre.rankMe() <= 64 * 32, "RankMe " + pre.rankMe());
        assertTrue(Files.size(out.resolve("pca.png")) > 0);
        assertKnnOfTokenFeatures(tokens -> tokens, pre);
    }

    @Test
    void severalFeaturesFromOneExtractionPassGiveTheResultsOfSeparateEvaluations() throws Exception {
        Path model = export(tinyRun());
        // last_hidden_state takes the same path (its probe alone takes most of a minute here)
        List<String> kinds = List.of("pooled", "pooled_last4", "pooled_grid");
        Path together = dir.resolve("together");
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.err;
        int code;
        try {
            System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
            code = Jepa4j.commandLine().execute("eval", "--model", model.toString(), "--data", DATA, "--epochs", "2",
                    "--baseline-model", model.toString(), "--features", String.join(",", kinds), "--out", together.toString());
        } finally {
            System.setErr(old);
        }
        assertEquals(0, code, err.toString(java.nio.charset.StandardCharsets.UTF_8));
        String log = err.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(1, log.split("pretrained train features \\(3 kinds\\)", -1).length - 1,
                "one extraction pass of the training split: " + log);
        assertEquals(1, log.split("random-init test features \\(3 kinds\\)", -1).length - 1, log);
        for (String kind : kinds) {
            Path separate = dir.resolve("separate-" + kind);
            EvaluationReport alone = eval(model, separate, "--baseline-model", model.toString(), "--features", kind);
            Path folder = kind.equals(kinds.get(0)) ? together : together.resolve(kind);
            EvaluationReport joint = EvaluationReport.readJson(folder.resolve("report.json"));
            assertEquals(kind, joint.featureKind());
            assertEquals(3, joint.results().size(), "pretrained, random-init and pixels");
            for (int i = 0; i < 3; i++) {
                EvaluationReport.FeatureResult a = joint.results().get(i);
                EvaluationReport.FeatureResult b = alone.results().get(i);
                assertEquals(b.name(), a.name());
                assertEquals(b.dim(), a.dim(), kind);
                assertEquals(b.probe().testTop1(), a.probe().testTop1(), kind + " " + a.name() + " probe");
                assertEquals(b.probe().grid(), a.probe().grid(), kind + " " + a.name() + " probe grid");
                assertEquals(b.knn().top1(), a.knn().top1(), kind + " " + a.name() + " kNN");
                assertEquals(b.rankMe(), a.rankMe(), kind + " " + a.name() + " RankMe");
            }
            assertTrue(Files.size(folder.resolve("report.md")) > 0);
        }
    }

    @Test
    void trainingImagesTooFewForTheProbesValidationSplitAreRefusedBeforeAnyFeatureIsComputed() throws Exception {
        Path model = export(tinyRun());
        Path out = dir.resolve("too-few");
        StringWriter err = new StringWriter();
        var cl = Jepa4j.commandLine();
        cl.setErr(new PrintWriter(err, true));
        // three synthetic images of three classes: no class has the two rows a held-out split needs
        int code = cl.execute("eval", "--model", model.toString(), "--data", "synthetic:count=3,size=16", "--out",
                out.toString());
        assertEquals(2, code, err.toString());
        assertTrue(err.toString().contains("linear probe: 3 training rows are too few to hold out a validation split"),
                err.toString());
        assertFalse(Files.exists(out), "refused before the report folder is made and any image is encoded");
    }

    @Test
    void unknownFeatureKindIsAUsageError() throws Exception {
        StringWriter err = new StringWriter();
        var cl = Jepa4j.commandLine();
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("eval", "--model", dir.resolve("m.onnx").toString(), "--data", DATA, "--features",
                "cls", "--out", dir.toString());
        assertEquals(2, code);
        assertTrue(err.toString().contains("feature 'cls'"), err.toString());
    }
}
