package org.jepa4j.mask;

/**
 * Draws the context and target masks of a mini-batch. The masks of a batch are a pure function
 * of (seed, step, batch size), so loader threads can draw them in any order and a resumed run
 * can fast-forward by setting the step.
 */
public interface MaskSampler {

    /** The masks for {@code step}; does not touch the internal counter. Safe for concurrent callers. */
    MaskBatch sampleAt(long step, int batchSize);

    /** The masks for the current step, then advances the counter (reference: one collator call). */
    default MaskBatch next(int batchSize) {
        synchronized (this) {
            long s = step();
            setStep(s + 1);
            return sampleAt(s, batchSize);
        }
    }

    /** The step the next {@link #next} call will use (0 for a new run). */
    long step();

    /** Fast-forwards (or rewinds) the counter, as the reference's {@code mask_collator.step()} on resume. */
    void setStep(long step);
}
