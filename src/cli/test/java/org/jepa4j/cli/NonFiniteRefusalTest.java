package org.jepa4j.cli;

import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.export.TestModels;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.tensor.NamedTensors;
import org.jepa4j.testkit.TinyEncoders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import javax.imageio.ImageIO;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Non-finite weights are not exported, and a non-finite feature stops embed and eval naming the image. */
class NonFiniteRefusalTest {
    private static final String PATCH_WEIGHT = "target_encoder.patch_embed.proj.weight";

    @TempDir
    Path dir;

    private static CommandRun run(String... args) {
        return CommandRun.of(args);
    }

    /** A valid checkpoint (checksums intact) whose target encoder's patch weight went through {@code change}. */
    private Path checkpoint(String name, UnaryOperator<float[]> change) throws Exception {
        Path good = TestModels.writeCheckpoint(dir.resolve("good.safetensors"), TinyEncoders.GREY_ONE_LAYER, 5);
        Checkpoint c = Checkpoint.read(good);
        NamedTensors.Builder b = NamedTensors.builder();
        c.tensors().asMap().forEach((n, t) -> b.put(n, n.equals(PATCH_WEIGHT)
                ? new FloatTensor(t.shape(), change.apply(t.data().clone())) : t));
        Path file = dir.resolve(name);
        new Checkpoint(b.build(), c.metadata()).write(file);
        return file;
    }

    private Path images() throws Exception {
        for (String split : List.of("train", "val")) {
            for (String cls : List.of("a", "b")) {
                Path d = Files.createDirectories(dir.resolve("images").resolve(split).resolve(cls));
                for (int i = 0; i < 3; i++) {
                    BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_GRAY);
                    img.getRaster().setSample(i, i, 0, 200);
                    ImageIO.write(img, "png", d.resolve(i + ".png").toFile());
                }
            }
        }
        return dir.resolve("images");
    }

    @Test
    void exportRefusesANonFiniteWeightNamingItAndWritesNothing() throws Exception {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            Path ckpt = checkpoint("bad.safetensors", w -> {
                w[w.length / 2] = bad;
                return w;
            });
            Path out = dir.resolve("m.onnx");
            CommandRun r = run("export", "--checkpoint", ckpt.toString(), "--out", out.toString());
            assertEquals(1, r.code(), r.err());
            assertTrue(r.err().contains(PATCH_WEIGHT) && r.err().contains(Float.toString(bad))
                    && r.err().contains(ckpt.toString()) && r.err().contains("not finite"), r.err());
            assertFalse(Files.exists(out));
        }
    }

    @Test
    void embedAndEvalStopWithANonZeroExitNamingTheImageWhoseFeatureIsNotFinite() throws Exception {
        // finite weights whose products overflow: the model exports, but every feature is NaN or infinite
        Path ckpt = TestModels.writeOverflowingCheckpoint(dir.resolve("huge.safetensors"),
                TinyEncoders.GREY_ONE_LAYER, 5);
        Path model = dir.resolve("huge.onnx");
        assertEquals(0, run("export", "--checkpoint", ckpt.toString(), "--out", model.toString()).code());
        Path images = images();

        Path npy = dir.resolve("f.npy");
        CommandRun embed = run("embed", "--model", model.toString(), "--data", "folder:" + images, "--split", "train",
                "--batch-size", "1", "--out", npy.toString());
        assertEquals(1, embed.code(), embed.err());
        String first = images.resolve("train/a/0.png").toString();
        assertTrue(embed.err().contains("error: the pooled feature of " + first + " is not finite")
                && embed.err().contains(model.toString()), embed.err());
        assertFalse(embed.err().contains("Exception"), "one plain line, no class name: " + embed.err());
        assertFalse(Files.exists(npy) || Files.exists(dir.resolve("f.labels.npy")), "nothing is written");

        Path report = dir.resolve("report");
        CommandRun eval = run("eval", "--model", model.toString(), "--data", "folder:" + images, "--out",
                report.toString(), "--epochs", "1", "--batch-size", "1");
        assertEquals(1, eval.code(), eval.err());
        assertTrue(eval.err().contains(first) && eval.err().contains("is not finite"), eval.err());
        assertFalse(Files.exists(report.resolve("report.md")));
    }
}
