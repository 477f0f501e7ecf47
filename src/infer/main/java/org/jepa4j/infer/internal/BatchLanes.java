package org.jepa4j.infer.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs the slices of one batch side by side. With {@code lanes > 1} a batch of {@code count}
 * images is cut into contiguous slices of at most {@link #SLICE_IMAGES} images (a multiple of
 * {@code lanes} of them, sizes differing by at most one, see {@link #sliceSizes}), and {@code lanes}
 * workers (the calling thread and this object's {@code lanes − 1} daemon threads) take the next
 * slice until none is left. With an ONNX Runtime session of one intra-op thread per lane, each core
 * then runs whole operators instead of sharing every small one (the element-wise work of a ViT
 * hardly gains from a second thread); small slices keep activations closer in cache, and a core
 * slowed by other work on the host takes fewer slices instead of holding up the batch.
 * With one lane every batch runs whole on the caller. Thread-safe; {@link #close()} stops the threads.
 */
public final class BatchLanes implements AutoCloseable {
    /** Most images in one slice when {@code lanes > 1} ({@link org.jepa4j.infer.ExtractorOptions#SLICE_IMAGES}). */
    public static final int SLICE_IMAGES = 8;

    private final int lanes;
    private final ExecutorService pool;
    private volatile boolean closed;

    /** @param lanes workers per batch, at least 1 (1 = run every batch whole on the caller) */
    public BatchLanes(int lanes) {
        if (lanes < 1) {
            throw new IllegalArgumentException("lanes must be >= 1, got " + lanes);
        }
        this.lanes = lanes;
        this.pool = lanes == 1 ? null : Executors.newFixedThreadPool(lanes - 1, r -> {
            Thread t = new Thread(r, "jepa4j-batch-lane");
            t.setDaemon(true);
            return t;
        });
    }

    /** Workers per batch. */
    public int lanes() {
        return lanes;
    }

    /**
     * Images per slice for a batch of {@code count}: one slice with one lane; otherwise the fewest
     * slices that is a multiple of {@code lanes} and holds at most {@link #SLICE_IMAGES} images each
     * (but never more slices than images), sizes {@code floor((count + i) / slices)}.
     */
    public static int[] sliceSizes(int count, int lanes) {
        int slices = 1;
        if (lanes > 1) {
            int needed = Math.max(1, (count + SLICE_IMAGES - 1) / SLICE_IMAGES);
            slices = Math.min(count, lanes * ((needed + lanes - 1) / lanes));
        }
        slices = Math.max(1, slices);
        int[] sizes = new int[slices];
        for (int i = 0; i < slices; i++) {
            sizes[i] = (count + i) / slices;
        }
        return sizes;
    }

    /**
     * Runs {@code slice(first, size)} for every slice of a batch of {@code count} images and returns
     * the results in slice order. After a failure no further slice starts; the first failure is
     * rethrown (unchecked) once the running slices ended.
     */
    public <T> List<T> run(int count, SliceTask<T> slice) {
        int[] sizes = sliceSizes(count, lanes);
        if (sizes.length == 1) {
            return java.util.Collections.singletonList(slice.apply(0, count));
        }
        int[] first = new int[sizes.length];
        for (int i = 1; i < sizes.length; i++) {
            first[i] = first[i - 1] + sizes[i - 1];
        }
        Object[] results = new Object[sizes.length];
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            int i;
            while ((i = next.getAndIncrement()) < sizes.length) {
                try {
                    results[i] = slice.apply(first[i], sizes[i]);
                } catch (RuntimeException | Error e) {
                    next.set(sizes.length);
                    throw e;
                }
            }
        };
        List<Future<?>> helpers = new ArrayList<>();
        for (int w = 1; w < Math.min(lanes, sizes.length); w++) {
            helpers.add(pool.submit(worker));
        }
        RuntimeException failure = null;
        try {
            worker.run();
        } catch (RuntimeException e) {
            failure = e;
        }
        for (Future<?> f : helpers) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) {
                    failure = new IllegalStateException("interrupted while waiting for a batch slice", e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
        @SuppressWarnings("unchecked")
        List<T> out = (List<T>) Arrays.asList(results);
        return out;
    }

    /** Work on images {@code first … first + size − 1} of a batch. */
    @FunctionalInterface
    public interface SliceTask<T> {
        /** The result for images {@code first … first + size − 1}. */
        T apply(int first, int size);
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        closed = true;
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
