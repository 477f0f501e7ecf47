package org.jepa4j.cli;

import org.jepa4j.data.Image;
import org.jepa4j.export.TestModels;
import org.jepa4j.infer.ExtractorOptions;
import org.jepa4j.infer.FeatureExtractor;
import org.jepa4j.infer.FeatureKind;
import org.jepa4j.tensor.Npy;
import org.jepa4j.testkit.RandomImages;
import org.jepa4j.testkit.TinyEncoders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExportAndEmbedCommandTest {

    @TempDir
    Path dir;

    @Test
    void exportThenEmbedAFolderWritesFeaturesAndLabels() throws Exception {
        Path run = dir.resolve("run");
        Files.createDirectories(run.resolve("checkpoints"));
        TestModels.writeCheckpoint(run.resolve("checkpoints/latest.safetensors"), TinyEncoders.GREY_ONE_LAYER, 41);
        Path model = dir.resolve("encoder.onnx");
        assertEquals(0, Jepa4j.commandLine().execute("export", "--checkpoint", run.toString(), "--out", model.toString()));
        assertTrue(Files.size(model) > 0);

        Path images = RandomImages.greyFolders(dir.resolve("images"), List.of("a", "b"), 3, 20, 18, 3);
        Path npy = dir.resolve("feats.npy");
        assertEquals(0, Jepa4j.commandLine().execute("embed", "--model", model.toString(), "--data", "folder:" + images,
                "--out", npy.toString(), "--batch-size", "4", "--feature", "pooled_last4", "--lanes", "3"));
        Npy.Array feats = Npy.read(npy);
        assertArrayEquals(new long[] {6, 32}, feats.shape());
        assertArrayEquals(new long[] {0, 0, 0, 1, 1, 1}, Npy.read(dir.resolve("feats.labels.npy")).toLongs());
        try (FeatureExtractor fx = FeatureExtractor.open(model, ExtractorOptions.defaults().withFeature(FeatureKind.POOLED_LAST4))) {
            float[] expected = fx.embed(Image.fromBufferedImage(ImageIO.read(images.resolve("b/1.png").toFile())));
            float[] all = feats.toFloats();
            float[] row = java.util.Arrays.copyOfRange(all, 4 * 32, 5 * 32);
            assertArrayEquals(expected, row, 1e-5f);
        }

        Path csv = dir.resolve("feats.csv");
        assertEquals(0, Jepa4j.commandLine().execute("embed", "--model", model.toString(), "--data", "folder:" + images,
                "--out", csv.toString(), "--limit", "2"));
        List<String> lines = Files.readAllLines(csv);
        assertEquals(3, lines.size());
        assertTrue(lines.get(0).startsWith("label,f0,f1"));
        assertEquals(33, lines.get(1).split(",").length);
    }

    @Test
    void anInt8ExportEmbedsWithFeaturesCloseToFloat32() throws Exception {
        Path ckpt = TestModels.writeCheckpoint(dir.resolve("c8.safetensors"), TinyEncoders.GREY_ONE_LAYER, 43);
        Path fp32 = dir.resolve("fp32.onnx");
        Path int8 = dir.resolve("int8.onnx");
        assertEquals(0, Jepa4j.commandLine().execute("export", "--checkpoint", ckpt.toString(), "--out", fp32.toString()));
        assertEquals(0, Jepa4j.commandLine().execute("export", "--checkpoint", ckpt.toString(), "--out", int8.toString(),
                "--precision", "int8"));
        Path images = RandomImages.greyFolders(dir.resolve("images8"), List.of("a"), 4, 16, 16, 5).resolve("a");
        float[][] feats = new float[2][];
        int k = 0;
        for (Path m : List.of(fp32, int8)) {
            Path npy = dir.resolve("f" + k + ".npy");
            assertEquals(0, Jepa4j.commandLine().execute("embed", "--model", m.toString(), "--data",
                    "folder:" + images.getParent(), "--out", npy.toString()));
            feats[k++] = Npy.read(npy).toFloats();
        }
        double dot = 0;
        double a = 0;
        double b = 0;
        for (int i = 0; i < feats[0].length; i++) {
            dot += feats[0][i] * (double) feats[1][i];
            a += feats[0][i] * (double) feats[0][i];
            b += feats[1][i] * (double) feats[1][i];
        }
        assertTrue(dot / Math.sqrt(a * b) > 0.999, "cosine of int8 to fp32 features " + dot / Math.sqrt(a * b));
        try (FeatureExtractor fx = FeatureExtractor.open(int8)) {
            assertEquals("int8", fx.info().precision());
        }
    }

    @Test
    void usageErrorsExitWithTwo() throws Exception {
        Path ckpt = TestModels.writeCheckpoint(dir.resolve("c.safetensors"), TinyEncoders.GREY_ONE_LAYER, 42);
        assertEquals(2, Jepa4j.commandLine().execute("export", "--checkpoint", ckpt.toString(), "--out",
                dir.resolve("m.onnx").toString(), "--encoder", "student"));
        assertEquals(2, Jepa4j.commandLine().execute("export", "--checkpoint", ckpt.toString(), "--out",
                dir.resolve("m.onnx").toString(), "--opset", "11"));
        assertEquals(2, Jepa4j.commandLine().execute("export", "--checkpoint", ckpt.toString(), "--out",
                dir.resolve("m.onnx").toString(), "--precision", "int4"));
        assertEquals(2, Jepa4j.commandLine().execute("export", "--checkpoint", ckpt.toString(), "--out",
                dir.resolve("m.onnx").toString(), "--precision", "int8", "--int8-scale", "batch"));
        CommandRun scaleWithoutInt8 = CommandRun.of("export", "--checkpoint", ckpt.toString(), "--out",
                dir.resolve("m.onnx").toString(), "--int8-scale", "image");
        assertEquals(2, scaleWithoutInt8.code());
        assertTrue(scaleWithoutInt8.err().contains("--int8-scale image applies to int8 exports only"),
                scaleWithoutInt8.err());
        assertFalse(Files.exists(dir.resolve("m.onnx")), "nothing written for a refused export");
        assertEquals(1, Jepa4j.commandLine().execute("export", "--checkpoint", dir.resolve("none").toString(), "--out",
                dir.resolve("m.onnx").toString()));
        assertEquals(0, Jepa4j.commandLine().execute("export", "--checkpoint", ckpt.toString(), "--out",
                dir.resolve("m.onnx").toString(), "--external-data", "always"));
        assertTrue(Files.exists(dir.resolve("m.onnx.data")));
        assertEquals(2, Jepa4j.commandLine().execute("embed", "--model", dir.resolve("m.onnx").toString(),
                "--data", "folder:" + dir.resolve("nothing"), "--out", dir.resolve("f.npy").toString()));
    }
}
