package org.jepa4j.mask;

/**
 * The size of a rectangular mask block in patches.
 *
 * @param height rows of patches (h)
 * @param width  columns of patches (w)
 */
public record BlockSize(int height, int width) implements Comparable<BlockSize> {

    public BlockSize {
        if (height < 0 || width < 0) {
            throw new IllegalArgumentException("block size must be non-negative: " + height + "x" + width);
        }
    }

    /** h·w patches. */
    public int area() {
        return height * width;
    }

    @Override
    public int compareTo(BlockSize o) {
        return height != o.height ? Integer.compare(height, o.height) : Integer.compare(width, o.width);
    }

    /** {@code hxw}, rows first. */
    @Override
    public String toString() {
        return height + "x" + width;
    }
}
