package org.jepa4j.spark;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code spark-embed --mode overwrite} replaces only a complete earlier output of spark-embed
 * ({@code _SUCCESS} and Spark's part files), never the input, the model, a folder holding them, a
 * folder of other files or a plain file; and removes the hidden folders a killed run left.
 */
class OverwriteSafetyTest {
    @TempDir
    Path dir;

    private static OutputCommit overwrite(Path out) {
        return new OutputCommit(out.toString(), OutputCommit.Mode.OVERWRITE, new Configuration());
    }

    private Path images() throws Exception {
        Path in = Files.createDirectories(dir.resolve("images/a"));
        Files.write(in.resolve("1.png"), new byte[] {1});
        Files.write(in.resolve("2.png"), new byte[] {2});
        return dir.resolve("images");
    }

    private static void refused(ThrowingRunnable r, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "expected '" + p + "' in: " + e.getMessage());
        }
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void overwriteRefusesTheInputTheModelAndAnyFolderHoldingThem() throws Exception {
        Path images = images();
        Files.createDirectories(dir.resolve("models"));
        Path model = Files.writeString(dir.resolve("models/m.onnx"), "model");
        InputListing listing = InputListing.of(images.toString(), new Configuration());
        for (Path out : List.of(images, images.resolve("a"), dir, dir.resolve("models"), images.resolve("a/x"),
                model, dir.resolve("other/../images"))) {
            refused(() -> overwrite(out).requireApartFrom(images.toString(), listing, model), "--out " + out.normalize());
        }
        // a list file's images count as input wherever they live
        Path list = Files.writeString(dir.resolve("list.txt"), images.resolve("a/1.png") + "\n");
        InputListing listed = InputListing.of(list.toString(), new Configuration());
        refused(() -> overwrite(images).requireApartFrom(list.toString(), listed, model), "contains the input image");
        assertDoesNotThrow(() -> overwrite(dir.resolve("features")).requireApartFrom(images.toString(), listing, model));
        assertTrue(Files.exists(images.resolve("a/1.png")) && Files.exists(model));
    }

    @Test
    void overwriteReplacesOnlyACompleteEarlierOutputOfSparkEmbed() throws Exception {
        Path own = Files.createDirectories(dir.resolve("own"));
        Files.writeString(own.resolve("_SUCCESS"), "");
        Files.writeString(own.resolve("._SUCCESS.crc"), "");
        Files.writeString(own.resolve("part-00000-abc.snappy.parquet"), "x");
        Files.writeString(own.resolve(".part-00000-abc.snappy.parquet.crc"), "x");
        assertDoesNotThrow(() -> overwrite(own).check());

        Path foreign = Files.createDirectories(dir.resolve("foreign"));
        Files.writeString(foreign.resolve("_SUCCESS"), "");
        Files.writeString(foreign.resolve("thesis.tex"), "years of work");
        refused(() -> overwrite(foreign).check(), "thesis.tex", "does not write");

        Path incomplete = Files.createDirectories(dir.resolve("incomplete"));
        Files.writeString(incomplete.resolve("part-00000.json"), "{}");
        refused(() -> overwrite(incomplete).check(), "no _SUCCESS");

        Path file = Files.writeString(dir.resolve("plain.txt"), "x");
        refused(() -> overwrite(file).check(), "is a file");

        Path nested = Files.createDirectories(dir.resolve("nested/sub"));
        Files.writeString(dir.resolve("nested/_SUCCESS"), "");
        refused(() -> overwrite(dir.resolve("nested")).check(), "sub", "a folder");
    }

    @Test
    void aLaterRunRemovesTheHiddenFoldersADeadRunLeftAndRestoresAnOutputCaughtBetweenRenames() throws Exception {
        long dead = deadPid();
        Path out = dir.resolve("features");
        Path staleNew = Files.createDirectories(dir.resolve(".features.jepa4j-" + dead + "@" + host() + "-abcd1234.new/_temporary"));
        Path oldOutput = Files.createDirectories(dir.resolve(".features.jepa4j-" + dead + "@" + host() + "-abcd1234.old"));
        Files.writeString(oldOutput.resolve("_SUCCESS"), "");
        Path live = Files.createDirectories(dir.resolve(".features" + org.jepa4j.io.OutputGuard.writerTag() + "-x.new"));
        Path unrelated = Files.createDirectories(dir.resolve(".features.backup"));
        overwrite(out).check();
        assertTrue(!Files.exists(staleNew.getParent()), "the dead run's new folder is removed");
        assertTrue(Files.exists(out.resolve("_SUCCESS")), "the old output, moved aside when the run died, is back");
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(live, unrelated, out).stream().map(Path::getFileName).sorted().toList(),
                    s.map(Path::getFileName).sorted().toList());
        }
    }

    /** This machine's name as temporaries carry it. */
    static String host() {
        String tag = org.jepa4j.io.OutputGuard.writerTag();
        return tag.substring(tag.indexOf('@') + 1);
    }

    /** A process id that is not alive: a finished child's. */
    static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }
}
