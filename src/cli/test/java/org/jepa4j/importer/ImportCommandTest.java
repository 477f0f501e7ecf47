package org.jepa4j.importer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.cli.Jepa4j;
import org.jepa4j.config.DataConfig;
import org.jepa4j.config.RunConfigLoader;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.testing.OfficialFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code jepa4j import} end to end on the fixture checkpoint. */
class ImportCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Run(int exit, String out, String err) {
    }

    static Run run(String... args) {
        CommandLine cl = Jepa4j.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    static List<String> args(OfficialFixture fx, Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("import", "--from", fx.checkpoint().toString(), "--out", out.toString()));
        a.addAll(List.of(extra));
        return a;
    }

    @Test
    void writesARunFolderWithCheckpointConfigAndProvenance(@TempDir Path tmp) throws Exception {
        OfficialFixture fx = OfficialFixture.load();
        Path runDir = tmp.resolve("run");
        Run r = run(args(fx, runDir, "--heads", String.valueOf(fx.encoderHeads()), "--pred-heads",
                String.valueOf(fx.predictorHeads())).toArray(String[]::new));
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("memory:"), r.out());

        Checkpoint ckpt = Checkpoint.read(runDir);
        assertTrue(Files.isRegularFile(runDir.resolve("checkpoints").resolve("latest.safetensors")));
        JsonNode state = JSON.readTree(ckpt.meta(Checkpoint.STATE));
        assertEquals(fx.config.path("training").path("steps").asLong(), state.path("step").asLong());
        assertEquals(1, state.path("epoch").asLong());
        assertEquals(fx.config.path("training").path("steps").asLong(), state.path("ipe").asLong(), "3 steps in epoch 1");
        assertEquals(fx.config.path("training").path("batch_size").asLong(), state.path("batch_size").asLong());

        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(fx.checkpoint())));
        JsonNode prov = JSON.readTree(ckpt.meta(Checkpoint.PROVENANCE));
        assertEquals(sha, prov.path("source_sha256").asText());
        assertEquals(fx.checkpoint().toAbsolutePath().toString(), prov.path("source_file").asText());

        JsonNode pre = JSON.readTree(ckpt.meta(Checkpoint.PREPROCESSING));
        assertEquals(fx.config.path("img_size").asInt(), pre.path("image_size").asInt());
        assertEquals(DataConfig.IMAGENET_MEAN.get(0), pre.path("mean").get(0).asDouble());
        assertEquals(DataConfig.IMAGENET_STD.get(2), pre.path("std").get(2).asDouble());

        Map<String, Map<String, Object>> yaml = new Yaml().load(Files.readString(runDir.resolve("config.yaml")));
        assertEquals(ckpt.meta(Checkpoint.CONFIG), Files.readString(runDir.resolve("config.yaml")));
        var enc = fx.config.path("encoder");
        assertEquals(enc.path("embed_dim").asInt(), yaml.get("meta").get("embed_dim"));
        assertEquals(enc.path("depth").asInt(), yaml.get("meta").get("depth"));
        assertEquals(enc.path("num_heads").asInt(), yaml.get("meta").get("num_heads"));
        assertEquals(fx.config.path("predictor").path("pred_emb_dim").asInt(), yaml.get("meta").get("pred_emb_dim"));
        assertEquals(fx.config.path("predictor").path("pred_depth").asInt(), yaml.get("meta").get("pred_depth"));
        assertEquals(fx.config.path("img_size").asInt(), yaml.get("data").get("crop_size"));
        assertEquals(fx.config.path("patch_size").asInt(), yaml.get("mask").get("patch_size"));
        assertEquals(ckpt.modelSpec(), RunConfigLoader.load(runDir.resolve("config.yaml")).modelSpec(),
                "config.yaml describes the imported model");
        assertTrue(ckpt.tensors().names().stream().noneMatch(n -> n.startsWith("optimizer.")),
                "no moments without --with-optimizer");
    }

    @Test
    void withOptimizerCarriesTheAdamMomentsUnderTheirParameterNames(@TempDir Path tmp) throws Exception {
        OfficialFixture fx = OfficialFixture.load();
        Path runDir = tmp.resolve("run");
        Run r = run(args(fx, runDir, "--heads", String.valueOf(fx.encoderHeads()), "--with-optimizer")
                .toArray(String[]::new));
        assertEquals(0, r.exit(), r.err());
        Checkpoint ckpt = Checkpoint.read(runDir);
        try (OfficialCheckpoint src = OfficialCheckpoint.open(fx.checkpoint(), true)) {
            for (String name : src.shapes().keySet()) {
                if (name.startsWith("optimizer.")) {
                    FloatTensor t = ckpt.tensors().get(name);
                    String param = name.replaceFirst("^optimizer\\.exp_avg(_sq)?\\.", "");
                    assertArrayEquals(ckpt.tensors().get(param).shape(), t.shape(), name);
                    assertArrayEquals(src.load(name).data(), t.data(), name);
                }
            }
        }
        assertTrue(ckpt.tensors().contains("optimizer.exp_avg.encoder.blocks.0.attn.qkv.weight"));
        assertTrue(!ckpt.tensors().contains("optimizer.exp_avg.encoder.pos_embed"), "frozen tables have no moments");
    }

    @Test
    void anExistingCheckpointIsOnlyReplacedWithForce(@TempDir Path tmp) throws Exception {
        OfficialFixture fx = OfficialFixture.load();
        Path runDir = tmp.resolve("run");
        String heads = String.valueOf(fx.encoderHeads());
        assertEquals(0, run(args(fx, runDir, "--heads", heads).toArray(String[]::new)).exit());
        Run again = run(args(fx, runDir, "--heads", heads).toArray(String[]::new));
        assertEquals(2, again.exit());
        assertTrue(again.err().contains("--force"), again.err());
        assertEquals(0, run(args(fx, runDir, "--heads", heads, "--force").toArray(String[]::new)).exit());
    }

    @Test
    void headsAreRequiredWhenTheWidthMatchesNoReferenceSize(@TempDir Path tmp) throws Exception {
        OfficialFixture fx = OfficialFixture.load();
        int width = fx.config.path("encoder").path("embed_dim").asInt();
        org.junit.jupiter.api.Assumptions.assumeTrue(SpecInference.modelNameOfWidth(width) == null,
                "fixture width is a reference size");
        Run r = run(args(fx, tmp.resolve("run")).toArray(String[]::new));
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--heads") && r.err().contains("width " + width), r.err());
        assertTrue(!Files.exists(tmp.resolve("run").resolve("checkpoints")), "nothing written on failure");
    }

    @Test
    void aModelNameOfAnotherWidthIsRejected(@TempDir Path tmp) throws Exception {
        OfficialFixture fx = OfficialFixture.load();
        Run r = run(args(fx, tmp.resolve("run"), "--model-name", "vit_huge").toArray(String[]::new));
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("vit_huge has width 1280"), r.err());
    }

    @Test
    void aDisagreeingSizeOptionNamesTheTensor(@TempDir Path tmp) throws Exception {
        OfficialFixture fx = OfficialFixture.load();
        int patch = fx.config.path("patch_size").asInt();
        Run r = run(args(fx, tmp.resolve("run"), "--heads", String.valueOf(fx.encoderHeads()), "--patch-size",
                String.valueOf(patch * 2)).toArray(String[]::new));
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--patch-size " + patch * 2) && r.err().contains("patch_embed.proj.weight"), r.err());
    }

    @Test
    void aMissingFileIsARuntimeFailureNamingIt(@TempDir Path tmp) {
        Path missing = tmp.resolve("nope.pth.tar");
        Run r = run("import", "--from", missing.toString(), "--out", tmp.resolve("run").toString(), "--heads", "3");
        assertEquals(1, r.exit());
        assertTrue(r.err().startsWith("error: " + missing + ": no such file"), r.err());
    }

    @Test
    void aFolderWithoutWeightsIsARuntimeFailureSayingWhatWasExpected(@TempDir Path tmp) throws Exception {
        Path folder = Files.createDirectories(tmp.resolve("weights"));
        Run r = run("import", "--from", folder.toString(), "--out", tmp.resolve("run").toString(), "--heads", "3");
        assertEquals(1, r.exit());
        assertTrue(r.err().startsWith("error: " + folder + " is a folder without model.safetensors"), r.err());
        assertTrue(!Files.exists(tmp.resolve("run").resolve("checkpoints")), "nothing written on failure");
    }
}
