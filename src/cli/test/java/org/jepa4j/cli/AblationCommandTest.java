package org.jepa4j.cli;

import org.jepa4j.config.RunConfig;
import org.jepa4j.config.RunConfigLoader;
import org.jepa4j.eval.AblationTable;
import org.jepa4j.mask.MaskBatch;
import org.jepa4j.mask.MaskSamplers;
import org.jepa4j.eval.EvaluationReport;
import org.jepa4j.testkit.TinyRun;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AblationCommandTest {
    /**
     * The tiny run on 64 images in 3 classes, batch 16 (4 steps per epoch), 2x2 patches (an 8x8
     * grid), and the preset's 4 targets of at least 2 patches.
     */
    private static final List<String> TINY = TinyRun.standard()
            .with("data.source", TinyRun.synthetic(64, 1, 3, 2, 30)).with("data.batch_size", 16)
            .with("mask.patch_size", 2).with("mask.min_keep", 2).with("mask.num_pred_masks", 4).setArgs();

    @TempDir
    Path dir;

    private int run(StringWriter err, String... args) {
        var cl = Jepa4j.commandLine();
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    private String[] ablation(Path out, String only, String... more) {
        List<String> a = new ArrayList<>(List.of("ablation", "--epochs", "1", "--only", only, "--features", "pooled,pooled_last4",
                "--probe-epochs", "2", "--out", out.toString()));
        a.addAll(TINY);
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    @Tag("slow") // trains and evaluates three variants
    void trainsExportsAndEvaluatesEachVariantOnceAndTabulatesTheirReports() throws Exception {
        Path out = dir.resolve("abl");
        StringWriter err = new StringWriter();
        assertEquals(0, run(err, ablation(out, "multiblock,pixels,targets4")), err.toString());

        AblationTable table = AblationTable.readJson(out.resolve("ablation.json"));
        assertEquals(List.of("multiblock", "pixels", "targets4"),
                table.variants().stream().map(AblationTable.Variant::name).toList());
        // the preset predicts 4 targets: targets4 is multiblock's config, trained and evaluated once
        assertTrue(!Files.exists(out.resolve("runs/targets4-seed0")) && !Files.exists(out.resolve("eval/targets4-seed0")));
        assertEquals(table.variants().get(0).seeds(), table.variants().get(2).seeds());
        for (AblationTable.Variant v : table.variants().subList(0, 2)) {
            assertEquals(1, v.seeds().size());
            long seed = v.seeds().get(0).seed();
            // the table holds exactly what the variant's evaluation measured
            EvaluationReport r = EvaluationReport.readJson(out.resolve("eval").resolve(v.name() + "-seed" + seed)
                    .resolve("report.json"));
            assertEquals(r.results().get(0).probe().testTop1(), v.seeds().get(0).features().get("pooled").probe(), 0.0);
            assertEquals(r.results().get(0).knn().top1(), v.seeds().get(0).features().get("pooled").knn(), 0.0);
            EvaluationReport last4 = EvaluationReport.readJson(out.resolve("eval").resolve(v.name() + "-seed" + seed)
                    .resolve("pooled_last4").resolve("report.json"));
            assertEquals("pooled_last4", last4.featureKind());
            assertEquals(last4.results().get(0).probe().testTop1(),
                    v.seeds().get(0).features().get("pooled_last4").probe(), 0.0);
            assertTrue(Files.isRegularFile(out.resolve("runs").resolve(v.name() + "-seed" + seed).resolve("encoder.onnx")));
        }
        String config = Files.readString(out.resolve("runs/pixels-seed0/config.yaml"));
        assertTrue(config.contains("target: pixels"), config);
        assertEquals(List.of("random-init encoder", "raw pixels"), List.copyOf(table.baselines().keySet()));
        assertTrue(Files.size(out.resolve("ablation.png")) > 1000);
        String md = Files.readString(out.resolve("ablation.md"));
        assertTrue(md.contains("| multiblock | 1 |") && md.contains("| pixels | 1 |") && md.contains("Table 7"), md);
        // the recorded command runs again as written, and the budget reads as English
        assertTrue(md.contains("command: tools/jepa4j ablation --epochs 1 --only multiblock,pixels,targets4"), md);
        assertTrue(md.contains("budget: 1 epoch of 16 images per step"), md);

        // a rerun reuses every finished run and evaluation: nothing is trained or evaluated again
        long before = Files.getLastModifiedTime(out.resolve("eval/multiblock-seed0/report.json")).toMillis();
        StringWriter again = new StringWriter();
        assertEquals(0, run(again, ablation(out, "multiblock,pixels,targets4")), again.toString());
        assertEquals(before, Files.getLastModifiedTime(out.resolve("eval/multiblock-seed0/report.json")).toMillis());
        assertEquals(table.variants(), AblationTable.readJson(out.resolve("ablation.json")).variants());

        // other settings in the same folder would mix budgets: refused, naming the folder
        StringWriter other = new StringWriter();
        assertEquals(2, run(other, ablation(out, "multiblock", "--limit-test", "20")));
        assertTrue(other.toString().contains("holds an ablation with other settings"), other.toString());
    }

    @Test
    void everyVariantGivesUsableMasksOnTheFashionMnistGrid() {
        for (AblationCommand.Variant v : AblationCommand.VARIANTS) {
            RunConfig c = RunConfigLoader.resolve("fashion_mnist", v.overrides());
            int g = c.modelSpec().encoder().gridSize();
            var sampler = MaskSamplers.create(c.mask(), g, g, 0);
            for (long step = 0; step < 30; step++) {
                MaskBatch m = sampler.sampleAt(step, c.data().batchSize());
                assertTrue(m.context()[0][0].length > 0 && m.targets()[0][0].length > 0, v.name() + " step " + step);
                // the reference's multi-block relaxation may let a context keep target patches
                for (int b = 0; b < c.data().batchSize() && !c.mask().strategy().equals("multiblock"); b++) {
                    java.util.Set<Integer> context = new java.util.HashSet<>();
                    for (int[][] ctx : m.context()) {
                        for (int i : ctx[b]) {
                            context.add(i);
                        }
                    }
                    for (int[][] t : m.targets()) {
                        for (int i : t[b]) {
                            assertTrue(!context.contains(i), v.name() + ": target patch " + i + " is in the context");
                        }
                    }
                }
            }
            if (v.name().startsWith("targets")) {
                assertEquals(Integer.parseInt(v.name().substring("targets".length())),
                        sampler.sampleAt(0, 4).targets().length, v.name());
            }
        }
    }

    @Test
    void validationScoresHeldOutTrainingImagesThatPretrainingNeverReads() throws Exception {
        // pretraining on all 64 training images would see the 30 held out: refused before anything is written
        StringWriter err = new StringWriter();
        assertEquals(2, run(err, ablation(dir.resolve("v0"), "multiblock", "--validation", "30")));
        assertTrue(err.toString().contains("data.limit=34"), err.toString());
        assertTrue(!Files.exists(dir.resolve("v0")), "nothing may be written for a refused validation");

        Path out = dir.resolve("v");
        StringWriter ok = new StringWriter();
        assertEquals(0, run(ok, ablation(out, "multiblock", "--validation", "30", "--set", "data.limit=34")), ok.toString());
        EvaluationReport r = EvaluationReport.readJson(out.resolve("eval/multiblock-seed0/report.json"));
        assertEquals(34, r.data().trainSize());
        assertEquals(30, r.data().testSize());
        EvaluationReport base = EvaluationReport.readJson(out.resolve("baseline/eval/report.json"));
        assertEquals(30, base.data().testSize());
        assertTrue(Files.readString(out.resolve("ablation.md")).contains("scored on the last 30 training images"));
        assertTrue(Files.readString(out.resolve("settings.txt")).contains("validation=30"));
    }

    @Test
    void whatATrainingOrEvaluationWouldRefuseIsRefusedBeforeAnyFileOrRun() {
        record Case(String what, String expected, String... more) {
        }
        List<Case> cases = List.of(
                new Case("validation beyond the data", "--validation 64 is beyond the 64 training images",
                        "--validation", "64"),
                new Case("validation far beyond", "--validation 100000 is beyond", "--validation", "100000"),
                new Case("bad evaluation data", "--data: data source 'bogus:x': unknown kind", "--data", "bogus:x"),
                new Case("bad evaluation data keys", "--data: data source 'synthetic:count=x'", "--data", "synthetic:count=x"),
                new Case("bad training data", "data.source: data source 'idx:a,b,c'", "--set", "data.source=idx:a,b,c"),
                new Case("bad held-out data", "data.eval_source: data source 'nope:1'", "--set", "data.eval_source=nope:1"));
        int i = 0;
        for (Case c : cases) {
            Path out = dir.resolve("refused-" + i++);
            StringWriter err = new StringWriter();
            assertEquals(2, run(err, ablation(out, "multiblock", c.more())), c.what() + ": " + err);
            assertTrue(err.toString().contains(c.expected()), c.what() + ": " + err);
            assertEquals(1, err.toString().lines().filter(l -> l.startsWith("error")).count(), c.what() + ": " + err);
            assertTrue(!Files.exists(out), c.what() + ": nothing may be written");
        }
    }

    @Test
    void anUnknownVariantIsAUsageErrorNamingTheKnownOnes() {
        StringWriter err = new StringWriter();
        assertEquals(2, run(err, ablation(dir.resolve("x"), "multiblock,spiral")));
        assertTrue(err.toString().contains("unknown variant 'spiral'") && err.toString().contains("rasterized"),
                err.toString());
        assertTrue(!Files.exists(dir.resolve("x")), "nothing may be written for a usage error");
    }
}
