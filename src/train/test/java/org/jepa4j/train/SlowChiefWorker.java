package org.jepa4j.train;

import org.jepa4j.cluster.ClusterSpec;
import org.jepa4j.config.RunConfig;

import java.nio.file.Path;

/**
 * One worker of {@link ClusterRunEndTest} in its own JVM: {@code SlowChiefWorker host:port,host:port RANK FOLDER
 * STEPS TAIL_SECONDS}. Trains the trainer tests' tiny run for STEPS steps as one worker of the cluster; the
 * chief then spends TAIL_SECONDS after its last step before it writes its checkpoint, as a large model's
 * final monitors and checkpoint do. Exits 0 when the run finished, 1 otherwise.
 */
public final class SlowChiefWorker {
    private SlowChiefWorker() {
    }

    public static void main(String[] args) throws Exception {
        ClusterSpec cluster = ClusterSpec.ofWorkers(args[0], Integer.parseInt(args[1]));
        Path folder = Path.of(args[2]);
        int steps = Integer.parseInt(args[3]);
        long tailMillis = Math.round(Double.parseDouble(args[4]) * 1000);
        RunConfig config = TrainerRuns.withMaxSteps(TrainerRuns.config(folder, 16, 2), steps);
        Trainer trainer = new Trainer(config, Trainer.Options.of(folder).withOut(System.out, false).withCluster(cluster));
        if (cluster.isChief()) {
            trainer.setListener((t, record) -> {
                if (record.step() + 1 == steps) {
                    try {
                        Thread.sleep(tailMillis);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
        }
        Trainer.Summary summary = trainer.run();
        System.out.println("steps done: " + summary.stepsDone());
        System.exit(summary.stepsDone() == steps ? 0 : 1);
    }
}
