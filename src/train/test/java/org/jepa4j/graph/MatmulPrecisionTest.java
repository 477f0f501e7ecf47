package org.jepa4j.graph;

import org.jepa4j.provenance.CpuFeatures;
import org.jepa4j.provenance.GpuFeatures;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.jepa4j.graph.MatmulPrecision.BF16;
import static org.jepa4j.graph.MatmulPrecision.FP32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MatmulPrecisionTest {
    /** An AMD EPYC of this machine's kind: bf16 vector instructions, no AMX. */
    private static final CpuFeatures EPYC = CpuFeatures.of(Set.of("avx2", "avx512f", "avx512_bf16", "avx512_vnni"));
    /** An Intel Xeon with AMX. */
    private static final CpuFeatures XEON = CpuFeatures.of(Set.of("avx2", "avx512f", "avx512_bf16", "avx512_vnni",
            "amx_tile", "amx_bf16", "amx_int8"));

    @Test
    void autoPicksFp32WhenTheCpuLacksAmxBf16AndSaysWhich() {
        MatmulPrecision.Choice c = MatmulPrecision.resolve("auto", true, EPYC, false);
        assertEquals(FP32, c.precision());
        assertTrue(c.reason().contains("lacks amx_bf16"), c.reason());
        assertEquals(FP32, MatmulPrecision.resolve("auto", true, CpuFeatures.of(Set.of()), false).precision());
    }

    @Test
    void autoPicksBf16WithAmxBf16OrOnAGpu() {
        assertEquals(BF16, MatmulPrecision.resolve("auto", true, XEON, false).precision());
        assertEquals(BF16, MatmulPrecision.resolve("auto", true, EPYC, true).precision());
    }

    /** A Turing GPU: tensor cores for fp16 and int8, none for bf16. */
    private static final GpuFeatures T4 = GpuFeatures.of(new GpuFeatures.Gpu(0, "GPU-1", "Tesla T4", 7, 5));
    /** An Ampere GPU: bf16 tensor cores. */
    private static final GpuFeatures A100 = GpuFeatures.of(new GpuFeatures.Gpu(0, "GPU-2", "NVIDIA A100-SXM4-40GB", 8, 0));

    @Test
    void onAGpuAutoFollowsItsComputeCapabilityNotTheCpu() {
        MatmulPrecision.Choice t4 = MatmulPrecision.resolve("auto", true, XEON, true, T4);
        assertEquals(FP32, t4.precision(), "a GPU before Ampere has no bf16 tensor cores, whatever the CPU has");
        assertTrue(t4.reason().contains("lacks bf16 tensor cores (Tesla T4 (compute capability 7.5)"), t4.reason());
        MatmulPrecision.Choice a100 = MatmulPrecision.resolve("auto", true, EPYC, true, A100);
        assertEquals(BF16, a100.precision());
        assertTrue(a100.reason().contains("NVIDIA A100-SXM4-40GB (compute capability 8.0)"), a100.reason());
        MatmulPrecision.Choice unknown = MatmulPrecision.resolve("auto", true, EPYC, true, GpuFeatures.unknown());
        assertEquals(BF16, unknown.precision(), "a GPU that nvidia-smi does not describe is trusted");
        assertTrue(unknown.reason().contains("compute capability unknown"), unknown.reason());
        GpuFeatures mixed = GpuFeatures.of(A100.gpus().get(0), new GpuFeatures.Gpu(1, "GPU-3", "Tesla V100", 7, 0));
        assertEquals(FP32, MatmulPrecision.resolve("auto", true, XEON, true, mixed).precision(),
                "one GPU without the units slows every replica");
        assertEquals(BF16, MatmulPrecision.resolve("auto", true, XEON, false, T4).precision(),
                "the GPUs are not asked about a graph on the CPU");
        MatmulPrecision.Choice forced = MatmulPrecision.resolve("bf16", true, XEON, true, T4);
        assertEquals(BF16, forced.precision());
        assertTrue(forced.reason().contains("Tesla T4 (compute capability 7.5) has no bf16 tensor cores"), forced.reason());
    }

    @Test
    void autoFollowsUseBfloat16False() {
        assertEquals(FP32, MatmulPrecision.resolve("auto", false, XEON, false).precision());
        assertEquals(FP32, MatmulPrecision.resolve("auto", false, XEON, true).precision());
    }

    @Test
    void fp32AndBf16ForceEitherWay() {
        assertEquals(FP32, MatmulPrecision.resolve("fp32", true, XEON, true).precision());
        MatmulPrecision.Choice forced = MatmulPrecision.resolve("bf16", false, EPYC, false);
        assertEquals(BF16, forced.precision());
        assertTrue(forced.reason().contains("no amx_bf16"), forced.reason());
    }

    @Test
    void anUnknownSettingIsRefusedNamingTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MatmulPrecision.resolve("fp16", true, XEON, false));
        assertTrue(e.getMessage().contains("meta.matmul_precision") && e.getMessage().contains("fp16"), e.getMessage());
    }

    @Test
    void bf16AttentionIsForcedOnlyByName() {
        assertEquals(BF16, MatmulPrecision.resolve("auto", true, XEON, false).precision());
        assertEquals(BF16, MatmulPrecision.resolve("auto", true, XEON, true).precision());
        MatmulPrecision.Choice forced = MatmulPrecision.resolve("bf16_attention", false,
                CpuFeatures.of(Set.of("avx2")), false);
        assertEquals(MatmulPrecision.BF16_ATTENTION, forced.precision());
        assertTrue(forced.reason().contains("bf16_attention") && forced.reason().contains("no amx_bf16"),
                forced.reason());
    }
}
