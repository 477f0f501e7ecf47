package org.jepa4j.serve;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Dynamic micro-batching: inputs submitted by concurrent callers within {@code maxWait} of the
 * first waiting one are run together, up to {@code maxBatch} inputs, on dedicated worker threads.
 *
 * <p>Admission is bounded: a caller first {@link #reserve reserves} room for its inputs (refused
 * when {@code capacity} inputs are already waiting), then {@link Reservation#submit submits} them.
 * What was reserved is never dropped: {@link #close()} stops new reservations, lets the workers
 * finish every reserved and queued input, then returns.
 */
public final class MicroBatcher implements AutoCloseable {

    /** Runs one batch; the same contract as {@link BatchEmbedder#embedPrepared}. */
    @FunctionalInterface
    public interface BatchFunction {
        float[][] run(List<float[]> inputs);
    }

    /** Observes the batches (metrics). Called on the worker thread. */
    public interface Listener {
        Listener NONE = (size, nanos, failure) -> { };

        /** One batch of {@code size} inputs ran for {@code nanos}; {@code failure} is null when it succeeded. */
        void batch(int size, long nanos, Throwable failure);
    }

    /** Room for a number of inputs, obtained from {@link #reserve}. */
    public final class Reservation {
        private final AtomicInteger left;

        private Reservation(int count) {
            this.left = new AtomicInteger(count);
        }

        /**
         * Queues one input (using one reserved place).
         *
         * @return its feature, completed by a worker (exceptionally when the batch failed)
         * @throws IllegalStateException when every reserved place is used
         */
        public CompletableFuture<float[]> submit(float[] input) {
            if (left.getAndUpdate(n -> n > 0 ? n - 1 : n) <= 0) {
                throw new IllegalStateException("reservation used up: submit more inputs than reserved");
            }
            Job job = new Job(input, new CompletableFuture<>());
            queue.add(job);
            return job.result;
        }

        /** Queues several inputs together, so that they tend to share a batch. */
        public List<CompletableFuture<float[]>> submitAll(List<float[]> inputs) {
            List<CompletableFuture<float[]>> out = new ArrayList<>(inputs.size());
            for (float[] in : inputs) {
                out.add(submit(in));
            }
            return out;
        }

        /** Gives back the places not used by {@link #submit} (idempotent). */
        public void release() {
            int n = left.getAndSet(0);
            if (n > 0) {
                pending.addAndGet(-n);
            }
        }
    }

    private record Job(float[] input, CompletableFuture<float[]> result) {
    }

    private final BatchFunction function;
    private final int maxBatch;
    private final long maxWaitNanos;
    private final int capacity;
    private final Listener listener;
    /** Unbounded by itself; {@link #pending} bounds it. */
    private final BlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    /** Inputs reserved or queued and not yet taken into a batch. */
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final List<Thread> workers = new ArrayList<>();

    /**
     * Starts the workers.
     *
     * @param name     prefix of the worker threads' names
     * @param function the model's batch forward pass
     * @param maxBatch most inputs per batch (≥ 1)
     * @param maxWait  how long a batch waits for more inputs after its first (≥ 0)
     * @param capacity most inputs waiting (reserved or queued) at once (≥ 1)
     * @param workers  worker threads running batches (≥ 1)
     * @param listener batch observer
     */
    public MicroBatcher(String name, BatchFunction function, int maxBatch, Duration maxWait, int capacity, int workers,
                        Listener listener) {
        if (maxBatch < 1 || capacity < 1 || workers < 1 || maxWait.isNegative()) {
            throw new IllegalArgumentException("micro-batcher needs max batch ≥ 1 (" + maxBatch + "), queue ≥ 1 (" + capacity
                    + "), workers ≥ 1 (" + workers + ") and max wait ≥ 0 (" + maxWait.toMillis() + " ms)");
        }
        this.function = function;
        this.maxBatch = maxBatch;
        this.maxWaitNanos = maxWait.toNanos();
        this.capacity = capacity;
        this.listener = listener;
        for (int i = 0; i < workers; i++) {
            Thread t = new Thread(this::work, name + "-" + i);
            t.setDaemon(true);
            this.workers.add(t);
            t.start();
        }
    }

    /**
     * Reserves room for {@code count} inputs.
     *
     * @return empty when the queue cannot take them now (or the batcher is closing)
     * @throws IllegalArgumentException when {@code count} exceeds the capacity (it never could)
     */
    public Optional<Reservation> reserve(int count) {
        if (count < 1 || count > capacity) {
            throw new IllegalArgumentException(count + " inputs: a request may hold 1 to " + capacity
                    + " (the queue capacity)");
        }
        if (closed.get()) {
            return Optional.empty();
        }
        while (true) {
            int now = pending.get();
            if (now + count > capacity) {
                return Optional.empty();
            }
            if (pending.compareAndSet(now, now + count)) {
                break;
            }
        }
        if (closed.get()) {
            // lost a race with close(): give the places back rather than hold the workers open
            pending.addAndGet(-count);
            return Optional.empty();
        }
        return Optional.of(new Reservation(count));
    }

    /** Inputs reserved or queued and not yet in a batch (the queue depth). */
    public int depth() {
        return pending.get();
    }

    public int capacity() {
        return capacity;
    }

    public int maxBatch() {
        return maxBatch;
    }

    public boolean isClosed() {
        return closed.get();
    }

    private void work() {
        List<Job> batch = new ArrayList<>(maxBatch);
        try {
            while (true) {
                Job first = queue.poll(20, TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (closed.get() && pending.get() == 0 && queue.isEmpty()) {
                        return;
                    }
                    continue;
                }
                batch.add(first);
                long deadline = System.nanoTime() + maxWaitNanos;
                while (batch.size() < maxBatch) {
                    queue.drainTo(batch, maxBatch - batch.size());
                    if (batch.size() >= maxBatch) {
                        break;
                    }
                    long wait = deadline - System.nanoTime();
                    if (wait <= 0) {
                        break;
                    }
                    Job next = queue.poll(wait, TimeUnit.NANOSECONDS);
                    if (next == null) {
                        break;
                    }
                    batch.add(next);
                }
                pending.addAndGet(-batch.size());
                runBatch(batch);
                batch.clear();
            }
        } catch (InterruptedException e) {
            // only close() after its grace period interrupts: fail what is left rather than hang callers
            for (Job j : batch) {
                j.result.completeExceptionally(new IllegalStateException("batcher stopped"));
            }
            Job j;
            while ((j = queue.poll()) != null) {
                j.result.completeExceptionally(new IllegalStateException("batcher stopped before this input ran"));
            }
            Thread.currentThread().interrupt();
        }
    }

    private void runBatch(List<Job> batch) {
        List<float[]> inputs = new ArrayList<>(batch.size());
        for (Job j : batch) {
            inputs.add(j.input);
        }
        long t0 = System.nanoTime();
        float[][] out;
        try {
            out = function.run(inputs);
            if (out.length != batch.size()) {
                throw new IllegalStateException("batch of " + batch.size() + " inputs gave " + out.length + " outputs");
            }
        } catch (RuntimeException | Error e) {
            listener.batch(batch.size(), System.nanoTime() - t0, e);
            for (Job j : batch) {
                j.result.completeExceptionally(e);
            }
            return;
        }
        listener.batch(batch.size(), System.nanoTime() - t0, null);
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).result.complete(out[i]);
        }
    }

    /**
     * Stops taking reservations, waits until every reserved and queued input has run (at most
     * {@code grace}), then stops the workers.
     *
     * @return true when everything finished within {@code grace}
     */
    public boolean close(Duration grace) {
        closed.set(true);
        long deadline = System.nanoTime() + grace.toNanos();
        boolean clean = true;
        for (Thread t : workers) {
            long left = deadline - System.nanoTime();
            try {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (t.isAlive()) {
                clean = false;
                t.interrupt();
            }
        }
        return clean;
    }

    /** {@link #close(Duration)} with no time limit worth mentioning (one hour). */
    @Override
    public void close() {
        close(Duration.ofHours(1));
    }
}
