package org.jepa4j.testkit;

import org.jepa4j.config.RunConfig;
import org.jepa4j.model.ModelSpec;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TinyRunTest {
    @Test
    void theTinyRunIsAWidth32OneBlockEncoderOnSixteenTokensFourStepsAnEpoch() {
        RunConfig c = TinyRun.standard().config();
        ModelSpec spec = c.modelSpec();
        assertEquals(32, spec.encoder().width());
        assertEquals(1, spec.encoder().depth());
        assertEquals(2, spec.encoder().heads());
        assertEquals(16, spec.predictor().width());
        assertEquals(1, spec.predictor().depth());
        assertEquals(4, c.gridSize(), "16 px crops of 4 px patches");
        assertEquals(8, c.data().batchSize(), "32 images: 4 steps per epoch");
        assertTrue(c.data().source().startsWith("synthetic:count=32,size=16,channels=1,"), c.data().source());
        assertEquals(1, c.data().channels());
        assertEquals(2, c.optimization().epochs());
        assertEquals(0, c.optimization().probeEvery());
        assertEquals(1, c.logging().logEvery());
        assertEquals(1, c.meta().towers());
    }

    @Test
    void aVariantChangesOnlyWhatItNamesAndLeavesTheStandardRunAlone() {
        TinyRun standard = TinyRun.standard();
        TinyRun deeper = standard.with("meta.depth", 2).in(Path.of("/tmp/tiny"));
        assertEquals(1, standard.config().meta().depth());
        RunConfig d = deeper.config();
        assertEquals(2, d.meta().depth());
        assertEquals("/tmp/tiny", d.logging().folder());
        assertEquals(standard.config().data(), d.data());
        assertEquals(standard.config().mask(), d.mask());
        // a changed key keeps its place: one --set per key
        assertEquals(standard.sets().size() + 1, deeper.sets().size());
        assertTrue(deeper.sets().contains("meta.depth=2") && !deeper.sets().contains("meta.depth=1"), deeper.sets().toString());
    }

    @Test
    void theCommandLineSpellingIsTheConfigFileAndOneSetPerOverride() {
        TinyRun run = TinyRun.standard().with("meta.seed", 3);
        List<String> args = run.args();
        assertEquals(List.of("--config", "fashion_mnist"), args.subList(0, 2));
        assertEquals(2 + 2 * run.sets().size(), args.size());
        for (int i = 2; i < args.size(); i += 2) {
            assertEquals("--set", args.get(i));
            assertEquals(run.sets().get(i / 2 - 1), args.get(i + 1));
        }
        assertEquals(3L, run.config().meta().seed());
    }
}
