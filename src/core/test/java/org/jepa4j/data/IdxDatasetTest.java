package org.jepa4j.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdxDatasetTest {
    @TempDir
    Path dir;

    private static byte[] greyValues(int n, int h, int w) {
        byte[] v = new byte[n * h * w];
        for (int i = 0; i < n; i++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    v[(i * h + y) * w + x] = (byte) TestImages.pixel(i, y, x, 0);
                }
            }
        }
        return v;
    }

    private static void assertGrey(ImageDataset ds, int n, int h, int w) {
        assertEquals(n, ds.size());
        for (int i = 0; i < n; i++) {
            Image img = ds.image(i);
            assertEquals(1, img.channels());
            assertEquals(h, img.height());
            assertEquals(w, img.width());
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    assertEquals(TestImages.pixel(i, y, x, 0) / 255f, img.at(0, y, x), 0f);
                }
            }
        }
    }

    @Test
    void gzipAndRawFilesParseToTheSamePixelsAndLabels() throws IOException {
        byte[] labels = {3, 0, 2, 1, 3};
        for (boolean gzip : new boolean[] {true, false}) {
            Path images = TestImages.writeIdx(dir.resolve("img" + gzip), new int[] {5, 4, 6}, greyValues(5, 4, 6), gzip);
            Path lab = TestImages.writeIdx(dir.resolve("lab" + gzip), new int[] {5}, labels, gzip);
            ImageDataset ds = ImageSources.open("idx:" + images + "," + lab, Split.TRAIN);
            assertGrey(ds, 5, 4, 6);
            for (int i = 0; i < 5; i++) {
                assertEquals(labels[i], ds.label(i));
            }
            assertEquals(List.of("0", "1", "2", "3"), ds.classNames());
            assertTrue(ds.labelled());
        }
    }

    @Test
    void imagesWithoutLabelsAreUnlabelled() throws IOException {
        Path images = TestImages.writeIdx(dir.resolve("img"), new int[] {3, 2, 2}, greyValues(3, 2, 2), false);
        ImageDataset ds = ImageSources.open("idx:" + images, Split.TRAIN);
        assertGrey(ds, 3, 2, 2);
        assertEquals(-1, ds.label(2));
        assertFalse(ds.labelled());
    }

    @Test
    void channelsLastImagesBecomeChannelsFirst() throws IOException {
        int n = 2, h = 3, w = 4, c = 3;
        byte[] v = new byte[n * h * w * c];
        for (int i = 0; i < n; i++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    for (int ch = 0; ch < c; ch++) {
                        v[((i * h + y) * w + x) * c + ch] = (byte) TestImages.pixel(i, y, x, ch);
                    }
                }
            }
        }
        Path images = TestImages.writeIdx(dir.resolve("rgb.gz"), new int[] {n, h, w, c}, v, true);
        ImageDataset ds = ImageSources.open("idx:" + images, Split.TRAIN);
        Image img = ds.image(1);
        assertEquals(3, img.channels());
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int ch = 0; ch < c; ch++) {
                    assertEquals(TestImages.pixel(1, y, x, ch) / 255f, img.at(ch, y, x), 0f);
                }
            }
        }
    }

    @Test
    void badMagicErrorNamesTheFile() throws IOException {
        Path bad = dir.resolve("not-idx.gz");
        Files.write(bad, new byte[] {0x12, 0x34, 0x08, 0x03, 0, 0, 0, 1});
        var e = assertThrows(IllegalArgumentException.class, () -> ImageSources.open("idx:" + bad, Split.TRAIN));
        assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("magic"), e.getMessage());
    }

    @Test
    void countMismatchErrorNamesBothFiles() throws IOException {
        Path images = TestImages.writeIdx(dir.resolve("img"), new int[] {4, 2, 2}, greyValues(4, 2, 2), true);
        Path labels = TestImages.writeIdx(dir.resolve("lab"), new int[] {3}, new byte[] {0, 1, 2}, true);
        var e = assertThrows(IllegalArgumentException.class,
                () -> ImageSources.open("idx:" + images + "," + labels, Split.TRAIN));
        assertTrue(e.getMessage().contains(images.toString()) && e.getMessage().contains(labels.toString()),
                e.getMessage());
        assertTrue(e.getMessage().contains("4") && e.getMessage().contains("3"), e.getMessage());
    }

    @Test
    void truncatedFileIsAnErrorNamingIt() throws IOException {
        Path images = TestImages.writeIdx(dir.resolve("img"), new int[] {4, 2, 2}, new byte[10], false);
        var e = assertThrows(IllegalArgumentException.class, () -> ImageSources.open("idx:" + images, Split.TRAIN));
        assertTrue(e.getMessage().contains(images.toString()) && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void testSplitOfASingleSplitSourceIsAnError() throws IOException {
        Path images = TestImages.writeIdx(dir.resolve("img"), new int[] {2, 2, 2}, new byte[8], false);
        var e = assertThrows(IllegalArgumentException.class, () -> ImageSources.open("idx:" + images, Split.TEST));
        assertTrue(e.getMessage().contains("eval_source"), e.getMessage());
        assertEquals(2, ImageSources.openHeldOut("idx:" + images).size());
    }
}
