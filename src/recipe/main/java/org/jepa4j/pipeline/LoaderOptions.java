package org.jepa4j.pipeline;

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
 * @param replica   which slice of each batch this loader builds (a data-parallel replica's rank)
 * @param replicas  slices each batch is cut into: replica r builds the contiguous images
 *                  {@link #slice}, with the crops, flips and masks those images have in the whole
 *                  batch, so the replicas' slices together are exactly the one-process batch
 */
public record LoaderOptions(int batchSize, int workers, int prefetch, long seed, long startStep, long endStep,
                            boolean shuffle, int replica, int replicas) {

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
        if (replicas < 1 || replicas > batchSize || replica < 0 || replica >= replicas) {
            throw new IllegalArgumentException("loader replica " + replica + " of " + replicas + " is not possible with"
                    + " batches of " + batchSize + ", expected 0 <= replica < replicas <= data.batch_size");
        }
    }

    /** Options that build whole batches (one replica). */
    public LoaderOptions(int batchSize, int workers, int prefetch, long seed, long startStep, long endStep,
                         boolean shuffle) {
        this(batchSize, workers, prefetch, seed, startStep, endStep, shuffle, 0, 1);
    }

    /**
     * The images {@code [from, to)} of a batch that {@code replica} of {@code replicas} builds:
     * contiguous slices of {@code floor((batchSize + r) / replicas)} images in rank order (the
     * rule of training towers).
     */
    public static int[] slice(int batchSize, int replica, int replicas) {
        int from = 0;
        for (int r = 0; r < replica; r++) {
            from += (batchSize + r) / replicas;
        }
        return new int[] {from, from + (batchSize + replica) / replicas};
    }

    /** This loader's slice of each batch ({@link #slice}). */
    public int[] slice() {
        return slice(batchSize, replica, replicas);
    }

    /** These options building replica {@code r}'s slice of {@code n}. */
    public LoaderOptions withReplica(int r, int n) {
        return new LoaderOptions(batchSize, workers, prefetch, seed, startStep, endStep, shuffle, r, n);
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
        return new LoaderOptions(batchSize, n, prefetch, seed, startStep, endStep, shuffle, replica, replicas);
    }

    /** These options with another step range. */
    public LoaderOptions withSteps(long start, long end) {
        return new LoaderOptions(batchSize, workers, prefetch, seed, start, end, shuffle, replica, replicas);
    }
}
