package org.jepa4j.importer;

import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.checkpoint.Safetensors;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.tensor.NamedTensors;
import org.jepa4j.testing.OfficialFixture;
import org.jepa4j.testing.ReferenceForward;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A safetensors file in the Hugging Face IJepaModel layout, written here from the fixture's
 * target encoder with this test's own renaming (query/key/value split out of qkv), imports to
 * an encoder that reproduces the official target tokens.
 */
class HuggingFaceImportTest {

    /** Reference name (no part prefix) → Hugging Face IJepaModel tensors, written independently of the importer. */
    static Map<String, FloatTensor> toHuggingFace(NamedTensors encoder) {
        Map<String, FloatTensor> out = new LinkedHashMap<>();
        int width = (int) encoder.get("patch_embed.proj.weight").shape()[0];
        encoder.asMap().forEach((name, t) -> {
            String[] p = name.split("\\.");
            switch (name) {
                case "pos_embed" -> out.put("embeddings.position_embeddings", t);
                case "patch_embed.proj.weight" -> out.put("embeddings.patch_embeddings.projection.weight", t);
                case "patch_embed.proj.bias" -> out.put("embeddings.patch_embeddings.projection.bias", t);
                case "norm.weight" -> out.put("layernorm.weight", t);
                case "norm.bias" -> out.put("layernorm.bias", t);
                default -> {
                    String layer = "encoder.layer." + p[1] + ".";
                    String rest = String.join(".", Arrays.copyOfRange(p, 2, p.length));
                    if (rest.startsWith("attn.qkv.")) {
                        String kind = p[p.length - 1];
                        int rows = width * (t.rank() == 2 ? width : 1);
                        String[] which = {"query", "key", "value"};
                        for (int i = 0; i < 3; i++) {
                            long[] shape = t.rank() == 2 ? new long[] {width, width} : new long[] {width};
                            out.put(layer + "attention.attention." + which[i] + "." + kind, new FloatTensor(shape,
                                    Arrays.copyOfRange(t.data(), i * rows, (i + 1) * rows)));
                        }
                        return;
                    }
                    String hf = switch (rest) {
                        case "norm1.weight" -> "layernorm_before.weight";
                        case "norm1.bias" -> "layernorm_before.bias";
                        case "attn.proj.weight" -> "attention.output.dense.weight";
                        case "attn.proj.bias" -> "attention.output.dense.bias";
                        case "norm2.weight" -> "layernorm_after.weight";
                        case "norm2.bias" -> "layernorm_after.bias";
                        case "mlp.fc1.weight" -> "intermediate.dense.weight";
                        case "mlp.fc1.bias" -> "intermediate.dense.bias";
                        case "mlp.fc2.weight" -> "output.dense.weight";
                        case "mlp.fc2.bias" -> "output.dense.bias";
                        default -> throw new AssertionError("unmapped " + name);
                    };
                    out.put(layer + hf, t);
                }
            }
        });
        return out;
    }

    static Path writeHf(Path dir, OfficialFixture fx, UnaryOperator<Map<String, FloatTensor>> edit) throws Exception {
        NamedTensors target;
        try (OfficialCheckpoint ckpt = OfficialCheckpoint.open(fx.checkpoint(), false)) {
            NamedTensors.Builder b = NamedTensors.builder();
            for (String name : ckpt.shapes().keySet()) {
                if (name.startsWith("target_encoder.")) {
                    b.put(name.substring("target_encoder.".length()), ckpt.load(name));
                }
            }
            target = b.build();
        }
        Map<String, FloatTensor> hf = edit.apply(toHuggingFace(target));
        Path file = dir.resolve("model.safetensors");
        Safetensors.write(file, NamedTensors.of(hf), Map.of("format", "pt"));
        return file;
    }

    static ImportOptions options(OfficialFixture fx) {
        return ImportOptions.inferAll().withHeads(fx.encoderHeads());
    }

    static Checkpoint importHf(Path file, Path runDir, OfficialFixture fx) throws Exception {
        try (WeightSource src = CheckpointImporter.open(file, false)) {
            CheckpointImporter.importInto(src, options(fx), runDir, new PrintWriter(new StringWriter()));
        }
        return Checkpoint.read(runDir);
    }

    @Test
    void importedHuggingFaceEncoderReproducesTheOfficialTargetTokens(@TempDir Path tmp) throws Exception {
        OfficialFixture fx = OfficialFixture.load();
        Path file = writeHf(tmp, fx, m -> {
            // a pooler, as IJepaModel(add_pooling_layer=True) would save, is ignored
            int d = (int) m.get("layernorm.weight").shape()[0];
            m.put("pooler.dense.weight", FloatTensor.zeros(d, d));
            return m;
        });
        Checkpoint ckpt = importHf(file, tmp.resolve("run"), fx);
        assertTrue(ckpt.tensors().names().stream().noneMatch(n -> n.startsWith("predictor.")), "no predictor");
        NamedTensors enc = ckpt.part("encoder.");
        NamedTensors tgt = ckpt.part("target_encoder.");
        assertEquals(enc.names(), tgt.names());
        enc.asMap().forEach((k, v) -> assertArrayEquals(v.data(), tgt.get(k).data(), k));

        FloatTensor images = fx.array("images");
        ReferenceForward ref = new ReferenceForward(ckpt.modelSpec(), ckpt.tensors());
        double[][][] tokens = ref.encode("target_encoder.", images.data(), (int) images.shape()[0], null);
        double[] flat = Arrays.stream(tokens).flatMap(Arrays::stream).flatMapToDouble(Arrays::stream).toArray();
        double err = OfficialFixture.maxAbs(flat, fx.array("target_tokens").data());
        System.out.printf(Locale.ROOT, "parity hf-import reference-forward target_tokens max abs %.3g%n", err);
        assertTrue(err <= 1e-5, "max abs " + err);
    }

    @Test
    void aHuggingFaceModelFolderImportsItsModelSafetensors(@TempDir Path tmp) throws Exception {
        OfficialFixture fx = OfficialFixture.load();
        Path folder = Files.createDirectories(tmp.resolve("ijepa-hf"));
        Path file = writeHf(folder, fx, m -> m);
        Checkpoint viaFile = importHf(file, tmp.resolve("from-file"), fx);
        Checkpoint viaFolder = importHf(folder, tmp.resolve("from-folder"), fx);
        assertEquals(viaFile.tensors().names(), viaFolder.tensors().names());
        viaFile.tensors().asMap().forEach((k, v) -> assertArrayEquals(v.data(), viaFolder.tensors().get(k).data(), k));

        Path bare = Files.createDirectories(tmp.resolve("no-weights"));
        java.io.FileNotFoundException e = assertThrows(java.io.FileNotFoundException.class,
                () -> CheckpointImporter.open(bare, false));
        assertTrue(e.getMessage().contains(bare.toString()) && e.getMessage().contains("model.safetensors"), e.getMessage());
        Path missing = tmp.resolve("nope.pth.tar");
        e = assertThrows(java.io.FileNotFoundException.class, () -> CheckpointImporter.open(missing, false));
        assertTrue(e.getMessage().contains(missing + ": no such file"), e.getMessage());
    }

    @Test
    void aModelFoldersConfigGivesTheHeadsTheWeightsDoNotHold(@TempDir Path tmp) throws Exception {
        OfficialFixture fx = OfficialFixture.load();
        Path folder = Files.createDirectories(tmp.resolve("ijepa-hf"));
        writeHf(folder, fx, m -> m);
        Files.writeString(folder.resolve("config.json"), "{\"model_type\": \"ijepa\", \"num_attention_heads\": "
                + fx.encoderHeads() + ", \"hidden_size\": 1}");
        ImportOptions none = ImportOptions.inferAll();
        assertEquals(fx.encoderHeads(), CheckpointImporter.withFolderConfig(folder, none).heads());
        try (WeightSource src = CheckpointImporter.open(folder, false)) {
            CheckpointImporter.importInto(src, CheckpointImporter.withFolderConfig(folder, none), tmp.resolve("run"),
                    new PrintWriter(new StringWriter()));
        }
        assertEquals(fx.encoderHeads(), Checkpoint.read(tmp.resolve("run")).modelSpec().encoder().heads());

        int other = fx.encoderHeads() + 1;
        ImportException disagree = assertThrows(ImportException.class,
                () -> CheckpointImporter.withFolderConfig(folder, none.withHeads(other)));
        assertTrue(disagree.getMessage().contains("--heads " + other + " disagrees with " + folder.resolve("config.json")),
                disagree.getMessage());
        Files.writeString(folder.resolve("config.json"), "{not json");
        ImportException broken = assertThrows(ImportException.class, () -> CheckpointImporter.withFolderConfig(folder, none));
        assertTrue(broken.getMessage().startsWith(folder.resolve("config.json") + ": not a Hugging Face config"),
                broken.getMessage());
        assertEquals(none, CheckpointImporter.withFolderConfig(folder.resolve("model.safetensors"), none), "a file: unchanged");
    }

    @Test
    void aMisshapenTensorIsNamedWithBothNamesAndShapes(@TempDir Path tmp) throws Exception {
        OfficialFixture fx = OfficialFixture.load();
        Path file = writeHf(tmp, fx, m -> {
            FloatTensor t = m.get("encoder.layer.0.attention.output.dense.weight");
            long[] shape = {t.shape()[0], t.shape()[1] + 4};
            m.put("encoder.layer.0.attention.output.dense.weight", FloatTensor.zeros(shape));
            return m;
        });
        ImportException e = assertThrows(ImportException.class, () -> importHf(file, tmp.resolve("run"), fx));
        int d = fx.config.path("encoder").path("embed_dim").asInt();
        String msg = e.getMessage();
        assertTrue(msg.contains("'encoder.blocks.0.attn.proj.weight'")
                && msg.contains("encoder.layer.0.attention.output.dense.weight")
                && msg.contains("[" + d + ", " + (d + 4) + "]") && msg.contains("[" + d + ", " + d + "]"), msg);
    }

    /** The import's refusal of the fixture in Hugging Face form without the tensor {@code hfName}. */
    private static String refusalWithout(Path tmp, String hfName) throws Exception {
        OfficialFixture fx = OfficialFixture.load();
        Path file = writeHf(tmp, fx, m -> {
            m.remove(hfName);
            return m;
        });
        return assertThrows(ImportException.class, () -> importHf(file, tmp.resolve("run"), fx)).getMessage();
    }

    @Test
    void aMissingTensorIsNamed(@TempDir Path tmp) throws Exception {
        String msg = refusalWithout(tmp, "layernorm.bias");
        assertTrue(msg.contains("missing tensors") && msg.contains("'encoder.norm.bias'") && msg.contains("layernorm.bias"),
                msg);
    }

    @Test
    void aMissingValueProjectionIsNamed(@TempDir Path tmp) throws Exception {
        String msg = refusalWithout(tmp, "encoder.layer.0.attention.attention.value.weight");
        assertTrue(msg.contains("'encoder.layer.0.attention.attention.value.weight' is missing"), msg);
    }
}
