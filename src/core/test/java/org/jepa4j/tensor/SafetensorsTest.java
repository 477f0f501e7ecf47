package org.jepa4j.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class SafetensorsTest {

    @Test
    void writeThenReadGivesTheSameTensorsAndMetadata(@TempDir Path dir) throws IOException {
        NamedTensors t = NamedTensors.builder()
                .put("a.weight", new FloatTensor(new long[] {2, 3}, new float[] {1, -2, 3.5f, Float.MIN_VALUE, 0, -0f}))
                .put("scalar", new FloatTensor(new long[] {}, new float[] {42}))
                .put("empty", new FloatTensor(new long[] {0, 4}, new float[0]))
                .build();
        Path f = dir.resolve("x.safetensors");
        Safetensors.write(f, t, Map.of("k", "v \"quoted\""));
        Safetensors.Contents c = Safetensors.read(f);
        assertEquals(t, c.tensors());
        assertEquals(java.util.List.copyOf(t.names()), java.util.List.copyOf(c.tensors().names()), "order kept");
        assertEquals("v \"quoted\"", c.metadata().get("k"));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void readsOtherDtypesAsFloat(@TempDir Path dir) throws IOException {
        // hand-made file: F16 [2] = {1.0, -2.5}, BF16 [1] = {3.0}, I64 [1] = {7}
        String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[4,6]},"
                + "\"i\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[6,14]}}";
        byte[] hb = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + hb.length + 14).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(hb.length).put(hb);
        buf.putShort((short) 0x3C00).putShort((short) 0xC100); // 1.0, -2.5 in binary16
        buf.putShort((short) (Float.floatToIntBits(3.0f) >>> 16));
        buf.putLong(7);
        Path f = dir.resolve("d.safetensors");
        Files.write(f, buf.array());
        NamedTensors t = Safetensors.read(f).tensors();
        assertArrayEquals(new float[] {1.0f, -2.5f}, t.get("h").data());
        assertArrayEquals(new float[] {3.0f}, t.get("b").data());
        assertArrayEquals(new float[] {7f}, t.get("i").data());
    }

    @Test
    void truncatedFileIsRejectedWithItsName(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("bad.safetensors");
        Safetensors.write(f, NamedTensors.builder().put("w", FloatTensor.zeros(4, 4)).build(), Map.of());
        byte[] all = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(all, all.length - 8));
        IOException e = assertThrows(IOException.class, () -> Safetensors.read(f));
        assertTrue(e.getMessage().contains("bad.safetensors") && e.getMessage().contains("'w'"), e.getMessage());
    }

    @Test
    void halfPrecisionConversionMatchesClosedForm() {
        assertEquals(65504f, Safetensors.halfToFloat((short) 0x7BFF));
        assertEquals(0x1p-24f, Safetensors.halfToFloat((short) 0x0001));
        assertEquals(-0.0f, Safetensors.halfToFloat((short) 0x8000));
        assertTrue(Float.isInfinite(Safetensors.halfToFloat((short) 0x7C00)));
        assertTrue(Float.isNaN(Safetensors.halfToFloat((short) 0x7E00)));
    }
}
