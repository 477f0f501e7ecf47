package org.jepa4j.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageSourcesTest {
    @TempDir
    Path dir;

    /** A data section's image settings (the run config's DataConfig is one; it lives in jepa4j-recipe). */
    private record Settings(String source, String evalSource, String rootPath, String imageFolder, int limit,
                            long maxPixels, int cropSize, int channels, List<Double> mean, List<Double> std)
            implements DataSettings {
    }

    /** The reference config's placeholder root path, as the shipped files have it. */
    private static final String PLACEHOLDER_ROOT = "$replace_this_with_absolute_path_to_your_datasets_directory";

    private static DataSettings data(String source, String evalSource, String root, String folder, int limit) {
        return new Settings(source, evalSource, root, folder, limit, BoundedImageDecoder.DEFAULT_MAX_PIXELS, 224, 3,
                List.of(0.485, 0.456, 0.406), List.of(0.229, 0.224, 0.225));
    }

    @Test
    void unknownOrIncompleteSpecsNameTheSpecAndTheAcceptedForms() {
        for (String spec : new String[] {"imagenet", "idx:", "folder", "synthetic:count=ten", "synthetic:colour=3",
                "idx:a,b,c"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> ImageSources.open(spec, Split.TRAIN));
            assertTrue(e.getMessage().contains("'" + spec + "'"), e.getMessage());
            assertTrue(e.getMessage().contains("fashion-mnist[:DIR]") || e.getMessage().contains("[count"), e.getMessage());
        }
    }

    @Test
    void aBareFolderOrFileSuggestsTheFormThatReadsIt() throws IOException {
        Path photos = java.nio.file.Files.createDirectories(dir.resolve("photos"));
        Path images = java.nio.file.Files.writeString(dir.resolve("train-images-idx3-ubyte"), "x");
        var folder = assertThrows(IllegalArgumentException.class, () -> ImageSources.open(photos.toString(), Split.TRAIN));
        assertTrue(folder.getMessage().contains("did you mean folder:" + photos + "?"), folder.getMessage());
        var check = assertThrows(IllegalArgumentException.class, () -> ImageSources.checkSpec(photos.toString()));
        assertEquals(folder.getMessage(), check.getMessage(), "config and train refuse it with the same words");
        var file = assertThrows(IllegalArgumentException.class, () -> ImageSources.open(images.toString(), Split.TRAIN));
        assertTrue(file.getMessage().contains("did you mean idx:" + images), file.getMessage());
        var none = assertThrows(IllegalArgumentException.class,
                () -> ImageSources.open(dir.resolve("absent").toString(), Split.TRAIN));
        assertFalse(none.getMessage().contains("did you mean"), none.getMessage());
    }

    @Test
    void missingFashionMnistSuggestsTheDebianPackage() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> ImageSources.open("fashion-mnist:" + dir, Split.TRAIN));
        assertTrue(e.getMessage().contains("apt-get install dataset-fashion-mnist"), e.getMessage());
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
    }

    @Test
    void syntheticImagesAreAPureFunctionOfTheSeed() {
        ImageDataset a = ImageSources.open("synthetic:count=20,size=12,channels=2,classes=4,seed=7", Split.TRAIN);
        ImageDataset b = ImageSources.open("synthetic:seed=7,classes=4,channels=2,size=12,count=20", Split.TRAIN);
        ImageDataset other = ImageSources.open("synthetic:count=20,size=12,channels=2,classes=4,seed=8", Split.TRAIN);
        ImageDataset test = ImageSources.open("synthetic:count=20,size=12,channels=2,classes=4,seed=7", Split.TEST);
        assertEquals(20, a.size());
        assertEquals(5, test.size()); // test_count defaults to count/4
        boolean[] seen = new boolean[4];
        for (int i = 0; i < 20; i++) {
            Image x = a.image(i);
            assertEquals(2, x.channels());
            assertEquals(12, x.height());
            assertArrayEquals(x.pixels(), b.image(i).pixels(), 0f);
            assertEquals(a.label(i), b.label(i));
            assertNotEquals(java.util.Arrays.toString(x.pixels()), java.util.Arrays.toString(other.image(i).pixels()));
            for (float v : x.pixels()) {
                assertTrue(v >= 0 && v <= 1);
            }
            seen[a.label(i)] = true;
        }
        assertTrue(seen[0] && seen[1] && seen[2] && seen[3], "20 draws over 4 classes hit every class");
        assertNotEquals(java.util.Arrays.toString(a.image(0).pixels()), java.util.Arrays.toString(test.image(0).pixels()));
    }

    @Test
    void syntheticClassesDifferInTheirMeanImage() {
        // the grating orientation depends on the class: class means must differ clearly, within-class noise averages out
        ImageDataset ds = ImageSources.open("synthetic:count=400,size=16,channels=1,classes=2,seed=1", Split.TRAIN);
        double[][] sum = new double[2][256];
        int[] n = new int[2];
        for (int i = 0; i < ds.size(); i++) {
            float[] px = ds.image(i).pixels();
            int l = ds.label(i);
            n[l]++;
            double m = 0;
            for (float v : px) {
                m += v;
            }
            m /= px.length;
            for (int k = 0; k < 256; k++) { // squared deviation from the image mean: phase-independent energy map
                sum[l][k] += (px[k] - m) * (px[k] - m);
            }
        }
        double diff = 0;
        for (int k = 0; k < 256; k++) {
            diff += Math.abs(sum[0][k] / n[0] - sum[1][k] / n[1]);
        }
        assertTrue(diff / 256 > 1e-3, "class energy maps differ by " + diff / 256);
        assertTrue(n[0] > 100 && n[1] > 100);
    }

    @Test
    void placeholderRootPathIsAnErrorNamingTheKey() {
        var e = assertThrows(IllegalArgumentException.class, () -> DatasetResolver.train(data(null, null, PLACEHOLDER_ROOT,
                "imagenet_full_size/061417/", 0)));
        assertTrue(e.getMessage().contains("data.root_path"), e.getMessage());
    }

    @Test
    void resolverReadsRootPathImageFolderTrainAndValAndAppliesTheLimit() throws IOException {
        for (int i = 0; i < 5; i++) {
            TestImages.writeGreyPng(dir.resolve("in1k/train/c" + (i % 2) + "/" + i + ".png"), 4, 4, i);
        }
        TestImages.writeGreyPng(dir.resolve("in1k/val/c0/x.png"), 4, 4, 9);
        DataSettings d = data(null, null, dir.toString(), "in1k", 0);
        assertEquals(5, DatasetResolver.train(d).size());
        assertEquals(1, DatasetResolver.eval(d).size());
        ImageDataset limited = DatasetResolver.train(data(null, null, dir.toString(), "in1k", 3));
        assertEquals(3, limited.size());
        assertThrows(IndexOutOfBoundsException.class, () -> limited.image(3));
        assertTrue(limited.description().contains("first 3"));
    }

    @Test
    void evalSourceIsUsedAsTheHeldOutSet() throws IOException {
        Path train = TestImages.writeIdx(dir.resolve("tr"), new int[] {6, 2, 2}, new byte[24], true);
        Path test = TestImages.writeIdx(dir.resolve("te"), new int[] {2, 2, 2}, new byte[8], true);
        DataSettings d = data("idx:" + train, "idx:" + test, null, null, 0);
        assertEquals(6, DatasetResolver.train(d).size());
        assertEquals(2, DatasetResolver.eval(d).size());
        var e = assertThrows(IllegalArgumentException.class,
                () -> DatasetResolver.eval(data("idx:" + train, null, null, null, 0)));
        assertTrue(e.getMessage().contains("data.eval_source"), e.getMessage());
        assertFalse(DatasetResolver.train(d).labelled());
    }
}
