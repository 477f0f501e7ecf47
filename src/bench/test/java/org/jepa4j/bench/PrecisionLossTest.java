package org.jepa4j.bench;

import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.config.RunConfig;
import org.jepa4j.graph.MatmulPrecision;
import org.jepa4j.testkit.TinyRun;
import org.jepa4j.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PrecisionLossTest {
    @TempDir
    Path dir;

    private Trainer.Summary train(RunConfig config, boolean resume) throws Exception {
        return new Trainer(config, Trainer.Options.of(dir).withOut(new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8), false).withResume(resume)).run();
    }

    @Test
    void theFloat32LossIsTheOneTheRunLogsNextAndBf16StaysWithinItsBound() throws Exception {
        TinyRun tiny = TinyRun.standard().in(dir);
        train(tiny.with("optimization.max_steps", 3).config(), false);
        Checkpoint at3 = Checkpoint.read(dir);
        // the loss the trainer logs for steps 4 and 5 is computed with the step-3 weights, then the step-4 ones
        double logged = train(tiny.with("optimization.max_steps", 4).config(), true).losses()[0];

        RunConfig config = tiny.with("optimization.max_steps", 3).config();
        List<PrecisionLoss.Losses> rows = PrecisionLoss.measure(at3, config, RunBatches.at(config, 3, 2),
                List.of(MatmulPrecision.FP32, MatmulPrecision.BF16));
        assertEquals(logged, rows.get(0).perBatch()[0], 1e-6 * logged, "float32 loss of the batch of step 4");
        double fp32 = rows.get(0).perBatch()[0];
        double bf16 = rows.get(1).perBatch()[0];
        assertNotEquals(fp32, bf16, "the bf16 graph ran");
        assertTrue(Math.abs(bf16 - fp32) / fp32 < Math.scalb(1.0, -7), "bf16 loss " + bf16 + " against " + fp32);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrecisionLoss.print(new PrintStream(out, true, StandardCharsets.UTF_8), dir, 3, rows);
        String table = out.toString(StandardCharsets.UTF_8);
        assertTrue(table.contains("| fp32 | ") && table.contains("| +0.00 % | 0.000 % | 0.000 % |"), table);
        assertTrue(table.contains("| bf16 | "), table);
    }
}
