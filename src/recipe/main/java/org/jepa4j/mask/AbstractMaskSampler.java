package org.jepa4j.mask;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Shared plumbing of jepa4j's mask samplers: the step counter of {@link MaskSampler} and the
 * truncation of a {@link MaskDraw} into a {@link MaskBatch}. Subclasses implement {@link #draw},
 * a pure function of (seed, step, batch size).
 */
public abstract class AbstractMaskSampler implements MaskSampler {

    private final AtomicLong step = new AtomicLong();
    protected final int gridHeight;
    protected final int gridWidth;
    protected final long seed;
    private final Truncation truncation;

    /** A sampler with the reference's truncation ({@link Truncation#FIRST}). */
    protected AbstractMaskSampler(int gridHeight, int gridWidth, long seed) {
        this(gridHeight, gridWidth, seed, Truncation.FIRST);
    }

    protected AbstractMaskSampler(int gridHeight, int gridWidth, long seed, Truncation truncation) {
        if (gridHeight < 1 || gridWidth < 1) {
            throw new IllegalArgumentException("mask grid must be at least 1x1 patches, got " + gridHeight + "x"
                    + gridWidth);
        }
        this.gridHeight = gridHeight;
        this.gridWidth = gridWidth;
        this.seed = seed;
        this.truncation = Objects.requireNonNull(truncation, "truncation");
    }

    /** The masks of {@code step} before truncation, with the sampler's decisions. Thread-safe. */
    public abstract MaskDraw draw(long step, int batchSize);

    /** The config name of this strategy ({@code multiblock}, {@code random}, ...). */
    public abstract String strategy();

    @Override
    public MaskBatch sampleAt(long step, int batchSize) {
        return truncate(draw(step, batchSize));
    }

    /** {@code draw} cut to equal lengths with this sampler's {@link Truncation}. */
    public MaskBatch truncate(MaskDraw draw) {
        return draw.toBatch(truncation, seed);
    }

    /** How this sampler cuts a batch's masks to one length. */
    public Truncation truncation() {
        return truncation;
    }

    @Override
    public long step() {
        return step.get();
    }

    @Override
    public void setStep(long step) {
        this.step.set(step);
    }

    public int gridHeight() {
        return gridHeight;
    }

    public int gridWidth() {
        return gridWidth;
    }

    protected static void checkBatchSize(int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("mask batch size must be >= 1, got " + batchSize);
        }
    }

    /** Row-major indices of the cells of {@code mask} that are set, ascending. */
    protected static int[] indicesOf(boolean[] mask) {
        int n = 0;
        for (boolean m : mask) {
            if (m) {
                n++;
            }
        }
        int[] out = new int[n];
        int j = 0;
        for (int i = 0; i < mask.length; i++) {
            if (mask[i]) {
                out[j++] = i;
            }
        }
        return out;
    }
}
