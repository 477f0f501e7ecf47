package org.jepa4j.importer;

import org.jepa4j.importer.TorchPickle.TensorRef;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.testing.OfficialFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading the official checkpoint of the parity fixture without Python. */
class OfficialCheckpointTest {

    @Test
    void allThreeStateDictsHaveTheKeysAndShapesOfKeysTxtWithoutModulePrefix() throws Exception {
        OfficialFixture fx = OfficialFixture.load();
        Map<String, Map<String, long[]>> keys = fx.keys();
        assertEquals(OfficialCheckpoint.PARTS, keys.keySet().stream().toList());
        try (OfficialCheckpoint ckpt = OfficialCheckpoint.open(fx.checkpoint(), false)) {
            Map<String, long[]> expected = new LinkedHashMap<>();
            keys.forEach((part, m) -> m.forEach((k, shape) -> {
                assertTrue(k.startsWith("module."), "fixture keys carry the DDP prefix: " + k);
                expected.put(part + "." + k.substring("module.".length()), shape);
            }));
            // same names in the same order (the order names the optimizer's parameters)
            assertEquals(expected.keySet().stream().toList(), ckpt.shapes().keySet().stream().toList());
            expected.forEach((k, shape) -> assertArrayEquals(shape, ckpt.shapes().get(k), k));
            assertTrue(ckpt.shapes().keySet().stream().noneMatch(k -> k.contains("module.")));
        }
    }

    @Test
    void positionalTablesAreTheReferenceSinCosTables() throws Exception {
        OfficialFixture fx = OfficialFixture.load();
        int grid = fx.config.path("grid").asInt();
        try (OfficialCheckpoint ckpt = OfficialCheckpoint.open(fx.checkpoint(), false)) {
            for (String name : new String[] {"encoder.pos_embed", "target_encoder.pos_embed",
                    "predictor.predictor_pos_embed"}) {
                FloatTensor t = ckpt.load(name);
                int d = (int) t.shape()[2];
                double[] table = sinCos(grid, d);
                assertTrue(OfficialFixture.maxAbs(table, t.data()) < 1e-6, name + " is not the 2-D sin-cos table");
            }
        }
    }

    @Test
    void weightsAreFiniteAndTheTargetEncoderIsAnEmaNotACopy() throws Exception {
        OfficialFixture fx = OfficialFixture.load();
        try (OfficialCheckpoint ckpt = OfficialCheckpoint.open(fx.checkpoint(), false)) {
            for (String name : ckpt.shapes().keySet()) {
                FloatTensor t = ckpt.load(name);
                for (float v : t.data()) {
                    assertTrue(Float.isFinite(v), name);
                }
                if (name.endsWith("norm.weight") || name.endsWith("norm1.weight")) {
                    // LayerNorm gains start at 1 and moved a little in 3 steps
                    for (float v : t.data()) {
                        assertTrue(Math.abs(v - 1) < 0.1, name + " = " + v);
                    }
                }
            }
            FloatTensor enc = ckpt.load("encoder.blocks.0.attn.qkv.weight");
            FloatTensor tgt = ckpt.load("target_encoder.blocks.0.attn.qkv.weight");
            double diff = OfficialFixture.maxAbs(enc.data(), tgt.data());
            assertTrue(diff > 0 && diff < 0.05, "EMA target differs slightly from the encoder: " + diff);
        }
    }

    @Test
    void trainingStateAndOptimizerMomentsAreRead() throws Exception {
        OfficialFixture fx = OfficialFixture.load();
        int steps = fx.config.path("training").path("steps").asInt();
        try (OfficialCheckpoint ckpt = OfficialCheckpoint.open(fx.checkpoint(), true)) {
            assertEquals((long) steps, ((Number) ckpt.trainingState().get("optimizer_steps")).longValue());
            assertEquals(1, ((Number) ckpt.trainingState().get("epoch")).intValue());
            assertEquals(fx.config.path("training").path("batch_size").asInt(),
                    ((Number) ckpt.trainingState().get("batch_size")).intValue());
            long params = ckpt.shapes().keySet().stream()
                    .filter(k -> (k.startsWith("encoder.") || k.startsWith("predictor.")) && !k.endsWith("pos_embed"))
                    .count();
            long avg = ckpt.shapes().keySet().stream().filter(k -> k.startsWith("optimizer.exp_avg.")).count();
            long sq = ckpt.shapes().keySet().stream().filter(k -> k.startsWith("optimizer.exp_avg_sq.")).count();
            assertEquals(params, avg, "one first moment per trained parameter (frozen pos-embeds have none)");
            assertEquals(params, sq);
            for (String k : ckpt.shapes().keySet()) {
                if (k.startsWith("optimizer.exp_avg_sq.")) {
                    String param = k.substring("optimizer.exp_avg_sq.".length());
                    assertArrayEquals(ckpt.shapes().get(param), ckpt.shapes().get(k), k);
                    for (float v : ckpt.load(k).data()) {
                        assertTrue(v >= 0, k + " holds squared gradients");
                    }
                }
            }
            // the first moment of the bias-free mask token is non-zero: it was trained
            FloatTensor m = ckpt.load("optimizer.exp_avg.predictor.mask_token");
            assertNotEquals(0.0, OfficialFixture.maxAbs(m.data(), new float[m.data().length]));
        }
    }

    @Test
    void stridedViewsAreCopiedIntoRowMajorOrder() {
        // a [2,3] matrix stored transposed (storage holds [3,2] row-major): strides (1, 2)
        float[] storage = {0, 10, 1, 11, 2, 12, 99};
        float[] out = TorchArchive.gather(storage, new long[] {2, 3}, new long[] {1, 2}, 6);
        assertArrayEquals(new float[] {0, 1, 2, 10, 11, 12}, out);
        TensorRef ref = new TensorRef(new TorchPickle.StorageRef(TorchPickle.StorageType.FLOAT, "0", 7), 0,
                new long[] {2, 3}, new long[] {1, 2});
        assertFalse(ref.isContiguous());
        assertTrue(new TensorRef(ref.storage(), 1, new long[] {2, 3}, new long[] {3, 1}).isContiguous());
    }

    @Test
    void legacyNonZipFilesGetAnExplainingError(@TempDir Path tmp) throws IOException {
        Path legacy = tmp.resolve("old.pth.tar");
        // the legacy format starts with a pickled magic number (protocol 2)
        Files.write(legacy, new byte[] {(byte) 0x80, 0x02, (byte) 0x8a, 0x0a, 0x6c, (byte) 0xfc, (byte) 0x9c, 0x46});
        IOException e = assertThrows(IOException.class, () -> OfficialCheckpoint.open(legacy, false));
        assertTrue(e.getMessage().contains("legacy") && e.getMessage().contains(legacy.toString()), e.getMessage());
    }

    /** The reference's 2-D sin-cos table (docs/reference.md §2) in double precision, [grid², d]. */
    static double[] sinCos(int grid, int d) {
        double[] out = new double[grid * grid * d];
        int quarter = d / 4;
        for (int row = 0; row < grid; row++) {
            for (int col = 0; col < grid; col++) {
                int base = (row * grid + col) * d;
                for (int k = 0; k < quarter; k++) {
                    double omega = Math.pow(10000, -(double) k / quarter);
                    out[base + k] = Math.sin(col * omega);
                    out[base + quarter + k] = Math.cos(col * omega);
                    out[base + 2 * quarter + k] = Math.sin(row * omega);
                    out[base + 3 * quarter + k] = Math.cos(row * omega);
                }
            }
        }
        return out;
    }
}
