package org.jepa4j.bench;

import org.jepa4j.graph.MatmulPrecision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OfficialTrainStepTest {
    @TempDir
    Path dir;

    @Test
    void readsTheScriptsTimingLineAndNothingElse() {
        OfficialTrainStep.Timing t = OfficialTrainStep.parse("  threads 2 bf16: 1234 ms/step, 51.9 images/s");
        assertEquals(new OfficialTrainStep.Timing(2, "bf16", 1234, 51.9), t);
        assertNull(OfficialTrainStep.parse("| 2 | bf16 | 1234 | 1200 | 51.9 | 0.1234 | 300.0 |"), "the table row");
        assertNull(OfficialTrainStep.parse("torch 1.13.0, oneDNN True, x86_64, CPU flags: avx2"));
    }

    @Test
    void eachJepa4jPrecisionFacesTheReferencesOwnAndTheSameCores() {
        assertEquals("fp32", OfficialTrainStep.precisionOf(MatmulPrecision.FP32));
        assertEquals("bf16", OfficialTrainStep.precisionOf(MatmulPrecision.BF16));
        assertEquals("bf16", OfficialTrainStep.precisionOf(MatmulPrecision.BF16_ATTENTION));
        assertEquals(2, OfficialTrainStep.threadsOf(new TrainBenchmark.Setting(1, 2, 2), 2), "two towers side by side");
        assertEquals(1, OfficialTrainStep.threadsOf(new TrainBenchmark.Setting(1, 2, 1), 2), "one tower: one op at a time");
        assertEquals(2, OfficialTrainStep.threadsOf(new TrainBenchmark.Setting(2, 1, 1), 2));
        assertEquals(16, OfficialTrainStep.threadsOf(new TrainBenchmark.Setting(0, 0, 1), 16), "TF default: every core");
        assertEquals(4, OfficialTrainStep.threadsOf(new TrainBenchmark.Setting(4, 4, 4), 4), "never more than the cores");
    }

    @Test
    void aFolderThatIsNoCheckoutOrAMissingScriptIsNamed() throws Exception {
        var notCheckout = assertThrows(IllegalArgumentException.class,
                () -> OfficialTrainStep.of(dir, "/usr/bin/python3", dir));
        assertTrue(notCheckout.getMessage().contains(dir + ": not a facebookresearch/ijepa checkout"), notCheckout.getMessage());
        Files.createDirectories(dir.resolve("src/models"));
        Files.writeString(dir.resolve("src/models/vision_transformer.py"), "");
        var noScript = assertThrows(IllegalArgumentException.class,
                () -> OfficialTrainStep.of(dir, "/usr/bin/python3", dir.resolve("elsewhere")));
        assertTrue(noScript.getMessage().contains(OfficialTrainStep.SCRIPT), noScript.getMessage());
    }

    @Test
    void aPythonThatCannotRunOrLacksTorchIsNamedBeforeAnyTiming() throws Exception {
        Files.createDirectories(dir.resolve("src/models"));
        Files.writeString(dir.resolve("src/models/vision_transformer.py"), "");
        Files.createDirectories(dir.resolve("tools/lib"));
        Files.writeString(dir.resolve(OfficialTrainStep.SCRIPT), "");
        Path missing = dir.resolve("no-python");
        var cannotRun = assertThrows(IllegalArgumentException.class,
                () -> OfficialTrainStep.of(dir, missing.toString(), dir));
        assertTrue(cannotRun.getMessage().startsWith("--python " + missing + " cannot be run"), cannotRun.getMessage());
        Path noTorch = dir.resolve("python-without-torch");
        Files.writeString(noTorch, "#!/bin/sh\necho \"ModuleNotFoundError: No module named 'torch'\" >&2\nexit 1\n");
        assertTrue(noTorch.toFile().setExecutable(true));
        var lacksTorch = assertThrows(IllegalArgumentException.class,
                () -> OfficialTrainStep.of(dir, noTorch.toString(), dir));
        assertTrue(lacksTorch.getMessage().contains("cannot import torch (ModuleNotFoundError: No module named 'torch')"),
                lacksTorch.getMessage());
        Path withTorch = dir.resolve("python-with-torch");
        Files.writeString(withTorch, "#!/bin/sh\ntest \"$2\" = 'import torch'\n");
        assertTrue(withTorch.toFile().setExecutable(true));
        OfficialTrainStep.of(dir, withTorch.toString(), dir);
    }
}
