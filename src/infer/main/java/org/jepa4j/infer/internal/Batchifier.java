package org.jepa4j.infer.internal;

import java.util.List;

/**
 * Batching as its own concern (as DJL's {@code Batchifier}): stacks per-item model inputs into one
 * {@code [B, ...]} array and splits a batched output back into per-item rows. The library's
 * {@code embedBatch} and the server's micro-batcher share it.
 */
public final class Batchifier {
    private Batchifier() {
    }

    /** Writes one item's model input ({@code itemLength} values) into {@code dest} at {@code offset}. */
    @FunctionalInterface
    public interface Filler<T> {
        /** Writes {@code item}'s values into {@code dest} from {@code offset}. */
        void fill(T item, float[] dest, int offset);
    }

    /**
     * Stacks {@code items} into a {@code [items.size(), itemLength]} row-major array.
     */
    public static <T> float[] stack(List<T> items, int itemLength, Filler<? super T> filler) {
        float[] out = new float[Math.multiplyExact(items.size(), itemLength)];
        for (int i = 0; i < items.size(); i++) {
            filler.fill(items.get(i), out, i * itemLength);
        }
        return out;
    }

    /** Stacks already prepared inputs of {@code itemLength} values each. */
    public static float[] stack(List<float[]> inputs, int itemLength) {
        return stack(inputs, itemLength, (x, dest, off) -> {
            if (x.length != itemLength) {
                throw new IllegalArgumentException("input of " + x.length + " values, expected " + itemLength);
            }
            System.arraycopy(x, 0, dest, off, itemLength);
        });
    }

    /** Splits a {@code [count, L]} array into {@code count} rows of {@code L} values. */
    public static float[][] split(float[] batched, int count) {
        if (count == 0) {
            return new float[0][];
        }
        if (batched.length % count != 0) {
            throw new IllegalArgumentException(batched.length + " values do not split into " + count + " equal rows");
        }
        int len = batched.length / count;
        float[][] out = new float[count][len];
        for (int i = 0; i < count; i++) {
            System.arraycopy(batched, i * len, out[i], 0, len);
        }
        return out;
    }
}
