package org.jepa4j.train;

import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.net.LoopbackPorts;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The end of a cluster run: a worker that has finished its last step exits, and the chief, which
 * still runs its monitors and writes the checkpoint after that step, must not take the finished
 * worker's closed server for a dead one.
 */
@Tag("slow") // two worker JVMs joined by TensorFlow servers on loopback
class ClusterRunEndTest {
    static final int STEPS = 3;

    @TempDir
    Path tmp;

    @Test
    void aWorkerThatFinishedFirstLeavesTheChiefToFinishAndWriteItsCheckpoint() throws Exception {
        String cluster = LoopbackPorts.cluster(2);
        Path folder = tmp.resolve("run");
        List<Process> workers = new ArrayList<>();
        Path[] logs = {tmp.resolve("w0.log"), tmp.resolve("w1.log")};
        try {
            for (int r = 0; r < 2; r++) {
                // the chief's tail (6 s) is three times what the watchdog needs to call a closed server dead
                workers.add(DataParallelGraphTest.java(SlowChiefWorker.class.getName(), cluster, Integer.toString(r),
                        folder.toString(), Integer.toString(STEPS), "6").redirectOutput(logs[r].toFile())
                        .redirectErrorStream(true).start());
            }
            for (int r : new int[] {1, 0}) {
                assertTrue(workers.get(r).waitFor(180, TimeUnit.SECONDS), "worker " + r + " did not finish: "
                        + Files.readString(logs[r]));
                assertEquals(0, workers.get(r).exitValue(), "worker " + r + ": " + Files.readString(logs[r]));
                if (r == 1) {
                    assertTrue(workers.get(0).isAlive(), "the chief is still in its tail when worker 1 has exited");
                }
            }
        } finally {
            workers.forEach(Process::destroyForcibly);
        }
        assertEquals(STEPS, TrainerState.fromJson(Checkpoint.read(folder).meta(Checkpoint.STATE)).step(),
                "the chief wrote the checkpoint of the last step");
    }
}
