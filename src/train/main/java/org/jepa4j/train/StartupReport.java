package org.jepa4j.train;

import org.jepa4j.config.RunConfig;
import org.jepa4j.data.ImageDataset;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.model.ParameterNames;
import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.train.step.PredictionTarget;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * The lines a run prints before its first step: the model and its parameter counts, the target,
 * the data, the schedule, the device and thread pools (with a note when explicit thread counts
 * leave cores idle), ignored config keys and the run folder.
 */
final class StartupReport {
    private StartupReport() {
    }

    /** Prints the start-up lines of a run starting (or resuming) at {@code start}. */
    static void print(Progress progress, RunConfig config, RunPlan plan, TrainingGraph graph, long start, boolean resumed,
                      Path runFolder) {
        ImageDataset trainSet = plan.trainSet();
        long ipe = plan.ipe();
        long totalSteps = plan.totalSteps();
        long endStep = plan.endStep();
        long encoder = 0;
        long predictor = 0;
        for (Map.Entry<String, FloatTensor> e : graph.state().asMap().entrySet()) {
            String name = e.getKey();
            if (name.startsWith(ParameterNames.ENCODER)) {
                encoder += e.getValue().size();
            } else if (name.startsWith(ParameterNames.PREDICTOR)) {
                predictor += e.getValue().size();
            }
        }
        ModelSpec spec = config.modelSpec();
        var e = spec.encoder();
        var p = spec.predictor();
        progress.println(String.format(Locale.ROOT, "model: encoder %dpx/patch %d (%dx%d grid, %d channel%s), width %d,"
                        + " depth %d, heads %d, mlp %d: %,d parameters; predictor width %d, depth %d, heads %d,"
                        + " mlp %d: %,d parameters",
                e.imageSize(), e.patchSize(), e.gridSize(), e.gridSize(), e.channels(), e.channels() == 1 ? "" : "s",
                e.width(), e.depth(), e.heads(), e.mlpHidden(), encoder, p.width(), p.depth(), p.heads(),
                p.mlpHidden(), predictor));
        PredictionTarget target = graph.options().target();
        progress.println("target: " + target.describe() + (target.isPixels()
                ? " (no target encoder, no EMA; the exported encoder is the context encoder)"
                : " (the target encoder is an EMA copy of the encoder)"));
        progress.println("data: " + trainSet.description() + ", batch " + config.data().batchSize());
        progress.println(String.format(Locale.ROOT, "schedule: %d iterations per epoch, %d epochs = %d steps%s",
                ipe, config.optimization().epochs(), totalSteps,
                endStep < totalSteps ? " (optimization.max_steps stops at " + endStep + ")" : ""));
        if (resumed) {
            progress.println(String.format(Locale.ROOT, "resuming at step %d (epoch %d, itr %d)", start,
                    start / ipe + 1, start % ipe));
        }
        progress.println("device: " + graph.device() + ", TensorFlow threads intra-op "
                + threads(config.meta().intraOpThreads()) + ", inter-op " + threads(config.meta().interOpThreads())
                + ", towers " + config.meta().towers() + ", loader workers " + config.data().numWorkers());
        String cores = coreUseNote(config.meta().intraOpThreads(), config.meta().interOpThreads(),
                Runtime.getRuntime().availableProcessors());
        if (cores != null) {
            progress.println(cores);
        }
        if (!config.ignoredKeys().isEmpty()) {
            progress.println("ignored config keys (accepted for compatibility, no effect on the JVM): "
                    + String.join(", ", config.ignoredKeys()));
        }
        progress.println("run folder: " + runFolder.toAbsolutePath().normalize());
    }

    /**
     * A note when explicit thread counts keep TensorFlow on fewer cores than the machine has
     * (e.g. a 2-core preset on a larger machine), or null.
     */
    static String coreUseNote(int intraOp, int interOp, int cores) {
        if (intraOp <= 0 || interOp <= 0 || (long) intraOp * interOp >= cores) {
            return null;
        }
        return String.format(Locale.ROOT, "note: meta.intra_op_threads %d x meta.inter_op_threads %d keep TensorFlow on"
                + " %d of this machine's %d cores; raise inter_op_threads and meta.towers together, or set"
                + " 0/0 and towers 1 for TensorFlow's defaults", intraOp, interOp, intraOp * interOp, cores);
    }

    private static String threads(int n) {
        return n <= 0 ? "TF default" : Integer.toString(n);
    }
}
