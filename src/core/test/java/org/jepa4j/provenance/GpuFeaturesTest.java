package org.jepa4j.provenance;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GpuFeaturesTest {
    /** What {@code nvidia-smi --query-gpu=index,uuid,name,compute_cap --format=csv,noheader} prints on a mixed machine. */
    private static final String MIXED = """
            0, GPU-5c8a1d2e-0000-1111-2222-333344445555, NVIDIA A100-SXM4-80GB, 8.0
            1, GPU-77ab0c1d-6666-7777-8888-9999aaaabbbb, Tesla T4, 7.5
            2, GPU-0f0e0d0c-cccc-dddd-eeee-ffff00001111, NVIDIA H100 80GB HBM3, 9.0
            """;

    @TempDir
    Path dir;

    @Test
    void readsEachGpusNameAndComputeCapability() {
        GpuFeatures g = GpuFeatures.parse(MIXED, null);
        assertEquals(List.of("NVIDIA A100-SXM4-80GB", "Tesla T4", "NVIDIA H100 80GB HBM3"),
                g.gpus().stream().map(GpuFeatures.Gpu::name).toList());
        assertEquals(7, g.gpus().get(1).major());
        assertEquals(5, g.gpus().get(1).minor());
        assertEquals("Tesla T4", g.withoutBf16TensorCores().name(), "Turing has no bf16 tensor cores");
        assertEquals("NVIDIA A100-SXM4-80GB (compute capability 8.0); Tesla T4 (compute capability 7.5);"
                + " NVIDIA H100 80GB HBM3 (compute capability 9.0)", g.describe());
    }

    @Test
    void onlyTheGpusCudaVisibleDevicesLeavesCount() {
        assertNull(GpuFeatures.parse(MIXED, "0,2").withoutBf16TensorCores(), "the T4 is hidden");
        assertEquals("Tesla T4", GpuFeatures.parse(MIXED, "1").withoutBf16TensorCores().name());
        GpuFeatures byUuid = GpuFeatures.parse(MIXED, "GPU-0f0e0d0c");
        assertEquals(List.of("NVIDIA H100 80GB HBM3"), byUuid.gpus().stream().map(GpuFeatures.Gpu::name).toList(),
                "a UUID prefix names a GPU, as CUDA accepts it");
        assertFalse(GpuFeatures.parse(MIXED, "-1").known(), "-1 hides every GPU");
        assertFalse(GpuFeatures.parse(MIXED, "").known());
        assertEquals(List.of("NVIDIA H100 80GB HBM3"), GpuFeatures.parse(MIXED, "2,7,1").gpus().stream()
                .map(GpuFeatures.Gpu::name).toList(), "CUDA ignores an index that names no GPU and all after it");
        assertEquals(3, GpuFeatures.parse(MIXED, "GPU-ffff").gpus().size(), "an entry naming no listed GPU: all count");
    }

    @Test
    void aMigInstanceStandsForTheGpusThatCanBePartitioned() {
        // only compute capability 8.0 and later has MIG: a slice on this machine is on the A100 or the H100,
        // never on the T4, so auto may choose bf16
        for (String mig : List.of("MIG-c6d4f1ef-42e4-5de3-91c7-45d71c87eb3f", "MIG-GPU-5c8a1d2e-0000-1111-2222-333344445555/1/0",
                "mig-c6d4f1ef")) {
            GpuFeatures g = GpuFeatures.parse(MIXED, mig);
            assertEquals(List.of("NVIDIA A100-SXM4-80GB", "NVIDIA H100 80GB HBM3"), g.gpus().stream()
                    .map(GpuFeatures.Gpu::name).toList(), mig);
            assertNull(g.withoutBf16TensorCores(), mig);
        }
        String oldOnly = "0, GPU-77ab0c1d-6666-7777-8888-9999aaaabbbb, Tesla T4, 7.5\n";
        assertEquals(1, GpuFeatures.parse(oldOnly, "MIG-1234").gpus().size(), "no GPU that can hold one: all count");
        GpuFeatures withT4 = GpuFeatures.parse(MIXED, "1,MIG-1234");
        assertEquals(List.of("Tesla T4", "NVIDIA A100-SXM4-80GB", "NVIDIA H100 80GB HBM3"), withT4.gpus().stream()
                .map(GpuFeatures.Gpu::name).toList(), "the T4 by index, then the slice's candidates");
        assertEquals("Tesla T4", withT4.withoutBf16TensorCores().name());
    }

    @Test
    void anAnswerWithoutComputeCapabilitiesIsUnknown() {
        assertFalse(GpuFeatures.parse("0, GPU-1, Tesla K80, [N/A]\n", null).known());
        assertFalse(GpuFeatures.parse("Field \"compute_cap\" is not a valid field to query.\n", null).known());
        assertFalse(GpuFeatures.parse("", null).known());
        assertEquals("unknown", GpuFeatures.unknown().describe());
        GpuFeatures comma = GpuFeatures.parse("0, GPU-1, Quadro RTX 8000, with a comma, 7.5\n", null);
        assertEquals("Quadro RTX 8000, with a comma", comma.gpus().get(0).name());
    }

    @Test
    void asksNvidiaSmiAndTakesAnyFailureForUnknown() throws Exception {
        Path smi = script("ok", "#!/bin/sh\ntest \"$1\" = '" + GpuFeatures.QUERY.get(0) + "' || exit 3\n"
                + "echo '0, GPU-1, NVIDIA L4, 8.9'\n");
        GpuFeatures l4 = GpuFeatures.query(smi.toString(), null, Duration.ofSeconds(10));
        assertEquals("NVIDIA L4 (compute capability 8.9)", l4.describe());
        assertNull(l4.withoutBf16TensorCores());

        Path failing = script("failing", "#!/bin/sh\necho 'NVIDIA-SMI has failed because it could not communicate"
                + " with the NVIDIA driver.'\nexit 9\n");
        assertFalse(GpuFeatures.query(failing.toString(), null, Duration.ofSeconds(10)).known());
        assertFalse(GpuFeatures.query(dir.resolve("no-such-nvidia-smi").toString(), null, Duration.ofSeconds(10)).known());
        Path hung = script("hung", "#!/bin/sh\nexec sleep 60\n");
        long t0 = System.nanoTime();
        assertFalse(GpuFeatures.query(hung.toString(), null, Duration.ofMillis(300)).known());
        assertTrue(System.nanoTime() - t0 < 20_000_000_000L, "a hung nvidia-smi is not waited for");
        assertSame(GpuFeatures.host(), GpuFeatures.host(), "asked once");
    }

    private Path script(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        assertTrue(p.toFile().setExecutable(true));
        return p;
    }
}
