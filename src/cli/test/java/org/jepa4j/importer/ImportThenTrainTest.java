package org.jepa4j.importer;

import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.config.RunConfig;
import org.jepa4j.config.RunConfigLoader;
import org.jepa4j.model.Initializer;
import org.jepa4j.model.ParameterNames;
import org.jepa4j.tensor.NamedTensors;
import org.jepa4j.testing.OfficialFixture;
import org.jepa4j.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code import} then {@code train --resume}: training continues from the official weights. */
class ImportThenTrainTest {

    @Test
    void trainResumeWarmStartsFromAnImportedCheckpoint(@TempDir Path tmp) throws Exception {
        OfficialFixture fx = OfficialFixture.load();
        Path runDir = tmp.resolve("run");
        var r = ImportCommandTest.run(ImportCommandTest.args(fx, runDir, "--heads", String.valueOf(fx.encoderHeads()),
                "--pred-heads", String.valueOf(fx.predictorHeads())).toArray(String[]::new));
        assertEquals(0, r.exit(), r.err());
        NamedTensors imported = Checkpoint.read(runDir).tensors();

        // the user's own data: the imported config.yaml with a data source set
        int size = (int) fx.config.path("img_size").asLong();
        RunConfig config = RunConfigLoader.load(runDir.resolve("config.yaml"), List.of(
                "data.source=synthetic:count=16,size=" + size + ",channels=3",
                "data.batch_size=4", "data.num_workers=1", "optimization.max_steps=2",
                "optimization.probe_every=0", "logging.folder=" + runDir));
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        Trainer.Summary s = new Trainer(config, Trainer.Options.of(runDir)
                .withOut(new PrintStream(sink, true, StandardCharsets.UTF_8), false).withResume(true)).run();
        String out = sink.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("warm start from imported weights"), out);
        assertEquals(0, s.firstStep());
        assertEquals(2, s.stepsDone());
        assertTrue(Double.isFinite(s.lastLoss()));

        // two EMA steps at momentum ~0.996 keep the target encoder next to the imported one,
        // far closer than to a fresh initialisation of the same model
        NamedTensors after = Checkpoint.read(runDir).tensors();
        NamedTensors fresh = Initializer.initialize(Checkpoint.read(runDir).modelSpec(), 0);
        String name = ParameterNames.TARGET_ENCODER + "blocks.0.attn.qkv.weight";
        double toImported = maxAbs(after.get(name).data(), imported.get(name).data());
        double toFresh = maxAbs(after.get(name).data(), fresh.get(name).data());
        assertTrue(toImported < 0.1 * toFresh, "target moved " + toImported + " from the import, " + toFresh
                + " from a fresh init");
    }

    private static double maxAbs(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
