package org.jepa4j.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class NpyTest {

    @Test
    void floatAndLongArraysRoundTrip(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("a.npy");
        Npy.writeFloats(f, new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, -6.5f});
        Npy.Array a = Npy.read(f);
        assertArrayEquals(new long[] {2, 3}, a.shape());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, -6.5f}, a.toFloats());
        Path g = dir.resolve("b.npy");
        Npy.writeLongs(g, new long[] {3}, new long[] {7, -1, Long.MAX_VALUE});
        assertArrayEquals(new long[] {7, -1, Long.MAX_VALUE}, Npy.read(g).toLongs());
        // the header is padded so the data starts at a multiple of 64 bytes (format 1.0)
        assertEquals(0, (Files.size(g) - 24) % 64);
    }

    @Test
    void arraysLongerThanOneWriteChunkKeepEveryValueInOrder(@TempDir Path dir) throws IOException {
        // large arrays are streamed in chunks; values straddling a chunk boundary must survive
        int n = Npy.CHUNK_BYTES / 4 * 2 + 3;
        float[] values = new float[n];
        long[] longs = new long[n];
        for (int i = 0; i < n; i++) {
            values[i] = i * 0.5f - 7;
            longs[i] = (long) i * 1_000_003L - 5;
        }
        Path f = dir.resolve("big.npy");
        Npy.writeFloats(f, new long[] {n}, values);
        assertArrayEquals(values, Npy.read(f).toFloats());
        Path g = dir.resolve("big_longs.npy");
        Npy.writeLongs(g, new long[] {n}, longs);
        assertArrayEquals(longs, Npy.read(g).toLongs());
    }

    @Test
    void shapeThatDoesNotMatchTheValuesIsRejected(@TempDir Path dir) {
        Path f = dir.resolve("bad.npy");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Npy.writeFloats(f, new long[] {2, 2}, new float[5]));
        assertTrue(e.getMessage().contains("bad.npy") && e.getMessage().contains("5"), e.getMessage());
        assertFalse(Files.exists(f));
    }

    @Test
    void readsTheOfficialFixtureImages() throws IOException {
        Path fixture = org.jepa4j.testing.OfficialFixture.load().dir.resolve("images.npy");
        Npy.Array a = Npy.read(fixture);
        assertArrayEquals(new long[] {3, 3, 32, 32}, a.shape());
        assertEquals("<f4", a.dtype());
    }

    @Test
    void notAnNpyFileIsRejectedWithItsName(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("x.npy");
        Files.writeString(f, "hello world, not numpy");
        IOException e = assertThrows(IOException.class, () -> Npy.read(f));
        assertTrue(e.getMessage().contains("x.npy"));
    }
}
