package org.jepa4j.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An .npy header is checked against the file before its data is used: one line naming the file and the gap. */
class UntrustedNpyTest {
    @TempDir
    Path dir;

    /** A version-1 .npy file with header {@code dict} and {@code dataBytes} zero bytes of data. */
    private Path npy(String dict, int dataBytes, int claimedHeaderLength) throws IOException {
        byte[] h = dict.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(10 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) claimedHeaderLength).put(h);
        Path f = dir.resolve("x.npy");
        Files.write(f, b.array());
        return f;
    }

    @Test
    void aHeaderClaimingMoreRowsThanTheFileHoldsIsRefusedNamingTheRows() throws IOException {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 4), }\n";
        Path f = npy(dict, 3 * 16, dict.length()); // 3 rows of 4 floats
        IOException e = assertThrows(IOException.class, () -> Npy.read(f));
        String m = e.getMessage();
        assertTrue(m.contains("x.npy") && m.contains("1000 rows") && m.contains("holds 3") && m.contains("truncated"), m);
    }

    @Test
    void aHeaderLengthBeyondTheFileIsRefused() throws IOException {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }\n";
        Path f = npy(dict, 4, 60_000);
        IOException e = assertThrows(IOException.class, () -> Npy.read(f));
        assertTrue(e.getMessage().contains("x.npy") && e.getMessage().contains("60000"), e.getMessage());
    }

    @Test
    void negativeOrOverflowingShapesAreRefused() throws IOException {
        for (String shape : new String[] {"(-1, 4)", "(4294967296, 4294967296)", "(2, x)"}) {
            String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }\n";
            Path f = npy(dict, 32, dict.length());
            IOException e = assertThrows(IOException.class, () -> Npy.read(f), shape);
            assertTrue(e.getMessage().contains("x.npy") && e.getMessage().contains("shape"), e.getMessage());
        }
    }

    @Test
    void aCompleteFileStillReads() throws IOException {
        Path f = dir.resolve("ok.npy");
        Npy.writeFloats(f, new long[] {2, 2}, new float[] {1, 2, 3, 4});
        assertEquals(4f, Npy.read(f).toFloats()[3]);
    }
}
