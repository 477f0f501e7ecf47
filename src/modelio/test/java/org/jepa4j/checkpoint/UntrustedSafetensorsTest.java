package org.jepa4j.checkpoint;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A safetensors header is validated whole before any data is read: hand-made headers that
 * overlap, leave gaps, reach outside the file, disagree with dtype x shape or name a tensor twice
 * are refused with one line naming the file and what was expected.
 */
class UntrustedSafetensorsTest {
    @TempDir
    Path dir;

    /** A file of {@code header} (JSON) followed by {@code dataBytes} bytes of 1.0f floats (and zeros after). */
    private Path file(String header, int dataBytes) throws IOException {
        byte[] hb = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + hb.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(hb.length).put(hb);
        while (buf.remaining() >= 4) {
            buf.putFloat(1f);
        }
        Path f = dir.resolve("hostile.safetensors");
        Files.write(f, buf.array());
        return f;
    }

    private void refused(String header, int dataBytes, String... expected) throws IOException {
        Path f = file(header, dataBytes);
        IOException e = assertThrows(IOException.class, () -> Safetensors.read(f), header);
        String m = e.getMessage();
        assertTrue(m.contains("hostile.safetensors"), m);
        for (String x : expected) {
            assertTrue(m.contains(x), "expected '" + x + "' in: " + m);
        }
        assertTrue(m.lines().count() == 1, m);
    }

    @Test
    void wellFormedPackedTensorsStillRead() throws IOException {
        Path f = file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12);
        assertArrayEquals(new float[] {1f, 1f}, Safetensors.read(f).tensors().get("a").data());
    }

    @Test
    void overlappingTensorsAreRefusedNamingBoth() throws IOException {
        refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "'a'", "'b'", "overlap");
        // one tensor inside another, the same bytes twice
        refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "overlap");
    }

    @Test
    void offsetsOutsideTheFileAreRefused() throws IOException {
        refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8, "'a'", "outside");
        refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 8, "'a'");
        refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[99999999999999999999,4]}}", 8, "'a'");
    }

    @Test
    void aSizeOtherThanDtypeTimesShapeIsRefused() throws IOException {
        refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "'a'", "needs 12 bytes");
        refused("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "'a'", "needs 4 bytes");
        refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "'a'", "shape");
        refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[65536,65536],\"data_offsets\":[0,4]}}", 4, "'a'");
        refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4, "'a'", "shape");
    }

    @Test
    void bytesBelongingToNoTensorAreRefused() throws IOException {
        refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "belong to no tensor");
        refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8, "packed end to end");
    }

    @Test
    void aHeaderLengthBeyondTheFileIsRefused() throws IOException {
        byte[] hb = "{}".getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + hb.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(1_000_000).put(hb);
        Path f = dir.resolve("long.safetensors");
        Files.write(f, buf.array());
        IOException e = assertThrows(IOException.class, () -> Safetensors.read(f));
        assertTrue(e.getMessage().contains("long.safetensors") && e.getMessage().contains("header length"), e.getMessage());
    }

    @Test
    void aTensorNamedTwiceIsRefused() throws IOException {
        refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "twice");
    }

    @Test
    void aHeaderThatIsNotAnObjectOfTensorsIsRefused() throws IOException {
        refused("[1,2]", 0, "not a JSON object");
        refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "'a'", "data_offsets");
        refused("{\"a\":{\"dtype\":\"X9\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "'a'", "dtype");
    }
}
