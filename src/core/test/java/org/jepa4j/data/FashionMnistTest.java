package org.jepa4j.data;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.jepa4j.testing.Required.assume;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reads the installed Debian package; skipped where {@code dataset-fashion-mnist} is not installed. */
class FashionMnistTest {

    @Test
    void installedFashionMnistHasSixtyAndTenThousandLabelledImages() {
        assume(Files.isDirectory(Path.of(ImageSources.FASHION_MNIST_DIR)),
                "dataset-fashion-mnist is not installed");
        ImageDataset train = ImageSources.open("fashion-mnist", Split.TRAIN);
        ImageDataset test = ImageSources.open("fashion-mnist", Split.TEST);
        assertEquals(60_000, train.size());
        assertEquals(10_000, test.size());
        assertEquals(ImageSources.FASHION_MNIST_CLASSES, train.classNames());
        for (ImageDataset ds : new ImageDataset[] {train, test}) {
            int[] counts = new int[10];
            for (int i = 0; i < ds.size(); i++) {
                int l = ds.label(i);
                assertTrue(l >= 0 && l < 10, "label " + l);
                counts[l]++;
            }
            for (int c : counts) { // Fashion-MNIST is balanced: 6000 / 1000 per class
                assertEquals(ds.size() / 10, c);
            }
            Image img = ds.image(ds.size() - 1);
            assertEquals(1, img.channels());
            assertEquals(28, img.height());
            assertEquals(28, img.width());
        }
    }
}
