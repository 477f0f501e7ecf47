package org.jepa4j.bench;

import org.jepa4j.config.RunConfig;
import org.jepa4j.config.RunConfigLoader;
import org.jepa4j.graph.MatmulPrecision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OfficialTrainStepTest {
    private static final RunConfig BENCH = RunConfigLoader.resolve("bench_w192d6", List.of());

    @TempDir
    Path dir;

    @Test
    void theOfficialCodeIsGivenTheRunConfigsModelMasksAndBatch() throws Exception {
        // graphs/fashion_mnist.yaml: 28 px grey images, patch 4, encoder 192/4/3, predictor 96/3, batch 128
        RunConfig fm = RunConfigLoader.resolve("fashion_mnist", List.of());
        String printed = dryRun(OfficialTrainStep.settingArguments(fm));
        assertTrue(printed.contains("VisionTransformer({'img_size': [28], 'patch_size': 4, 'in_chans': 1, 'embed_dim': 192,"
                + " 'depth': 4, 'num_heads': 3, 'mlp_ratio': 4.0})"), printed);
        assertTrue(printed.contains("VisionTransformerPredictor({'num_patches': 49, 'embed_dim': 192,"
                + " 'predictor_embed_dim': 96, 'depth': 3, 'num_heads': 3, 'mlp_ratio': 4.0})"), printed);
        assertTrue(printed.contains("MaskCollator({'input_size': 28, 'patch_size': 4, 'enc_mask_scale': (0.85, 1.0),"
                + " 'pred_mask_scale': (0.15, 0.2), 'aspect_ratio': (0.75, 1.5), 'nenc': 1, 'npred': 4, 'min_keep': 4,"
                + " 'allow_overlap': False}); batch 128"), printed);

        // an odd model: 3 channels, 6x6 grid of 6-px patches, widths whose MLP ratios are not round
        RunConfig odd = RunConfigLoader.resolve("fashion_mnist", List.of("data.channels=3", "data.mean=[0.5,0.5,0.5]",
                "data.std=[0.2,0.2,0.2]", "data.crop_size=36", "mask.patch_size=6", "mask.min_keep=2",
                "meta.embed_dim=36", "meta.num_heads=3", "meta.mlp_ratio=2.5", "meta.depth=2", "meta.pred_depth=1",
                "meta.pred_emb_dim=28", "meta.pred_num_heads=7", "mask.num_pred_masks=2", "mask.allow_overlap=true",
                "data.batch_size=8"));
        printed = dryRun(OfficialTrainStep.settingArguments(odd));
        assertTrue(printed.contains("VisionTransformer({'img_size': [36], 'patch_size': 6, 'in_chans': 3, 'embed_dim': 36,"
                + " 'depth': 2, 'num_heads': 3, 'mlp_ratio': 2.5})"), printed);
        assertTrue(printed.contains("'num_patches': 36, 'embed_dim': 36, 'predictor_embed_dim': 28, 'depth': 1,"
                + " 'num_heads': 7,"), printed);
        assertTrue(printed.contains("'npred': 2, 'min_keep': 2, 'allow_overlap': True}); batch 8"), printed);
    }

    @Test
    void eachMlpRatioGivesTheHiddenWidthUnderPythonsIntOfTheProduct() {
        // 7 * (61 / 7.0) is 60.99999999999999 in double arithmetic: the ratio must be nudged up
        assertEquals(60, (int) (7 * (61 / 7.0)));
        for (int width = 1; width <= 300; width++) {
            for (int hidden = 1; hidden <= 1300; hidden += 3) {
                double ratio = Double.parseDouble(OfficialTrainStep.mlpRatio(width, hidden));
                assertEquals(hidden, (int) (width * ratio), width + " x " + ratio);
            }
        }
    }

    @Test
    void aConfigTheOfficialCodeCannotTrainIsNamed() {
        String[][] cases = {
            {"meta.target=pixels", "--official: meta.target: pixels has no official step"},
            {"meta.loss=l2", "--official: meta.loss: l2 has no official step"},
            {"mask.strategy=random", "--official: mask.strategy: random has no official step"},
        };
        for (String[] c : cases) {
            RunConfig cfg = RunConfigLoader.resolve("bench_w192d6", List.of(c[0]));
            var e = assertThrows(IllegalArgumentException.class, () -> OfficialTrainStep.settingArguments(cfg), c[0]);
            assertTrue(e.getMessage().startsWith(c[1]), e.getMessage());
        }
    }

    @Test
    void maskOptionsTheOfficialCollatorLacksAreNamedNotRefused() {
        assertEquals(List.of(), OfficialTrainStep.departures(RunConfigLoader.resolve("bench_w192d6", List.of())),
                "the reference's masks depart in nothing");
        RunConfig both = RunConfigLoader.resolve("bench_w192d6", List.of("mask.cover_edges=true", "mask.truncation=random"));
        List<String> d = OfficialTrainStep.departures(both);
        assertEquals(2, d.size(), d.toString());
        assertTrue(d.get(0).startsWith("mask.cover_edges: true"), d.get(0));
        assertTrue(d.get(1).startsWith("mask.truncation: random"), d.get(1));
        // still timed: the official step is built from the same model, masks and batch
        assertEquals(OfficialTrainStep.settingArguments(RunConfigLoader.resolve("bench_w192d6", List.of())),
                OfficialTrainStep.settingArguments(both));
    }

    /** What {@code tools/lib/bench_official.py --dry-run} prints for the arguments (no torch needed). */
    private static String dryRun(List<String> setting) throws IOException, InterruptedException {
        Path script = projectRoot().resolve(OfficialTrainStep.SCRIPT);
        List<String> cmd = new ArrayList<>(List.of("python3", script.toString(), "--official", "unused", "--dry-run"));
        cmd.addAll(setting);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    private static Path projectRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve(OfficialTrainStep.SCRIPT))) {
                return p;
            }
        }
        throw new IllegalStateException(OfficialTrainStep.SCRIPT + " not found above " + Path.of("").toAbsolutePath());
    }

    @Test
    void readsTheScriptsTimingLineAndNothingElse() {
        OfficialTrainStep.Timing t = OfficialTrainStep.parse("  threads 2 bf16: 1234 ms/step, 51.9 images/s");
        assertEquals(new OfficialTrainStep.Timing(2, "bf16", 1234, 51.9), t);
        assertNull(OfficialTrainStep.parse("| 2 | bf16 | 1234 | 1200 | 51.9 | 0.1234 | 300.0 |"), "the table row");
        assertNull(OfficialTrainStep.parse("torch 1.13.0, oneDNN True, x86_64, CPU flags: avx2"));
    }

    @Test
    void eachJepa4jPrecisionFacesTheReferencesOwnAndTheSameCores() {
        assertEquals("fp32", OfficialTrainStep.precisionOf(MatmulPrecision.FP32));
        assertEquals("bf16", OfficialTrainStep.precisionOf(MatmulPrecision.BF16));
        assertEquals("bf16", OfficialTrainStep.precisionOf(MatmulPrecision.BF16_ATTENTION));
        assertEquals(2, OfficialTrainStep.threadsOf(new TrainBenchmark.Setting(1, 2, 2), 2), "two towers side by side");
        assertEquals(1, OfficialTrainStep.threadsOf(new TrainBenchmark.Setting(1, 2, 1), 2), "one tower: one op at a time");
        assertEquals(2, OfficialTrainStep.threadsOf(new TrainBenchmark.Setting(2, 1, 1), 2));
        assertEquals(16, OfficialTrainStep.threadsOf(new TrainBenchmark.Setting(0, 0, 1), 16), "TF default: every core");
        assertEquals(4, OfficialTrainStep.threadsOf(new TrainBenchmark.Setting(4, 4, 4), 4), "never more than the cores");
    }

    @Test
    void aFolderThatIsNoCheckoutOrAMissingScriptIsNamed() throws Exception {
        var notCheckout = assertThrows(IllegalArgumentException.class,
                () -> OfficialTrainStep.of(dir, "/usr/bin/python3", dir, BENCH));
        assertTrue(notCheckout.getMessage().contains(dir + ": not a facebookresearch/ijepa checkout"), notCheckout.getMessage());
        Files.createDirectories(dir.resolve("src/models"));
        Files.writeString(dir.resolve("src/models/vision_transformer.py"), "");
        var noScript = assertThrows(IllegalArgumentException.class,
                () -> OfficialTrainStep.of(dir, "/usr/bin/python3", dir.resolve("elsewhere"), BENCH));
        assertTrue(noScript.getMessage().contains(OfficialTrainStep.SCRIPT), noScript.getMessage());
    }

    @Test
    void aPythonThatCannotRunOrLacksTorchIsNamedBeforeAnyTiming() throws Exception {
        Files.createDirectories(dir.resolve("src/models"));
        Files.writeString(dir.resolve("src/models/vision_transformer.py"), "");
        Files.createDirectories(dir.resolve("tools/lib"));
        Files.writeString(dir.resolve(OfficialTrainStep.SCRIPT), "");
        Path missing = dir.resolve("no-python");
        var cannotRun = assertThrows(IllegalArgumentException.class,
                () -> OfficialTrainStep.of(dir, missing.toString(), dir, BENCH));
        assertTrue(cannotRun.getMessage().startsWith("--python " + missing + " cannot be run"), cannotRun.getMessage());
        Path noTorch = dir.resolve("python-without-torch");
        Files.writeString(noTorch, "#!/bin/sh\necho \"ModuleNotFoundError: No module named 'torch'\" >&2\nexit 1\n");
        assertTrue(noTorch.toFile().setExecutable(true));
        var lacksTorch = assertThrows(IllegalArgumentException.class,
                () -> OfficialTrainStep.of(dir, noTorch.toString(), dir, BENCH));
        assertTrue(lacksTorch.getMessage().contains("cannot import torch (ModuleNotFoundError: No module named 'torch')"),
                lacksTorch.getMessage());
        Path withTorch = dir.resolve("python-with-torch");
        Files.writeString(withTorch, "#!/bin/sh\ntest \"$2\" = 'import torch'\n");
        assertTrue(withTorch.toFile().setExecutable(true));
        OfficialTrainStep.of(dir, withTorch.toString(), dir, BENCH);
    }
}
