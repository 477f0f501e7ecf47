package org.jepa4j.train;

import org.jepa4j.config.RunConfig;
import org.jepa4j.config.RunConfigLoader;
import org.jepa4j.graph.MatmulPrecision;
import org.jepa4j.provenance.CpuFeatures;
import org.jepa4j.provenance.GpuFeatures;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StartupReportTest {

    @Test
    void notesWhenExplicitThreadCountsLeaveCoresIdle() {
        String note = StartupReport.coreUseNote(1, 2, 16);
        assertTrue(note != null && note.contains("2 of this machine's 16 cores") && note.contains("meta.towers"), note);
        assertEquals(null, StartupReport.coreUseNote(1, 2, 2));
        assertEquals(null, StartupReport.coreUseNote(0, 2, 16), "0 = TensorFlow's default, sized to the machine");
        assertEquals(null, StartupReport.coreUseNote(4, 4, 16));
    }

    @Test
    void towersPlacedOnGpusAskTheGpusNotTheCpu() {
        RunConfig onGpus = RunConfigLoader.resolve("bench_w192d6", List.of("meta.use_bfloat16=true",
                "meta.tower_devices=gpu", "meta.towers=2"));
        CpuFeatures amx = CpuFeatures.of(Set.of("avx512f", "amx_tile", "amx_bf16"));
        GpuFeatures v100 = GpuFeatures.of(new GpuFeatures.Gpu(0, "GPU-1", "Tesla V100-SXM2-16GB", 7, 0));
        GpuFeatures l4 = GpuFeatures.of(new GpuFeatures.Gpu(0, "GPU-2", "NVIDIA L4", 8, 9));
        MatmulPrecision.Choice c = Trainer.precisionChoice(onGpus, amx, false, v100);
        assertEquals(MatmulPrecision.FP32, c.precision(), c.reason());
        assertTrue(c.reason().contains("Tesla V100-SXM2-16GB (compute capability 7.0)"), c.reason());
        assertEquals(MatmulPrecision.BF16, Trainer.precisionChoice(onGpus, CpuFeatures.of(Set.of("avx2")), false, l4)
                .precision());
        RunConfig onCpu = RunConfigLoader.resolve("bench_w192d6", List.of("meta.use_bfloat16=true"));
        assertEquals(MatmulPrecision.BF16, Trainer.precisionChoice(onCpu, amx, false, v100).precision(),
                "a graph on the CPU follows the CPU");
    }
}
