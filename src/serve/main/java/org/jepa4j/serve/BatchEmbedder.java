package org.jepa4j.serve;

import org.jepa4j.data.Image;

import java.util.List;

/**
 * The model as the server sees it: per-image preprocessing (run on the decode pool, in parallel)
 * and one forward pass over a stacked batch (run on a {@link MicroBatcher} worker). Splitting the
 * two keeps the expensive resize off the batch worker while the batch itself goes through the
 * library's own stack/run/split path ({@link OnnxEmbedder}).
 *
 * <p>Implementations must be safe for concurrent {@link #prepare} calls and for concurrent
 * {@link #embedPrepared} calls when the batcher runs several workers.
 */
public interface BatchEmbedder extends AutoCloseable {

    /** The model, the feature and its dimension. */
    ModelDescription describe();

    /** The model input of one image ({@code [C, S, S]} normalised values, or whatever the model takes). */
    float[] prepare(Image image);

    /**
     * Features of a batch of prepared inputs, in input order: {@code [inputs.size()][dimension]}.
     * The result for one input must not depend on the other inputs in the batch.
     */
    float[][] embedPrepared(List<float[]> inputs);

    /** Releases the model; called once, after the last batch. */
    @Override
    void close();
}
