package org.jepa4j.cli;

import org.jepa4j.export.TestModels;
import org.jepa4j.tensor.Npy;
import org.jepa4j.testkit.RandomImages;
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
import java.util.Random;
import javax.imageio.ImageIO;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Commands that write never destroy their input, check their output's name, and skip bad images. */
class WritingCommandsGuardTest {
    @TempDir
    Path dir;

    private static CommandRun run(String... args) {
        return CommandRun.of(args);
    }

    private Path model() throws Exception {
        return CommandRun.exportedGreyEncoder(dir.resolve("c.safetensors"), dir.resolve("m.onnx"));
    }

    private Path images(int good) throws Exception {
        return RandomImages.greyFolders(dir.resolve("images"), List.of("a", "b"), good, 16, 16, 1);
    }

    @Test
    void exportRefusesToOverwriteItsCheckpointEvenWithForce() throws Exception {
        Path ckpt = TestModels.writeCheckpoint(dir.resolve("c.safetensors"), TinyEncoders.GREY_ONE_LAYER, 5);
        byte[] before = Files.readAllBytes(ckpt);
        CommandRun r = run("export", "--checkpoint", ckpt.toString(), "--out", ckpt.toString(), "--force");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("is the input"), r.err());
        assertArrayEquals(before, Files.readAllBytes(ckpt), "the checkpoint is untouched");

        Path run = dir.resolve("run");
        Files.createDirectories(run.resolve("checkpoints"));
        Path latest = Files.copy(ckpt, run.resolve("checkpoints/latest.safetensors"));
        assertEquals(2, run("export", "--checkpoint", run.toString(), "--out", latest.toString(), "--force").code());
        assertArrayEquals(before, Files.readAllBytes(latest));
    }

    @Test
    void anOutputWhoseExtensionDoesNotMatchNeedsForce() throws Exception {
        Path ckpt = TestModels.writeCheckpoint(dir.resolve("c.safetensors"), TinyEncoders.GREY_ONE_LAYER, 5);
        CommandRun r = run("export", "--checkpoint", ckpt.toString(), "--out", dir.resolve("m.npy").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains(".onnx") && r.err().contains("--force"), r.err());
        assertEquals(0, run("export", "--checkpoint", ckpt.toString(), "--out", dir.resolve("m.bin").toString(),
                "--force").code());
        Path model = dir.resolve("m.bin");
        CommandRun e = run("embed", "--model", model.toString(), "--data", "synthetic:count=4,size=16,channels=1",
                "--out", dir.resolve("f.onnx").toString());
        assertEquals(2, e.code());
        assertTrue(e.err().contains(".npy or .csv"), e.err());
        byte[] before = Files.readAllBytes(model);
        CommandRun self = run("embed", "--model", model.toString(), "--data", "synthetic:count=4,size=16,channels=1",
                "--out", model.toString(), "--force");
        assertEquals(2, self.code());
        assertArrayEquals(before, Files.readAllBytes(model));
    }

    @Test
    void embedSkipsNamesAndCountsUnreadableImages() throws Exception {
        Path model = model();
        Path images = images(3);
        Files.write(images.resolve("a/broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        Files.write(images.resolve("b/bomb.png"), org.jepa4j.testing.CraftedImages.pngHeader(90_000, 90_000));
        Path npy = dir.resolve("f.npy");
        CommandRun r = run("embed", "--model", model.toString(), "--data", "folder:" + images, "--out", npy.toString(),
                "--batch-size", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("skipped 2 unreadable images of 8"), r.err());
        assertTrue(r.err().contains("broken.png") && r.err().contains("bomb.png"), r.err());
        assertArrayEquals(new long[] {6, 32}, Npy.read(npy).shape());
        assertArrayEquals(new long[] {0, 0, 0, 1, 1, 1}, Npy.read(dir.resolve("f.labels.npy")).toLongs());
    }

    @Test
    void aDatasetWithNoReadableImageIsAnError() throws Exception {
        Path model = model();
        Path images = dir.resolve("bad");
        Files.createDirectories(images.resolve("a"));
        Files.write(images.resolve("a/x.png"), new byte[] {1, 2, 3});
        Files.write(images.resolve("a/y.jpg"), new byte[0]);
        Path npy = dir.resolve("none.npy");
        CommandRun r = run("embed", "--model", model.toString(), "--data", "folder:" + images, "--out", npy.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("none of its 2 images is readable"), r.err());
        assertTrue(!Files.exists(npy));
    }

    @Test
    void evalLeavesUnreadableImagesOutOfEveryFeatureSet() throws Exception {
        Path model = model();
        Path images = dir.resolve("split");
        Random r = new Random(2);
        for (String split : List.of("train", "val")) {
            for (String cls : List.of("a", "b")) {
                Path d = Files.createDirectories(images.resolve(split).resolve(cls));
                for (int i = 0; i < 4; i++) {
                    BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_GRAY);
                    img.getRaster().setSample(r.nextInt(16), r.nextInt(16), 0, cls.equals("a") ? 255 : 10);
                    ImageIO.write(img, "png", d.resolve(i + ".png").toFile());
                }
            }
        }
        Files.write(images.resolve("train/a/zz-broken.png"), new byte[] {9, 9, 9});
        Path out = dir.resolve("report");
        CommandRun res = run("eval", "--model", model.toString(), "--data", "folder:" + images, "--out", out.toString(),
                "--epochs", "1");
        assertEquals(0, res.code(), res.err());
        assertTrue(res.err().contains("skipped 1 unreadable train image of 9"), res.err());
        String report = Files.readString(out.resolve("report.md"));
        assertTrue(report.contains(": 8 training and"), report);
    }
}
