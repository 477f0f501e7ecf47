package org.jepa4j.graph;

import org.jepa4j.provenance.CpuFeatures;
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
