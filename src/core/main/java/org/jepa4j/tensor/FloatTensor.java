package org.jepa4j.tensor;

import java.util.Arrays;

/**
 * A dense float32 tensor in row-major (C) order. Shapes follow PyTorch's conventions for the
 * reference's parameters (Linear weight {@code [out, in]}, Conv2d weight {@code [D, C, p, p]}).
 * The data array is not copied: treat it as immutable once shared.
 *
 * @param shape dimensions, outermost first; {@code []} for a scalar
 * @param data  {@code product(shape)} values
 */
public record FloatTensor(long[] shape, float[] data) {

    public FloatTensor {
        long n = elementCount(shape);
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n
                    + " values but data has " + data.length);
        }
    }

    /** A zero tensor of the given shape. */
    public static FloatTensor zeros(long... shape) {
        return new FloatTensor(shape.clone(), new float[Math.toIntExact(elementCount(shape))]);
    }

    public static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            }
            n *= d;
        }
        return n;
    }

    public int rank() {
        return shape.length;
    }

    public long size() {
        return data.length;
    }

    /** A deep copy (shape and data). */
    public FloatTensor copy() {
        return new FloatTensor(shape.clone(), data.clone());
    }

    /** True when the shapes are equal. */
    public boolean hasShape(long... expected) {
        return Arrays.equals(shape, expected);
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FloatTensor t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "FloatTensor" + Arrays.toString(shape);
    }
}
