package org.jepa4j.train;

import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.config.ConfigKeys;
import org.jepa4j.config.RunConfig;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.model.ParameterNames;
import org.jepa4j.tensor.NamedTensors;

import java.io.PrintStream;
import java.util.List;

/**
 * Puts a checkpoint's state into a training graph at the start of a run: a checkpoint of this
 * run (same model, prediction target, iterations per epoch, batch size and seed) continues at
 * its step; imported official weights, whose schedule does not describe this data, start a new
 * schedule at step 0 (a warm start). Anything else is refused with the difference named.
 */
final class CheckpointRestore {
    private CheckpointRestore() {
    }

    /**
     * Loads {@code ckpt} into {@code graph}.
     *
     * @param out where the warm-start line goes
     * @return the step the run continues at
     * @throws IllegalArgumentException when the checkpoint belongs to another run, naming what differs
     */
    static long restore(TrainingGraph graph, Checkpoint ckpt, RunPlan plan, RunConfig config, PrintStream out) {
        ModelSpec spec = plan.spec();
        long ipe = plan.ipe();
        int batchSize = plan.batchSize();
        long seed = config.meta().seed();
        ModelSpec saved = ckpt.modelSpec();
        if (!saved.equals(spec)) {
            throw new IllegalArgumentException("cannot resume: the checkpoint's model " + saved
                    + " differs from the config's " + spec);
        }
        TrainerState state = TrainerState.fromJson(ckpt.meta(Checkpoint.STATE));
        boolean sameRun = state.ipe() == ipe && state.batchSize() == batchSize && state.seed() == seed;
        if (state.imported() && !sameRun) {
            return warmStart(graph, ckpt, state, plan, out);
        }
        boolean savedPixels = ckpt.tensors().names().containsAll(ParameterNames.pixelHead(spec).keySet());
        if (savedPixels != graph.options().target().isPixels()) {
            throw new IllegalArgumentException("cannot resume: the checkpoint was trained with meta.target "
                    + (savedPixels ? ConfigKeys.TARGET_PIXELS : ConfigKeys.TARGET_FEATURES) + ", the config asks for "
                    + graph.options().target().kind());
        }
        if (state.ipe() != ipe || state.batchSize() != batchSize) {
            throw new IllegalArgumentException("cannot resume: the checkpoint was trained with " + state.ipe()
                    + " iterations per epoch at batch size " + state.batchSize() + ", this config gives " + ipe
                    + " at batch size " + batchSize + " (data.batch_size or the dataset changed)");
        }
        if (state.seed() != seed) {
            throw new IllegalArgumentException("cannot resume: the checkpoint's meta.seed is " + state.seed()
                    + ", the config's is " + seed);
        }
        graph.load(ckpt.tensors());
        return state.step();
    }

    /**
     * Starts a new schedule (step 0) from imported weights: the official run's iterations per
     * epoch and batch size do not describe this data, so its step cannot be continued. Tensors the
     * import lacks (the predictor of a Hugging Face encoder, AdamW moments) keep their fresh values.
     */
    private static long warmStart(TrainingGraph graph, Checkpoint ckpt, TrainerState state, RunPlan plan,
                                  PrintStream out) {
        NamedTensors fresh = graph.state();
        NamedTensors imported = ckpt.tensors();
        List<String> kept = fresh.names().stream()
                .filter(n -> !n.startsWith("optimizer.") && !imported.contains(n)).toList();
        graph.load(fresh.merge(imported));
        out.println("warm start from imported weights: the source run had " + state.ipe()
                + " iterations per epoch at batch " + state.batchSize() + " (this config: " + plan.ipe() + " at batch "
                + plan.batchSize() + "), so schedules start at step 0"
                + (kept.isEmpty() ? "" : "; freshly initialised: " + kept.size() + " tensors the import lacks ("
                + kept.get(0) + (kept.size() > 1 ? ", ..." : "") + ")"));
        return 0;
    }
}
