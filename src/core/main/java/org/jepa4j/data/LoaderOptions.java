package org.jepa4j.data;

import org.jepa4j.config.DataConfig;

/**
 * How a {@link BatchLoader} walks the data.
 *
 * @param batchSize B, images per batch
 * @param workers   worker threads building batches (each builds whole batches)
 * @param prefetch  batches that may be ready or in progress ahead of the consumer (at least {@code workers} are allowed)
 * @param seed      seeds the epoch shuffles and every crop/flip draw
 * @param startStep first global step to produce (resume: earlier steps are skipped without loading images)
 * @param endStep   step to stop before, or {@link #UNBOUNDED}
 * @param shuffle   shuffle each epoch (training); false walks the dataset in order every epoch
 */
public record LoaderOptions(int batchSize, int workers, int prefetch, long seed, long startStep, long endStep,
                            boolean shuffle) {

    /** {@code endStep} value for a loader that never ends. */
    public static final long UNBOUNDED = -1;

    public LoaderOptions {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("loader batch size must be positive, got " + batchSize);
        }
        if (workers <= 0) {
            throw new IllegalArgumentException("loader workers (data.num_workers) must be positive, got " + workers);
        }
        if (prefetch <= 0) {
            throw new IllegalArgumentException("loader prefetch (data.prefetch) must be positive, got " + prefetch);
        }
        if (startStep < 0) {
            throw new IllegalArgumentException("loader start step must be >= 0, got " + startStep);
        }
        if (endStep != UNBOUNDED && endStep < startStep) {
            throw new IllegalArgumentException("loader end step " + endStep + " is before the start step " + startStep);
        }
    }

    /**
     * Training options from a run's {@code data} section: shuffled, batch_size, num_workers, prefetch.
     * {@code num_workers: 0} (the reference's "load in the main process") means one loading thread.
     */
    public static LoaderOptions training(DataConfig data, long seed, long startStep, long endStep) {
        return new LoaderOptions(data.batchSize(), Math.max(1, data.numWorkers()), data.prefetch(), seed, startStep,
                endStep, true);
    }

    /** These options with another worker count. */
    public LoaderOptions withWorkers(int n) {
        return new LoaderOptions(batchSize, n, prefetch, seed, startStep, endStep, shuffle);
    }

    /** These options with another step range. */
    public LoaderOptions withSteps(long start, long end) {
        return new LoaderOptions(batchSize, workers, prefetch, seed, start, end, shuffle);
    }
}
