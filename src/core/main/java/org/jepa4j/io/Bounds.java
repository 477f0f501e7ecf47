package org.jepa4j.io;

import java.util.Locale;

/**
 * Bounds on counts, sizes and lengths given on a command line: each gets a limit from memory or
 * from sense, and a value beyond it one clear line naming the option, the value and the limit
 * instead of an out-of-memory error or a job that would never end.
 */
public final class Bounds {
    /** Most epochs of a probe or a pretraining (the paper's longest schedule is 300). */
    public static final int MAX_EPOCHS = 100_000;
    /** Most threads of a pool (ONNX Runtime, decoders): far beyond any machine's cores, below a thread bomb. */
    public static final int MAX_THREADS = 1024;
    /** Most images in one batch: the largest batch the paper trains with is 2048 over 16 GPUs. */
    public static final int MAX_BATCH = 65_536;

    private Bounds() {
    }

    /**
     * Refuses {@code value} outside {@code [1, max]}.
     *
     * @param what the unit, for the message ({@code images per batch})
     * @throws IllegalArgumentException naming the option, the value and the bound
     */
    public static void atMost(String option, long value, long max, String what) {
        if (value < 1) {
            throw new IllegalArgumentException(option + " " + value + ": expected a positive number of " + what);
        }
        if (value > max) {
            throw new IllegalArgumentException(option + " " + value + ": more " + what + " than the limit of " + max);
        }
    }

    /**
     * Refuses {@code value} outside {@code [0, max]} (0 meaning a default).
     *
     * @throws IllegalArgumentException naming the option, the value and the bound
     */
    public static void zeroOrAtMost(String option, long value, long max, String what) {
        if (value != 0) {
            if (value < 0) {
                throw new IllegalArgumentException(option + " " + value + ": expected 0 or a positive number of " + what);
            }
            atMost(option, value, max, what);
        }
    }

    /**
     * Refuses a batch whose items would take more than half the heap together.
     *
     * @param bytesPerItem memory one item needs (its input and its output, as floats)
     * @throws IllegalArgumentException naming the option, the memory it would need, the heap and the largest batch that fits
     */
    public static void batchFitsTheHeap(String option, long batch, long bytesPerItem) {
        atMost(option, batch, MAX_BATCH, "images per batch");
        long budget = Runtime.getRuntime().maxMemory() / 2;
        if (bytesPerItem > 0 && batch > budget / bytesPerItem) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s %d: %d images of %.1f MB each need %.1f GB,"
                            + " more than half the heap (%.1f GB); use at most %d, or raise -Xmx in JEPA4J_JAVA_OPTS", option,
                    batch, batch, bytesPerItem / 1e6, batch * (double) bytesPerItem / 1e9,
                    Runtime.getRuntime().maxMemory() / 1e9, Math.max(1, budget / bytesPerItem)));
        }
    }
}
