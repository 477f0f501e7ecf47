package org.jepa4j.train;

import org.jepa4j.checkpoint.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

class RunFolderTest {
    @TempDir
    Path tmp;

    /** The checkpoints due over {@code steps} steps, as "step:numbered file or latest". */
    private static List<String> due(RunFolder f, long steps, long ipe, int freq) {
        List<String> out = new ArrayList<>();
        for (long s = 0; s < steps; s++) {
            RunFolder.Due d = f.dueAfter(s, ipe, freq);
            if (d != null) {
                out.add(d.stepsDone() + ":" + (d.numbered() == null ? "latest" : d.numbered().getFileName()));
            }
        }
        return out;
    }

    @Test
    void latestAfterEveryEpochAndTheNumberedFileEveryCheckpointFreqEpochs() {
        RunFolder f = new RunFolder(tmp, true);
        // 3 iterations per epoch, 5 epochs, a numbered checkpoint every 2 epochs, named after the epoch just completed
        assertEquals(List.of("3:latest", "6:epoch-0002.safetensors", "9:latest", "12:epoch-0004.safetensors", "15:latest"),
                due(f, 15, 3, 2));
        assertEquals(List.of("3:latest", "6:latest"), due(f, 6, 3, 0), "checkpoint_freq 0 keeps no numbered files");
        assertEquals(tmp.resolve(Checkpoint.FOLDER).resolve(Checkpoint.LATEST), f.latest());
    }

    @Test
    void aWorkerThatDoesNotWriteTheFolderWritesNoCheckpointAndNoFiles() throws Exception {
        RunFolder f = new RunFolder(tmp.resolve("worker"), false);
        assertEquals(List.of(), due(f, 15, 3, 1));
        f.createCheckpointFolder();
        assertNull(f.openLog("jepa"));
        assertFalse(Files.exists(tmp.resolve("worker")));
    }
}
