package org.jepa4j.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.yaml.snakeyaml.Yaml;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunConfigLoaderTest {

    static final Path OFFICIAL = Path.of("graphs", "official");

    /** The table of docs/reference.md §7: file, model, patch, crop, batch, pred depth, epochs, warmup. */
    @ParameterizedTest
    @CsvSource({
            "in1k_vith14_ep300,     vit_huge,  14, 224, 128, 12, 300, 40",
            "in1k_vith16-448_ep300, vit_huge,  16, 448, 16,  12, 300, 40",
            "in22k_vith14_ep66,     vit_huge,  14, 224, 32,  12, 66,  3",
            "in22k_vitg16_ep44,     vit_giant, 16, 224, 16,  16, 44,  3",
    })
    void officialConfigsParseUnchangedWithTheReferenceValues(String name, String model, int patch, int crop, int batch,
                                                             int predDepth, int epochs, int warmup) {
        RunConfig c = RunConfigLoader.load(OFFICIAL.resolve(name + ".yaml"));
        assertEquals(model, c.meta().modelName());
        assertEquals(patch, c.mask().patchSize());
        assertEquals(crop, c.data().cropSize());
        assertEquals(batch, c.data().batchSize());
        assertEquals(predDepth, c.meta().predDepth());
        assertEquals(384, c.meta().predEmbDim());
        assertEquals(epochs, c.optimization().epochs());
        assertEquals(warmup, c.optimization().warmup());
        // settings shared by all four (§1.1, §7.1)
        assertEquals(Range.of(0.15, 0.2), c.mask().predMaskScale());
        assertEquals(Range.of(0.85, 1.0), c.mask().encMaskScale());
        assertEquals(Range.of(0.75, 1.5), c.mask().aspectRatio());
        assertEquals(10, c.mask().minKeep());
        assertEquals(4, c.mask().numPredMasks());
        assertEquals(1, c.mask().numEncMasks());
        assertEquals(Range.of(0.3, 1.0), c.data().cropScale());
        assertEquals(Range.of(0.996, 1.0), c.optimization().ema());
        assertEquals(1.0e-6, c.optimization().finalLr());
        assertEquals(0.001, c.optimization().lr());
        assertEquals(0.0002, c.optimization().startLr());
        assertEquals(0.04, c.optimization().weightDecay());
        assertEquals(0.4, c.optimization().finalWeightDecay());
        assertEquals(null, c.meta().readCheckpoint());
        assertTrue(c.data().rootPath().startsWith("$replace_this_with_"));
        assertTrue(c.logging().folder().startsWith("$replace_this_with_"));
        assertEquals(crop / patch, c.gridSize());
        assertEquals(List.of("data.pin_mem"), c.ignoredKeys());
    }

    @Test
    void officialFilesHoldExactlyTheReferenceKeySet() throws Exception {
        try (var files = Files.list(OFFICIAL)) {
            List<Path> all = files.sorted().toList();
            assertEquals(4, all.size());
            for (Path f : all) {
                Map<String, Map<String, Object>> raw = new Yaml().load(Files.readString(f));
                assertEquals(ConfigKeys.SECTIONS, List.copyOf(raw.keySet()), f.toString());
                for (String s : ConfigKeys.SECTIONS) {
                    assertEquals(ConfigKeys.OFFICIAL.get(s), List.copyOf(raw.get(s).keySet()), f + " " + s);
                }
                assertTrue(Files.readString(f).contains("  - 0.3\n  - 1.0\n"), "block-style lists in " + f);
            }
        }
    }

    @Test
    void defaultsEqualTheOfficialVitH14Config() {
        RunConfig official = RunConfigLoader.load(OFFICIAL.resolve("in1k_vith14_ep300.yaml"));
        RunConfig defaults = RunConfig.defaults();
        assertEquals(defaults.data(), official.data());
        assertEquals(defaults.mask(), official.mask());
        assertEquals(defaults.meta(), official.meta());
        assertEquals(defaults.optimization(), official.optimization());
    }

    @Test
    void pixelTargetKeysAreReadAndWrittenBack() {
        RunConfig c = RunConfigLoader.parse("meta:\n  target: pixels\n  pixel_norm: false\n", "pixels.yaml", List.of());
        assertEquals("pixels", c.meta().target());
        assertEquals(false, c.meta().pixelNorm());
        assertEquals(c, RunConfigLoader.parse(RunConfigWriter.toYaml(c), "written.yaml", List.of()));
        assertEquals("features", RunConfig.defaults().meta().target());
        assertEquals(true, RunConfig.defaults().meta().pixelNorm());
    }

    @Test
    void initialisationKeysAreReadAndWrittenBack() {
        RunConfig c = RunConfigLoader.parse("meta:\n  patch_embed_init: xavier_uniform\n  pos_embed_scale: 0.1\n"
                + "  pred_pos_embed_scale: 0.5\n", "init.yaml", List.of());
        assertEquals(new org.jepa4j.model.InitScheme("xavier_uniform", 0.1, 0.5), c.meta().init());
        assertEquals(c, RunConfigLoader.parse(RunConfigWriter.toYaml(c), "written.yaml", List.of()));
        assertEquals(org.jepa4j.model.InitScheme.reference(), RunConfig.defaults().meta().init());
    }

    @Test
    void missingKeysTakeTheRecordDefaults() {
        RunConfig c = RunConfigLoader.parse("meta:\n  seed: 7\n", "mini.yaml", List.of());
        assertEquals(7L, c.meta().seed());
        RunConfig d = RunConfig.defaults();
        assertEquals(new RunConfig(d.data(), d.mask(), MetaConfig.builder().seed(7L).build(), d.optimization(), d.logging(),
                List.of("data.pin_mem")), c);
        assertEquals(RunConfig.defaults().data(), RunConfigLoader.parse("meta: {}\n", "empty.yaml", List.of()).data());
    }

    @Test
    void anEmptyFileIsRefusedNotTakenAsAllDefaults() {
        for (String text : List.of("", "# only a comment\n", "\n\n")) {
            ConfigException e = assertThrows(ConfigException.class, () -> RunConfigLoader.parse(text, "empty.yaml",
                    List.of()));
            assertTrue(e.getMessage().contains("empty.yaml") && e.getMessage().contains("empty"), e.getMessage());
        }
    }

    @Test
    void valuesThatWouldFailOnlyAtRunTimeAreConfigErrors() {
        for (ConfigRefusals.Case c : ConfigRefusals.ONLY_AT_RUN_TIME) {
            ConfigException e = assertThrows(ConfigException.class, () -> RunConfigLoader.parse(c.yaml(), "r.yaml",
                    List.of()), c.yaml());
            assertTrue(e.getMessage().contains(c.key()), c.yaml() + " -> " + e.getMessage());
        }
        RunConfig zero = RunConfigLoader.parse("logging:\n  checkpoint_freq: 0\ndata:\n  num_workers: 0\n", "r.yaml",
                List.of());
        assertEquals(0, zero.logging().checkpointFreq(), "0 = no numbered checkpoints");
        assertEquals(1, org.jepa4j.pipeline.LoaderOptions.training(zero.data(), 0, 0, 1).workers());
    }

    @Test
    void ignoredKeysListWhatTheJvmDoesNotHonour() {
        RunConfig c = RunConfigLoader.parse("""
                data:
                  pin_mem: false
                  color_jitter_strength: 0.5
                meta:
                  copy_data: true
                  use_bfloat16: false
                """, "x.yaml", List.of());
        assertEquals(List.of("data.color_jitter_strength", "meta.copy_data"), c.ignoredKeys());
    }

    /** Each class of bad input: the override (on the valid official file) and words the message must hold. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "data.crop_size=30       | data.crop_size (--set): 30 is not a multiple of mask.patch_size 14",
            "mask.patch_size=15      | data.crop_size: 224 is not a multiple of mask.patch_size 15",
            "mask.pred_mask_scale=[0.2,1.5] | mask.pred_mask_scale (--set): [0.2, 1.5] is outside (0, 1]",
            "mask.enc_mask_scale=[0.0,0.5]  | mask.enc_mask_scale (--set): [0.0, 0.5] is outside (0, 1]",
            "mask.pred_mask_scale=[0.3,0.2] | mask.pred_mask_scale (--set): [0.3, 0.2] has min > max",
            "data.crop_scale=[0.3]   | data.crop_scale (--set): [0.3] has 1 elements, expected two numbers",
            "mask.aspect_ratio=[0,1] | mask.aspect_ratio (--set): [0.0, 1.0] is not allowed, expected positive",
            "mask.num_pred_masks=0   | mask.num_pred_masks (--set): 0 is not allowed, expected at least 1",
            "mask.num_enc_masks=0    | mask.num_enc_masks (--set): 0 is not allowed, expected at least 1",
            "mask.min_keep=256       | mask.min_keep (--set): 256 is not below the 16x16 = 256 patches of the grid",
            "data.batch_size=0       | data.batch_size (--set): 0 is not allowed, expected at least 1",
            "data.batch_size=abc     | data.batch_size (--set): 'abc' (a string), expected an integer",
            "optimization.lr='0.001' | optimization.lr (--set): '0.001' (a string), expected a number",
            "data.batch_size=12.5    | data.batch_size (--set): 12.5 (a float), expected an integer",
            "data.pin_mem=3          | data.pin_mem (--set): 3 (an integer), expected true or false",
            "data.channels=2         | data.channels (--set): 2 is not allowed, expected 1 (grey) or 3 (RGB)",
            "data.mean=[0.5]         | data.mean (--set): [0.5] has 1 values, expected one per channel (data.channels 3)",
            "data.std=[0.2,0,0.2]    | data.std (--set): [0.2, 0.0, 0.2] contains 0.0, expected every std > 0",
            "meta.model_name=vit_enormous | meta.model_name (--set): 'vit_enormous' is not a model name, expected one of [vit_tiny",
            "meta.embed_dim=100      | meta.embed_dim (--set): encoder width 100 is not divisible by 16 heads",
            "meta.pred_num_heads=5   | meta.pred_num_heads (--set): predictor width 384 is not divisible by 5 heads",
            "meta.loss=l1            | meta.loss (--set): 'l1' is not a loss, expected one of [smooth_l1, l2]",
            "meta.towers=0           | meta.towers (--set): 0 is not allowed, expected at least 1",
            "meta.target=depth       | meta.target (--set): 'depth' is not a prediction target, expected one of [features, pixels]",
            "meta.pixel_norm=maybe   | meta.pixel_norm (--set): 'maybe' (a string), expected true or false",
            "meta.patch_embed_init=he | meta.patch_embed_init (--set): 'he' is not an initialisation, expected one of [trunc_normal, xavier_uniform]",
            "meta.pos_embed_scale=-1 | meta.pos_embed_scale (--set): -1.0 is not a scale, expected a finite number >= 0",
            "meta.pred_pos_embed_scale=.nan | meta.pred_pos_embed_scale (--set): NaN (a float), expected a finite number",
            "meta.collective_timeout_s=0 | meta.collective_timeout_s (--set): 0.0 is not positive, expected seconds > 0",
            "meta.tower_devices=tpu  | meta.tower_devices (--set): 'tpu' is not a placement, expected one of [none, cpu, gpu]",
            "meta.matmul_precision=fp16 | meta.matmul_precision (--set): 'fp16' is not a precision (auto: bf16 where use_bfloat16 is set and the hardware has bf16 matrix units), expected one of [auto, fp32, bf16, bf16_attention]",
            "mask.strategy=grid      | mask.strategy (--set): 'grid' is not a mask strategy, expected one of [multiblock, random, block, rasterized]",
            "mask.truncation=last    | mask.truncation (--set): 'last' is not a truncation mode, expected one of [first, random]",
            "optimization.epochs=0   | optimization.epochs (--set): 0 is not allowed, expected at least 1",
            "optimization.lr=-0.1    | optimization.lr (--set): -0.1 is negative, expected 0 or more",
            "optimization.start_lr=-1| optimization.start_lr (--set): -1.0 is negative",
            "optimization.final_lr=-1e-6 | optimization.final_lr (--set): -1.0E-6 is negative",
            "optimization.ema=[0.9,1.2]  | optimization.ema (--set): [0.9, 1.2] is outside [0, 1]",
            "data.use_color_distortion=true | data.use_color_distortion (--set): true is not supported: colour distortion is not implemented",
            "data.use_gaussian_blur=true    | data.use_gaussian_blur (--set): true is not supported: Gaussian blur is not implemented",
            "meta.sed=1              | --set meta.sed=1: unknown key meta.sed, did you mean meta.seed?",
            "metta.seed=1            | --set metta.seed=1: unknown section 'metta', did you mean meta?",
            "meta.seed               | --set meta.seed: expected section.key=value",
            "data.crop_scale=[0.3,   | --set data.crop_scale=[0.3,: value '[0.3,' is not a YAML scalar or flow list",
    })
    void badValuesAreReportedWithKeyValueAndExpectation(String override, String expected) {
        Path file = OFFICIAL.resolve("in1k_vith14_ep300.yaml");
        ConfigException e = assertThrows(ConfigException.class, () -> RunConfigLoader.load(file, List.of(override)));
        assertEquals(file.toString(), e.origin());
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertTrue(e.problems().stream().anyMatch(p -> p.startsWith(expected)),
                () -> "expected a problem starting with <" + expected + "> in:\n" + e.getMessage());
    }

    @Test
    void unknownKeysAndSectionsSuggestTheClosestKnownName() {
        ConfigException e = assertThrows(ConfigException.class, () -> RunConfigLoader.parse("""
                data:
                  batch_sise: 64
                  patch_size: 16
                  frobnicate: 1
                optimisation:
                  lr: 0.1
                """, "typos.yaml", List.of()));
        assertEquals(List.of(
                "optimisation: unknown section, did you mean optimization? Expected one of "
                        + ConfigKeys.SECTIONS,
                "data.batch_sise: unknown key data.batch_sise, did you mean data.batch_size? (value 64)",
                "data.patch_size: unknown key in section data; patch_size belongs to section mask (mask.patch_size)"
                        + " (value 16)",
                "data.frobnicate: unknown key data.frobnicate; known keys of data: " + ConfigKeys.keys("data")
                        + " (value 1)"), e.problems());
        for (String line : e.getMessage().split("\n")) {
            assertTrue(line.startsWith("typos.yaml: "), line);
        }
    }

    @Test
    void allProblemsAreReportedTogether() {
        ConfigException e = assertThrows(ConfigException.class, () -> RunConfigLoader.parse("""
                data:
                  batch_size: 0
                  crop_size: 30
                  channels: 1
                mask:
                  patch_size: 4
                  strategy: spiral
                meta:
                  loss: huber
                """, "many.yaml", List.of()));
        assertEquals(6, e.problems().size(), e.getMessage());
        assertEquals(6, e.getMessage().split("\n").length);
    }

    @Test
    void wrongShapesOfTheFileAreErrors() {
        assertThrows(ConfigException.class, () -> RunConfigLoader.parse("- a\n- b\n", "list.yaml", List.of()));
        ConfigException dup = assertThrows(ConfigException.class,
                () -> RunConfigLoader.parse("meta:\n  seed: 1\n  seed: 2\n", "dup.yaml", List.of()));
        assertTrue(dup.getMessage().startsWith("dup.yaml: not valid YAML"), dup.getMessage());
        ConfigException scalar = assertThrows(ConfigException.class,
                () -> RunConfigLoader.parse("meta: 3\n", "s.yaml", List.of()));
        assertEquals(List.of("meta: 3 (an integer), expected a mapping of keys"), scalar.problems());
        ConfigException missing = assertThrows(ConfigException.class,
                () -> RunConfigLoader.load(Path.of("no", "such.yaml")));
        assertTrue(missing.getMessage().startsWith(Path.of("no", "such.yaml") + ": cannot read the file"));
    }

    @Test
    void aFileThatIsNoUtf8TextIsNamedAsSuch(@TempDir Path dir) throws Exception {
        Path utf16 = Files.write(dir.resolve("run.yaml"), "meta:\n  seed: 1\n".getBytes(StandardCharsets.UTF_16));
        ConfigException loaded = assertThrows(ConfigException.class, () -> RunConfigLoader.load(utf16));
        assertTrue(loaded.getMessage().startsWith(utf16 + ": cannot read the file: not UTF-8 text"), loaded.getMessage());
        ConfigException resolved = assertThrows(ConfigException.class,
                () -> RunConfigLoader.resolve(utf16.toString(), List.of()));
        assertTrue(resolved.getMessage().contains(": not UTF-8 text"), resolved.getMessage());
    }

    @Test
    void overridesApplyBeforeValidation() {
        Path file = OFFICIAL.resolve("in1k_vith14_ep300.yaml");
        // crop 32 with patch 14 alone would be invalid; together with patch 4 it is fine
        RunConfig c = RunConfigLoader.load(file, List.of("data.crop_size=32", "mask.patch_size=4",
                "mask.min_keep=4", "data.crop_scale=[0.5,1.0]", "meta.read_checkpoint=runs/x/latest.safetensors",
                "optimization.warmup=0.5", "meta.seed=12345678901", "data.source=",
                "meta.matmul_precision=bf16_attention"));
        assertEquals(8, c.gridSize());
        assertEquals(Range.of(0.5, 1.0), c.data().cropScale());
        assertEquals("runs/x/latest.safetensors", c.meta().readCheckpoint());
        assertEquals(0.5, c.optimization().warmup());
        assertEquals(12345678901L, c.meta().seed());
        assertEquals(null, c.data().source());
        assertEquals("bf16_attention", c.meta().matmulPrecision());
    }

    @Test
    void minKeepTooLargeForTheDrawnTargetBlocksIsAnError() {
        // §1.4 [measured]: min_keep 10 on an 8x8 grid hangs the reference sampler (3x3 targets)
        Path file = OFFICIAL.resolve("in1k_vith14_ep300.yaml");
        ConfigException e = assertThrows(ConfigException.class,
                () -> RunConfigLoader.load(file, List.of("data.crop_size=32", "mask.patch_size=4")));
        assertTrue(e.problems().get(0).startsWith("mask.min_keep: 10 is not below the smallest target block"),
                e.getMessage());
        assertTrue(e.problems().get(0).contains("(9 patches)"), e.getMessage());
    }

    @Test
    void smallestBlockMatchesTheEnumeratedReferenceSizes() {
        // §1.7: 16x16 target sizes {(5,7),(6,6),(6,7),(7,6),(8,6),(9,6)} -> 35; 8x8: 3x3 or 4x3 -> 9
        assertEquals(35, RunConfigLoader.smallestBlock(Range.of(0.15, 0.2), Range.of(0.75, 1.5), 16));
        assertEquals(9, RunConfigLoader.smallestBlock(Range.of(0.15, 0.2), Range.of(0.75, 1.5), 8));
        // context at 16x16: always 15x15 (§1.7)
        assertEquals(225, RunConfigLoader.smallestBlock(Range.of(0.85, 1.0), Range.of(1, 1), 16));
    }

    @Test
    void everyPresetUnderGraphsLoads() throws Exception {
        TreeSet<String> loaded = new TreeSet<>();
        try (var files = Files.walk(Path.of("graphs"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).toList()) {
                RunConfig c = RunConfigLoader.load(f);
                assertFalse(c.modelSpec().encoder().width() <= 0);
                loaded.add(f.toString());
            }
        }
        assertTrue(loaded.size() >= 11, loaded.toString());
    }
}
