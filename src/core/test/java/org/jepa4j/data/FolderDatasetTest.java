package org.jepa4j.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FolderDatasetTest {
    @TempDir
    Path dir;

    @Test
    void classFoldersGiveSortedClassNamesAndLabels() throws IOException {
        // created out of order: the scan must sort classes and files
        TestImages.writeGreyPng(dir.resolve("zebra/b.png"), 5, 7, 200);
        TestImages.writeRgb(dir.resolve("ant/x.bmp"), "bmp", 4, 4, 10, 20, 30);
        TestImages.writeGreyPng(dir.resolve("zebra/a.PNG"), 5, 7, 100);
        TestImages.writeRgb(dir.resolve("mole/deep/c.jpg"), "jpg", 8, 8, 255, 255, 255);
        TestImages.writeRgb(dir.resolve("mole/d.gif"), "gif", 3, 3, 255, 0, 0);
        Files.createDirectories(dir.resolve("empty"));
        Files.writeString(dir.resolve("zebra/notes.txt"), "not an image");

        ImageDataset ds = ImageSources.open("folder:" + dir, Split.TRAIN);
        assertEquals(List.of("ant", "mole", "zebra"), ds.classNames());
        assertEquals(5, ds.size());
        int[] labels = new int[ds.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = ds.label(i);
        }
        assertArrayEquals(new int[] {0, 1, 1, 2, 2}, labels);
        FolderDataset folder = (FolderDataset) ds;
        assertEquals("d.gif", folder.file(1).getFileName().toString()); // "d.gif" sorts before "deep/"
        Image a = ds.image(3); // zebra/a.PNG
        assertEquals(1, a.channels());
        assertEquals(5, a.height());
        assertEquals(7, a.width());
        assertEquals(100 / 255f, a.at(0, 4, 6), 1e-6f);
        Image bmp = ds.image(0);
        assertEquals(3, bmp.channels());
        assertEquals(10 / 255f, bmp.at(0, 1, 1), 1e-6f);
        assertEquals(20 / 255f, bmp.at(1, 1, 1), 1e-6f);
        assertEquals(30 / 255f, bmp.at(2, 1, 1), 1e-6f);
        Image gif = ds.image(1);
        assertEquals(1f, gif.at(0, 2, 2), 1e-6f);
        assertEquals(0f, gif.at(1, 2, 2), 1e-6f);
    }

    @Test
    void flatFolderIsUnlabelled() throws IOException {
        TestImages.writeGreyPng(dir.resolve("2.png"), 4, 4, 2);
        TestImages.writeGreyPng(dir.resolve("1.png"), 4, 4, 1);
        ImageDataset ds = ImageSources.open("folder:" + dir, Split.TRAIN);
        assertEquals(2, ds.size());
        assertFalse(ds.labelled());
        assertEquals(-1, ds.label(0));
        assertEquals(1 / 255f, ds.image(0).at(0, 0, 0), 1e-7f);
    }

    @Test
    void trainAndValSubFoldersAreTheSplits() throws IOException {
        TestImages.writeGreyPng(dir.resolve("train/cat/1.png"), 4, 4, 1);
        TestImages.writeGreyPng(dir.resolve("train/dog/1.png"), 4, 4, 2);
        TestImages.writeGreyPng(dir.resolve("train/dog/2.png"), 4, 4, 3);
        TestImages.writeGreyPng(dir.resolve("val/cat/1.png"), 4, 4, 4);
        assertEquals(3, ImageSources.open("folder:" + dir, Split.TRAIN).size());
        ImageDataset val = ImageSources.open("folder:" + dir, Split.TEST);
        assertEquals(1, val.size());
        assertEquals(4 / 255f, val.image(0).at(0, 0, 0), 1e-7f);
    }

    @Test
    void testSplitOfAPlainFolderIsAnError() throws IOException {
        TestImages.writeGreyPng(dir.resolve("cat/1.png"), 4, 4, 1);
        var e = assertThrows(IllegalArgumentException.class, () -> ImageSources.open("folder:" + dir, Split.TEST));
        assertTrue(e.getMessage().contains("eval_source"), e.getMessage());
    }

    @Test
    void folderWithoutImagesIsAnErrorNamingIt() throws IOException {
        Files.writeString(dir.resolve("readme.txt"), "x");
        var e = assertThrows(IllegalArgumentException.class, () -> ImageSources.open("folder:" + dir, Split.TRAIN));
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
    }

    static byte[] pngHeader(int w, int h) {
        return org.jepa4j.testing.CraftedImages.pngHeader(w, h);
    }

    @Test
    void aHeaderDeclaringTooManyPixelsIsRefusedBeforeDecodingNamedAndCounted() throws IOException {
        TestImages.writeGreyPng(dir.resolve("a/ok.png"), 5, 7, 100);
        Files.write(dir.resolve("a/bomb.png"), pngHeader(100_000, 100_000));
        Files.write(dir.resolve("a/wide.png"), pngHeader(64, 64));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        FolderDataset ds = FolderDataset.scan(dir, "t", new PrintStream(err, true, StandardCharsets.UTF_8),
                new BoundedImageDecoder(1000, "data.max_pixels"));
        assertEquals(3, ds.size());
        long t0 = System.nanoTime();
        UnreadableImageException e = assertThrows(UnreadableImageException.class, () -> ds.image(0)); // bomb.png
        assertTrue((System.nanoTime() - t0) / 1e9 < 5, "refused from the header, not decoded");
        assertTrue(e.getMessage().contains("bomb.png") && e.getMessage().contains("data.max_pixels")
                && e.getMessage().contains("100000x100000"), e.getMessage());
        assertTrue(ds.image(1).height() > 0); // ok.png decodes
        assertThrows(UnreadableImageException.class, () -> ds.image(2)); // 64x64 = 4096 > 1000
        assertEquals(2, ds.unreadableCount());
        String warnings = err.toString(StandardCharsets.UTF_8);
        assertTrue(warnings.contains("bomb.png") && warnings.contains("wide.png"), warnings);
        assertTrue(ds.unreadableSummary().contains("skipped 2 unreadable files"), ds.unreadableSummary());
    }

    @Test
    void aJpegHeaderDeclaringTooManyPixelsIsRefusedBeforeDecoding() throws IOException {
        Files.createDirectories(dir.resolve("a"));
        Files.write(dir.resolve("a/bomb.jpg"), org.jepa4j.testing.CraftedImages.jpegDeclaring(60_000, 60_000));
        TestImages.writeGreyPng(dir.resolve("a/ok.png"), 5, 7, 100);
        FolderDataset ds = FolderDataset.scan(dir, "t", new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8), new BoundedImageDecoder(40_000_000, "data.max_pixels"));
        long t0 = System.nanoTime();
        UnreadableImageException e = assertThrows(UnreadableImageException.class, () -> ds.image(0)); // bomb.jpg
        assertTrue((System.nanoTime() - t0) / 1e9 < 5, "refused from the header, not decoded");
        assertTrue(e.getMessage().contains("bomb.jpg") && e.getMessage().contains("60000x60000")
                && e.getMessage().contains("data.max_pixels"), e.getMessage());
        assertTrue(ds.image(1).height() > 0);
        assertEquals(1, ds.unreadableCount());
    }

    @Test
    void aSymlinkLoopAndAnUnreadableFolderAreSkippedWithAWarning() throws IOException {
        TestImages.writeGreyPng(dir.resolve("cls/a.png"), 5, 7, 100);
        TestImages.writeGreyPng(dir.resolve("cls/sub/b.png"), 5, 7, 120);
        Files.createSymbolicLink(dir.resolve("cls/sub/loop"), dir.resolve("cls"));
        Path locked = Files.createDirectories(dir.resolve("cls/locked"));
        TestImages.writeGreyPng(locked.resolve("c.png"), 5, 7, 140);
        boolean canLock = locked.toFile().setReadable(false) && !Files.isReadable(locked); // root reads anyway
        Files.createSymbolicLink(dir.resolve("cls/dangling.png"), dir.resolve("gone.png")); // ignored, not fatal
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            FolderDataset ds = FolderDataset.scan(dir, "t", new PrintStream(err, true, StandardCharsets.UTF_8));
            String warnings = err.toString(StandardCharsets.UTF_8);
            assertTrue(warnings.contains("loops back"), warnings);
            assertEquals(canLock ? 2 : 3, ds.size(), "a.png, sub/b.png (and locked/c.png when readable)");
            assertEquals(canLock ? 2 : 1, ds.skippedEntries());
            if (canLock) {
                assertTrue(warnings.contains("locked") && warnings.contains("permission denied"), warnings);
            }
            assertTrue(ds.unreadableSummary().contains("could not be listed"), ds.unreadableSummary());
        } finally {
            locked.toFile().setReadable(true);
        }
    }
}
