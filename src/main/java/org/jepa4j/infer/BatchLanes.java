package org.jepa4j.infer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs the slices of one batch side by side: a batch of {@code count} images is cut into
 * {@code min(lanes, count)} contiguous slices of {@code floor((count + i) / slices)} images, slice
 * 0 on the calling thread and the others on this object's {@code lanes − 1} daemon threads. With an
 * ONNX Runtime session of one intra-op thread per lane, each core then runs whole operators instead
 * of sharing every small one (the element-wise work of a ViT hardly gains from a second thread).
 * Thread-safe; {@link #close()} stops the threads.
 */
public final class BatchLanes implements AutoCloseable {
    private final int lanes;
    private final ExecutorService pool;

    /** @param lanes slices per batch, at least 1 (1 = run every batch whole on the caller) */
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

    public int lanes() {
        return lanes;
    }

    /** Images per slice for a batch of {@code count}: {@code min(lanes, count)} sizes adding up to count. */
    public static int[] sliceSizes(int count, int lanes) {
        int slices = Math.max(1, Math.min(lanes, count));
        int[] sizes = new int[slices];
        for (int i = 0; i < slices; i++) {
            sizes[i] = (count + i) / slices;
        }
        return sizes;
    }

    /**
     * Runs {@code slice(first, size)} for every slice of a batch of {@code count} images and returns
     * the results in slice order; the first failure is rethrown (unchecked) after all slices ended.
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
        List<Future<T>> others = new ArrayList<>();
        for (int i = 1; i < sizes.length; i++) {
            int s = i;
            others.add(pool.submit(() -> slice.apply(first[s], sizes[s])));
        }
        List<T> out = new ArrayList<>();
        RuntimeException failure = null;
        try {
            out.add(slice.apply(0, sizes[0]));
        } catch (RuntimeException e) {
            failure = e;
        }
        for (Future<T> f : others) {
            try {
                out.add(f.get());
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
        return out;
    }

    /** Work on images {@code first … first + size − 1} of a batch. */
    @FunctionalInterface
    public interface SliceTask<T> {
        T apply(int first, int size);
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
