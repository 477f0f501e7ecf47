package org.jepa4j.mask;

/**
 * The masks of one mini-batch, as the reference collator returns them (docs/reference.md §1.1):
 * flattened patch indices ({@code row * gridWidth + col}), each list sorted ascending and cut to
 * the batch minimum so every image has the same count.
 *
 * @param context {@code [nenc][B][Kc]}: patches the context encoder sees
 * @param targets {@code [npred][B][Kt]}: patches whose target features the predictor must predict
 * @param step    the sampler step (seed) that produced these masks
 */
public record MaskBatch(int[][][] context, int[][][] targets, long step) {

    public int numContextMasks() {
        return context.length;
    }

    public int numTargetMasks() {
        return targets.length;
    }

    public int batchSize() {
        return context.length == 0 ? 0 : context[0].length;
    }

    /** Kc: context patches per image. */
    public int contextLength() {
        return context[0][0].length;
    }

    /** Kt: patches per target block per image. */
    public int targetLength() {
        return targets[0][0].length;
    }
}
