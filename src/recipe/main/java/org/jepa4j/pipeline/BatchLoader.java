package org.jepa4j.pipeline;

import org.jepa4j.data.EvalTransform;
import org.jepa4j.data.Image;
import org.jepa4j.data.ImageDataset;
import org.jepa4j.data.ImageTransform;
import org.jepa4j.data.SeedMixer;
import org.jepa4j.data.UnreadableImageException;
import org.jepa4j.mask.MaskBatch;
import org.jepa4j.mask.MaskSampler;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Yields {@link Batch}es in step order, built by worker threads ahead of the consumer.
 *
 * <p>Training (docs/reference.md §6): iterations per epoch {@code ipe = size / B} (the last
 * partial batch is dropped, as the reference's {@code drop_last=True}); global step {@code t}
 * belongs to epoch {@code e = t / ipe} and takes the images {@code perm_e[(t % ipe)·B, +B)},
 * where {@code perm_e} is a Fisher–Yates shuffle seeded from (seed, e). Each image's crop and
 * flip draw from a generator seeded from (seed, t, i), and the masks come from
 * {@code sampler.sampleAt(t, B)}, so the batches depend on the seed alone, not on the number of
 * workers or their timing, and a loader started at step {@code s} yields exactly the tail of a
 * run started at 0 without loading the skipped images.
 *
 * <p>Evaluation ({@link #evaluation}): the dataset once, in order, last partial batch included.
 *
 * <p>An unreadable image ({@link UnreadableImageException}) is replaced by the next readable index
 * (wrapping around) with that index's label; {@link #substitutions()} counts the replacements
 * and {@link #close()} prints the dataset's summary line. Any other worker failure surfaces from
 * {@link #next()} for the step that failed, with the original exception as its cause.
 */
public final class BatchLoader implements Iterator<Batch>, AutoCloseable {

    private final ImageDataset dataset;
    private final ImageTransform transform;
    private final MaskSampler sampler;
    private final boolean labelled;
    private final int batchSize;
    private final int[] slice;
    private final long seed;
    private final long endStep;
    private final int window;
    private final Plan plan;
    private final Thread[] workers;
    private final AtomicLongArray workerBatches;
    private final AtomicLong substitutions = new AtomicLong();

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Map<Long, Batch> ready = new HashMap<>();
    private final Map<Long, Throwable> failures = new HashMap<>();
    private long nextToClaim;
    private long nextToDeliver;
    private boolean closed;
    /** Mirrors {@code closed} for workers mid-batch, so they stop after the current image. */
    private volatile boolean stopping;

    /** Which dataset indices make up a step's batch. */
    private interface Plan {
        int[] indices(long step);
    }

    /**
     * A training loader over {@code dataset}.
     *
     * @param sampler masks for each batch, or null for batches without masks
     */
    public BatchLoader(ImageDataset dataset, ImageTransform transform, MaskSampler sampler, LoaderOptions options) {
        this(dataset, transform, sampler, options, trainingPlan(dataset.size(), options),
                options.endStep() == LoaderOptions.UNBOUNDED ? Long.MAX_VALUE : options.endStep());
    }

    private BatchLoader(ImageDataset dataset, ImageTransform transform, MaskSampler sampler, LoaderOptions options,
                        Plan plan, long endStep) {
        this.dataset = dataset;
        this.transform = transform;
        this.sampler = sampler;
        this.labelled = dataset.labelled();
        this.batchSize = options.batchSize();
        this.slice = options.slice();
        this.seed = options.seed();
        this.endStep = endStep;
        this.window = Math.max(options.prefetch(), options.workers());
        this.plan = plan;
        this.nextToClaim = options.startStep();
        this.nextToDeliver = options.startStep();
        this.workerBatches = new AtomicLongArray(options.workers());
        this.workers = new Thread[options.workers()];
        for (int w = 0; w < workers.length; w++) {
            int id = w;
            workers[w] = new Thread(() -> work(id), "jepa4j-loader-" + w);
            workers[w].setDaemon(true);
        }
        for (Thread t : workers) {
            t.start();
        }
    }

    /**
     * A loader that walks {@code dataset} once in order with the deterministic evaluation
     * transform; the last batch holds the remaining {@code size % batchSize} images when not zero.
     */
    public static BatchLoader evaluation(ImageDataset dataset, EvalTransform transform, int batchSize, int workers) {
        LoaderOptions o = new LoaderOptions(batchSize, workers, 2 * workers, 0, 0, LoaderOptions.UNBOUNDED, false);
        int n = dataset.size();
        long steps = (n + (long) batchSize - 1) / batchSize;
        Plan plan = step -> {
            int from = (int) (step * batchSize);
            int to = Math.min(n, from + batchSize);
            int[] idx = new int[to - from];
            for (int j = 0; j < idx.length; j++) {
                idx[j] = from + j;
            }
            return idx;
        };
        return new BatchLoader(dataset, transform, null, o, plan, steps);
    }

    /** Iterations per epoch with the last partial batch dropped: {@code size / batch}. */
    public static int iterationsPerEpoch(int size, int batch) {
        if (batch <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + batch);
        }
        return size / batch;
    }

    private static Plan trainingPlan(int size, LoaderOptions o) {
        int ipe = iterationsPerEpoch(size, o.batchSize());
        if (ipe == 0) {
            throw new IllegalArgumentException("dataset of " + size + " images is smaller than one batch of "
                    + o.batchSize() + " (data.batch_size); lower the batch size or add images");
        }
        int b = o.batchSize();
        EpochPermutations perms = new EpochPermutations(size, o.seed(), o.shuffle());
        return step -> {
            int[] perm = perms.of(step / ipe);
            int from = (int) (step % ipe) * b;
            return java.util.Arrays.copyOfRange(perm, from, from + b);
        };
    }

    /** The shuffles of the two most recent epochs (workers straddle at most one boundary at a time). */
    private static final class EpochPermutations {
        private final int size;
        private final long seed;
        private final boolean shuffle;
        private long epochA = -1;
        private int[] permA;
        private long epochB = -1;
        private int[] permB;

        EpochPermutations(int size, long seed, boolean shuffle) {
            this.size = size;
            this.seed = seed;
            this.shuffle = shuffle;
        }

        synchronized int[] of(long epoch) {
            if (epoch == epochA) {
                return permA;
            }
            if (epoch == epochB) {
                return permB;
            }
            int[] p = permutation(size, seed, epoch, shuffle);
            epochB = epochA;
            permB = permA;
            epochA = epoch;
            permA = p;
            return p;
        }
    }

    /** Epoch {@code epoch}'s order of {@code 0..size-1}: Fisher–Yates seeded from (seed, epoch), or identity. */
    static int[] permutation(int size, long seed, long epoch, boolean shuffle) {
        int[] p = new int[size];
        for (int i = 0; i < size; i++) {
            p[i] = i;
        }
        if (shuffle) {
            SplittableRandom r = new SplittableRandom(SeedMixer.mix(seed, epoch));
            for (int i = size - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = p[i];
                p[i] = p[j];
                p[j] = t;
            }
        }
        return p;
    }

    private void work(int id) {
        while (true) {
            long step;
            lock.lock();
            try {
                while (!closed && failures.isEmpty() && nextToClaim < endStep && nextToClaim >= nextToDeliver + window) {
                    changed.await();
                }
                if (closed || !failures.isEmpty() || nextToClaim >= endStep) {
                    return;
                }
                step = nextToClaim++;
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            Batch batch = null;
            Throwable failure = null;
            try {
                batch = build(step);
            } catch (Throwable t) {
                failure = t;
            }
            lock.lock();
            try {
                if (closed) {
                    return;
                }
                if (failure != null) {
                    failures.put(step, failure);
                } else {
                    ready.put(step, batch);
                    workerBatches.incrementAndGet(id);
                }
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    private Batch build(long step) {
        int[] indices = plan.indices(step);
        int whole = indices.length;
        // a replica builds its slice of the batch; an evaluation batch (whole < batchSize) is never sliced
        int from = whole == batchSize ? slice[0] : 0;
        int b = whole == batchSize ? slice[1] - slice[0] : whole;
        int len = transform.outputLength();
        float[] pixels = new float[b * len];
        int[] labels = labelled ? new int[b] : null;
        for (int i = 0; i < b; i++) {
            if (stopping) {
                throw new java.util.concurrent.CancellationException("loader closed");
            }
            int j = from + i; // the image's position in the whole batch seeds its crop and flip
            int index = indices[j];
            Image image = null;
            for (int tries = 0; image == null; tries++) {
                try {
                    image = dataset.image(index);
                } catch (UnreadableImageException e) {
                    if (tries + 1 >= dataset.size()) {
                        throw new IllegalStateException("no readable image in " + dataset.description(), e);
                    }
                    substitutions.incrementAndGet();
                    index = (index + 1) % dataset.size();
                }
            }
            SplittableRandom random = new SplittableRandom(SeedMixer.mix(seed, step, j));
            transform.applyInto(image, random, pixels, i * len);
            if (labels != null) {
                labels[i] = dataset.label(index);
            }
        }
        // masks of the whole batch (their lengths are the batch minimum), then this slice's lists
        MaskBatch masks = sampler == null ? null : sampler.sampleAt(step, whole);
        if (masks != null && b < whole) {
            masks = masks.slice(from, from + b);
        }
        int s = transform.outputSize();
        return new Batch(step, pixels, b, transform.outputChannels(), s, s, labels, masks);
    }

    /** True until the end step is reached or the loader is closed. */
    @Override
    public boolean hasNext() {
        lock.lock();
        try {
            return !closed && nextToDeliver < endStep;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The batch of the next step, waiting for a worker when needed.
     *
     * @throws IllegalStateException when the worker building it failed (the cause is the worker's exception)
     */
    @Override
    public Batch next() {
        lock.lock();
        try {
            if (closed || nextToDeliver >= endStep) {
                throw new NoSuchElementException(closed ? "loader is closed" : "loader ended at step " + endStep);
            }
            long step = nextToDeliver;
            while (!ready.containsKey(step)) {
                Throwable failure = failures.get(step);
                if (failure != null) {
                    throw new IllegalStateException("data loader failed building the batch of step " + step + ": "
                            + failure, failure);
                }
                if (closed) {
                    throw new NoSuchElementException("loader is closed");
                }
                changed.await();
            }
            nextToDeliver++;
            changed.signalAll();
            return ready.remove(step);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a batch", e);
        } finally {
            lock.unlock();
        }
    }


    /** Batches built by each worker so far. */
    public long[] workerBatchCounts() {
        long[] out = new long[workerBatches.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = workerBatches.get(i);
        }
        return out;
    }

    /** Images replaced because their file was unreadable. */
    public long substitutions() {
        return substitutions.get();
    }


    /** Stops the workers (batches in progress are abandoned after their current image) and prints the unreadable-file summary, if any. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            stopping = true;
            ready.clear();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        // no interrupt: it would close the channels of files being read (ClosedByInterruptException)
        // and make readable images look corrupt; workers check the flag after every image instead
        for (Thread t : workers) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        String summary = dataset.unreadableSummary();
        if (summary != null) {
            System.err.println(summary);
        }
    }
}
