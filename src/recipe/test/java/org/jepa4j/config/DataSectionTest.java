package org.jepa4j.config;

import org.jepa4j.data.DatasetResolver;
import org.jepa4j.data.ImageDataset;
import org.jepa4j.data.Preprocessing;
import org.jepa4j.data.TestImages;
import org.jepa4j.data.UnreadableImageException;
import org.jepa4j.pipeline.TrainTransform;
import org.jepa4j.testing.CraftedImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A run file's data section reaches the image readers and the preprocessing unchanged. */
class DataSectionTest {
    @TempDir
    Path dir;

    @Test
    void aRunsEvaluationTransformIsACentreCropOfCropSizeWithItsNormalisation() {
        RunConfig c = RunConfigLoader.parse("data:\n  crop_size: 28\n  channels: 1\n  mean: [0.25]\n  std: [0.5]\n"
                + "mask:\n  patch_size: 4\n  min_keep: 4\n", "test.yaml", List.of());
        DataConfig d = c.data();
        Preprocessing p = Preprocessing.of(d);
        assertEquals(28, p.imageSize());
        assertEquals(28, p.resizeSize());
        assertEquals(1, p.channels());
        assertArrayEquals(new double[] {0.25}, p.mean());
        assertArrayEquals(new double[] {0.5}, p.std());
        assertEquals(p, TrainTransform.of(d).normalisation());
    }

    @Test
    void theRunConfigsPixelLimitReachesTheFolderLoader() throws IOException {
        Files.createDirectories(dir.resolve("train/a"));
        TestImages.writeGreyPng(dir.resolve("train/a/ok.png"), 5, 7, 100);
        Files.write(dir.resolve("train/a/big.png"), CraftedImages.pngHeader(50, 50));
        RunConfig c = RunConfigLoader.parse("data:\n  source: folder:" + dir
                + "\n  max_pixels: 2000\n", "r.yaml", List.of());
        ImageDataset ds = DatasetResolver.train(c.data());
        UnreadableImageException e = assertThrows(UnreadableImageException.class, () -> ds.image(0));
        assertTrue(e.getMessage().contains("2000 (data.max_pixels)"), e.getMessage());
    }
}
