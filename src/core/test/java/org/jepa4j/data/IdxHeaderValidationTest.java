package org.jepa4j.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An IDX header is checked against the file before data is allocated; truncation anywhere is one clear line. */
class IdxHeaderValidationTest {
    @TempDir
    Path dir;

    @Test
    void aHeaderClaimingMoreImagesThanTheFileHoldsIsRefusedBeforeAllocating() throws IOException {
        // 2 billion 1x1 images claimed, 3 present: refused from the file size, not by an out-of-memory error
        Path f = TestImages.writeIdx(dir.resolve("claim"), new int[] {2_000_000_000, 1, 1}, new byte[3], false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IdxFile.read(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("truncated")
                && e.getMessage().contains("2000000000"), e.getMessage());
    }

    @Test
    void aGzipFileCutShortIsRefusedNamingTheFile() throws IOException {
        byte[] values = new byte[50 * 64];
        new java.util.Random(3).nextBytes(values); // incompressible: the cuts fall inside the image data
        Path whole = TestImages.writeIdx(dir.resolve("whole.gz"), new int[] {50, 8, 8}, values, true);
        byte[] all = Files.readAllBytes(whole);
        for (int cut : new int[] {12, all.length / 2, all.length - 100}) {
            Path f = dir.resolve("cut" + cut + ".gz");
            Files.write(f, Arrays.copyOf(all, cut));
            RuntimeException e = assertThrows(RuntimeException.class, () -> IdxFile.read(f), "cut at " + cut);
            assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
            assertTrue(e instanceof IllegalArgumentException || e instanceof java.io.UncheckedIOException, e.toString());
        }
    }

    @Test
    void aRankOrDimensionsOverflowingAnArrayAreRefused() throws IOException {
        Path f = TestImages.writeIdx(dir.resolve("big"), new int[] {65536, 65536, 2}, new byte[4], false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IdxFile.read(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("more values"), e.getMessage());
    }
}
