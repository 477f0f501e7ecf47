package org.jepa4j.provenance;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CpuFeaturesTest {

    @Test
    void readsTheFlagsLineOfCpuinfo(@TempDir Path dir) throws Exception {
        Path cpuinfo = dir.resolve("cpuinfo");
        Files.writeString(cpuinfo, """
                processor\t: 0
                vendor_id\t: GenuineIntel
                model name\t: Intel(R) Xeon(R) Platinum 8481C
                flags\t\t: fpu sse2 avx2 avx512f avx512_vnni avx512_bf16 amx_bf16 amx_tile amx_int8
                bugs\t\t: spectre_v1

                processor\t: 1
                flags\t\t: fpu
                """);
        CpuFeatures f = CpuFeatures.read(cpuinfo);
        assertTrue(f.amxBf16());
        assertTrue(f.amxInt8());
        assertTrue(f.avx512Bf16());
        assertTrue(f.avx512Vnni());
        assertEquals("amx_bf16 amx_int8 amx_tile avx512_bf16 avx512_vnni avx512f avx2", f.precisionFlags());
    }

    @Test
    void anAmdEpycWithAvx512Bf16HasNoAmx() {
        CpuFeatures f = CpuFeatures.of(Set.of("avx2", "avx512f", "AVX512_BF16", "avx512_vnni"));
        assertFalse(f.amxBf16());
        assertFalse(f.amxInt8());
        assertTrue(f.avx512Bf16(), "flags are matched without regard to case");
        assertEquals("avx512_bf16 avx512_vnni avx512f avx2", f.precisionFlags());
    }

    @Test
    void aMissingOrFlaglessFileMeansNoFeatures(@TempDir Path dir) throws Exception {
        assertEquals(Set.of(), CpuFeatures.read(dir.resolve("absent")).flags());
        Path arm = dir.resolve("arm");
        Files.writeString(arm, "processor\t: 0\nFeatures\t: fp asimd\n");
        assertEquals("none", CpuFeatures.read(arm).precisionFlags());
    }

    @Test
    void theHostIsReadOnce() {
        assertTrue(CpuFeatures.host() == CpuFeatures.host());
    }
}
