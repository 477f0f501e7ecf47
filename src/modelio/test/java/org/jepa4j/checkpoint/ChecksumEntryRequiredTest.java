package org.jepa4j.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.jepa4j.checkpoint.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Removing a checkpoint's checksum entry does not switch the check off: the file is refused, or taken with a warning when asked. */
class ChecksumEntryRequiredTest {
    /** Rewrites {@code file}'s header without the checksum entry, the data unchanged. */
    static void removeChecksumEntry(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        long len = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = (ObjectNode) json.readTree(new String(all, 8, (int) len, StandardCharsets.UTF_8));
        ((ObjectNode) header.get("__metadata__")).remove(Safetensors.CHECKSUMS);
        byte[] hb = json.writeValueAsBytes(header);
        byte[] data = Arrays.copyOfRange(all, (int) (8 + len), all.length);
        ByteBuffer out = ByteBuffer.allocate(8 + hb.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(hb.length).put(hb).put(data);
        Files.write(file, out.array());
    }

    @Test
    void aCheckpointWhoseChecksumEntryWasRemovedIsRefusedOrTakenWithAWarning(@TempDir Path run) throws IOException {
        Path file = CheckpointTest.writeZeros(run);
        removeChecksumEntry(file);
        assertTrue(!Safetensors.read(file).verified(), "the entry is gone");

        IOException e = assertThrows(IOException.class, () -> Checkpoint.read(run));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("no checksums")
                && e.getMessage().contains("--accept-unchecked"), e.getMessage());

        ByteArrayOutputStream warned = new ByteArrayOutputStream();
        Checkpoint taken = Checkpoint.read(run, new PrintStream(warned, true, StandardCharsets.UTF_8));
        assertEquals(CheckpointTest.SPEC, taken.modelSpec());
        assertTrue(warned.toString(StandardCharsets.UTF_8).startsWith("WARNING: " + file), warned.toString());
    }
}
