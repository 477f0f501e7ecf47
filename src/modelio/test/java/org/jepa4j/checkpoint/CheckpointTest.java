package org.jepa4j.checkpoint;

import org.jepa4j.model.EncoderSpec;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.model.ParameterNames;
import org.jepa4j.model.PredictorSpec;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.tensor.NamedTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class CheckpointTest {
    static final ModelSpec SPEC = new ModelSpec(new EncoderSpec(16, 4, 3, 32, 1, 2, 128),
            new PredictorSpec(16, 1, 2, 64));

    /** Every tensor of {@link #SPEC} zero, as {@code run}'s latest checkpoint; returns its file. */
    static Path writeZeros(Path run) throws IOException {
        NamedTensors.Builder b = NamedTensors.builder();
        ParameterNames.all(SPEC).forEach((name, shape) -> b.put(name, FloatTensor.zeros(shape)));
        Path file = run.resolve("checkpoints").resolve(Checkpoint.LATEST);
        new Checkpoint(b.build(), Map.of(Checkpoint.MODEL, Checkpoint.modelSpecJson(SPEC))).write(file);
        return file;
    }

    @Test
    void runFolderResolvesToLatestAndModelSpecRoundTrips(@TempDir Path run) throws IOException {
        NamedTensors.Builder b = NamedTensors.builder();
        ParameterNames.all(SPEC).forEach((name, shape) -> b.put(name, FloatTensor.zeros(shape)));
        Checkpoint ckpt = new Checkpoint(b.build(), Map.of(Checkpoint.MODEL, Checkpoint.modelSpecJson(SPEC)));
        ckpt.write(run.resolve("checkpoints").resolve(Checkpoint.LATEST));
        Checkpoint back = Checkpoint.read(run);
        assertEquals(SPEC, back.modelSpec());
        assertEquals(ckpt.tensors(), back.tensors());
        assertEquals("1", back.meta(Checkpoint.FORMAT));
        assertEquals(ParameterNames.encoder(SPEC.encoder()).size(), back.part(ParameterNames.TARGET_ENCODER).size());
    }

    @Test
    void aCheckpointWithANaNWeightIsRefusedNamingTheTensor(@TempDir Path run) throws IOException {
        NamedTensors.Builder b = NamedTensors.builder();
        ParameterNames.all(SPEC).forEach((name, shape) -> b.put(name, FloatTensor.zeros(shape)));
        NamedTensors clean = b.build();
        String victim = clean.names().iterator().next();
        NamedTensors.Builder nb = NamedTensors.builder();
        clean.asMap().forEach((name, t) -> {
            float[] d = t.data().clone();
            if (name.equals(victim)) {
                d[d.length - 1] = Float.NaN;
            }
            nb.put(name, new FloatTensor(t.shape(), d));
        });
        Path file = run.resolve("checkpoints").resolve(Checkpoint.LATEST);
        new Checkpoint(nb.build(), Map.of(Checkpoint.MODEL, Checkpoint.modelSpecJson(SPEC))).write(file);
        IOException e = assertThrows(IOException.class, () -> Checkpoint.read(run));
        assertTrue(e.getMessage().contains("'" + victim + "'") && e.getMessage().contains("NaN")
                && e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void aCheckpointWithAFlippedByteIsRefused(@TempDir Path run) throws IOException {
        Path file = writeZeros(run);
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 3] ^= 0x10; // the last tensor's data
        Files.write(file, bytes);
        IOException e = assertThrows(IOException.class, () -> Checkpoint.read(run));
        assertTrue(e.getMessage().contains("CRC32C") && e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void folderWithoutCheckpointGivesAClearError(@TempDir Path dir) throws IOException {
        IOException e = assertThrows(IOException.class, () -> Checkpoint.read(dir));
        assertTrue(e.getMessage().contains("latest.safetensors"), e.getMessage());
        Path other = dir.resolve("plain.safetensors");
        org.jepa4j.checkpoint.Safetensors.write(other, NamedTensors.empty(), Map.of());
        IOException e2 = assertThrows(IOException.class, () -> Checkpoint.read(other));
        assertTrue(e2.getMessage().contains("not a jepa4j checkpoint"), e2.getMessage());
        assertFalse(Files.exists(dir.resolve("nothing")));
    }

    @Test
    void parameterGroupsFollowTheReference() {
        assertTrue(ParameterNames.isWeightDecayed("mask_token", new long[] {1, 1, 16}), "mask_token is decayed (§5)");
        assertFalse(ParameterNames.isWeightDecayed("blocks.0.attn.qkv.bias", new long[] {96}));
        assertFalse(ParameterNames.isWeightDecayed("norm.weight", new long[] {32}));
        assertTrue(ParameterNames.isWeightDecayed("blocks.0.mlp.fc1.weight", new long[] {128, 32}));
        assertTrue(ParameterNames.isFrozen("predictor_pos_embed"));
    }
}
