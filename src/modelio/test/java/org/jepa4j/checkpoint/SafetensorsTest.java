package org.jepa4j.checkpoint;

import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.tensor.NamedTensors;
import org.jepa4j.testing.FullDisk;
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
    void everyFlippedDataByteIsCaughtAndTheTensorNamed(@TempDir Path dir) throws IOException {
        NamedTensors t = NamedTensors.builder()
                .put("first", new FloatTensor(new long[] {3}, new float[] {1, 2, 3}))
                .put("second", new FloatTensor(new long[] {70_000}, new float[70_000])) // spans buffer flushes
                .build();
        Path f = dir.resolve("c.safetensors");
        Safetensors.write(f, t, Map.of("k", "v"));
        byte[] clean = Files.readAllBytes(f);
        long headerLen = ByteBuffer.wrap(clean, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        int dataStart = (int) (8 + headerLen);
        java.util.Random random = new java.util.Random(7);
        for (int trial = 0; trial < 40; trial++) {
            byte[] bad = clean.clone();
            int at = dataStart + random.nextInt(clean.length - dataStart);
            bad[at] ^= (byte) (1 << random.nextInt(8));
            Files.write(f, bad);
            IOException e = assertThrows(IOException.class, () -> Safetensors.read(f), "flipped byte " + at);
            String tensor = at < dataStart + 12 ? "'first'" : "'second'";
            assertTrue(e.getMessage().contains(tensor) && e.getMessage().contains("CRC32C")
                    && e.getMessage().contains("c.safetensors"), e.getMessage());
        }
    }

    @Test
    void changedMetadataIsCaught(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("m.safetensors");
        Safetensors.write(f, NamedTensors.builder().put("w", FloatTensor.zeros(2)).build(), Map.of("seed", "1234"));
        String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
        Files.write(f, text.replace("1234", "1235").getBytes(StandardCharsets.ISO_8859_1));
        IOException e = assertThrows(IOException.class, () -> Safetensors.read(f));
        assertTrue(e.getMessage().contains("metadata") && e.getMessage().contains("CRC32C"), e.getMessage());
    }

    @Test
    void checksumsAreNotPartOfTheMetadataReadBack(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("k.safetensors");
        Safetensors.write(f, NamedTensors.builder().put("w", FloatTensor.zeros(2)).build(), Map.of("k", "v"));
        assertEquals(Map.of("k", "v"), Safetensors.read(f).metadata());
        assertTrue(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1).contains(Safetensors.CHECKSUMS));
    }

    @Test
    void filesWithoutChecksumsStillRead(@TempDir Path dir) throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        byte[] hb = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + hb.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(hb.length).put(hb).putFloat(2.5f);
        Path f = dir.resolve("other.safetensors");
        Files.write(f, buf.array());
        assertArrayEquals(new float[] {2.5f}, Safetensors.read(f).tensors().get("w").data());
    }

    @Test
    void halfPrecisionConversionMatchesClosedForm() {
        assertEquals(65504f, Safetensors.halfToFloat((short) 0x7BFF));
        assertEquals(0x1p-24f, Safetensors.halfToFloat((short) 0x0001));
        assertEquals(-0.0f, Safetensors.halfToFloat((short) 0x8000));
        assertTrue(Float.isInfinite(Safetensors.halfToFloat((short) 0x7C00)));
        assertTrue(Float.isNaN(Safetensors.halfToFloat((short) 0x7E00)));
    }

    @Test
    void aFullDiskDuringACheckpointNamesTheCheckpoint(@TempDir Path dir) throws IOException {
        FullDisk.require();
        Path file = dir.resolve("latest.safetensors");
        NamedTensors tensors = NamedTensors.builder().put("w", new FloatTensor(new long[] {4}, new float[4])).build();
        IOException e = assertThrows(IOException.class, () -> Safetensors.write(file, Map.of("w", new long[] {4}),
                name -> {
                    FullDisk.write();
                    return tensors.get(name);
                }, Map.of(), (done, bytes) -> { }));
        assertTrue(e.getMessage().startsWith("cannot write " + file + ": no space left on the device"), e.getMessage());
        FullDisk.assertNothingLeft(dir);
    }
}
