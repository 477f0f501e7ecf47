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

    /**
     * The masks of images {@code [from, to)} of this batch (a data-parallel replica's slice): the
     * same lists, so the same lengths, as the whole batch has for those images.
     */
    public MaskBatch slice(int from, int to) {
        if (from < 0 || to > batchSize() || from >= to) {
            throw new IllegalArgumentException("mask slice [" + from + ", " + to + ") is not inside the batch of "
                    + batchSize() + " images, expected 0 <= from < to <= " + batchSize());
        }
        return new MaskBatch(sliceLists(context, from, to), sliceLists(targets, from, to), step);
    }

    private static int[][][] sliceLists(int[][][] lists, int from, int to) {
        int[][][] out = new int[lists.length][][];
        for (int m = 0; m < lists.length; m++) {
            out[m] = java.util.Arrays.copyOfRange(lists[m], from, to);
        }
        return out;
    }
}
