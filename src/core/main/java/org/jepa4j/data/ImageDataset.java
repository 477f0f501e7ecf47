package org.jepa4j.data;

import java.util.List;

/**
 * A fixed, indexed collection of images (one split of one source). Indices run {@code 0 .. size()-1}
 * in a deterministic order; reads are thread-safe so loader workers can share one instance.
 */
public interface ImageDataset {

    /** Number of images. */
    int size();

    /**
     * The decoded image at {@code index}: values in [0, 1], native size and channel count.
     *
     * @throws UnreadableImageException when the stored file cannot be decoded (folder sources);
     *                                  {@link BatchLoader} then substitutes the next readable index
     */
    Image image(int index);

    /** Class label of {@code index} in {@code 0 .. classNames().size()-1}, or -1 when unlabelled. */
    int label(int index);

    /** Class names in label order; empty when the source is unlabelled. */
    List<String> classNames();

    /** One line naming the source, split and count, e.g. {@code fashion-mnist train (60000 images)}. */
    String description();

    /**
     * Where image {@code index} comes from, for messages: its file for folder sources, else
     * {@code image INDEX of DESCRIPTION}.
     */
    default String source(int index) {
        return "image " + index + " of " + description();
    }

    /** True when every image has a class label. */
    default boolean labelled() {
        return !classNames().isEmpty();
    }

    /** Files found unreadable so far (0 for sources that decode from memory). */
    default int unreadableCount() {
        return 0;
    }

    /**
     * The end-of-run line for unreadable files, e.g. {@code skipped 3 unreadable files under DIR},
     * or null when there were none.
     */
    default String unreadableSummary() {
        int n = unreadableCount();
        return n == 0 ? null : "skipped " + n + " unreadable file" + (n == 1 ? "" : "s") + " in " + description();
    }

    /** A view of the first {@code n} images ({@code data.limit}); this dataset itself when {@code n} is 0 or covers all. */
    default ImageDataset limit(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("data.limit: " + n + " must be >= 0 (0 = all images)");
        }
        if (n == 0 || n >= size()) {
            return this;
        }
        return view(n, i -> i, description() + ", limited to the first " + n);
    }

    /**
     * A view of the images {@code from} (inclusive) to {@code to} (exclusive), in order; this dataset
     * itself when the range covers all of it.
     */
    default ImageDataset range(int from, int to) {
        if (from < 0 || to > size() || from > to) {
            throw new IllegalArgumentException("image range " + from + ".." + to + " is outside the " + size()
                    + " images of " + description());
        }
        if (from == 0 && to == size()) {
            return this;
        }
        return view(to - from, i -> from + i, description() + ", images " + from + " to " + (to - 1));
    }

    /**
     * A view of the images at {@code indices}, in that order (e.g. the readable ones of a split);
     * {@code what} is appended to the description.
     */
    default ImageDataset select(int[] indices, String what) {
        int[] at = indices.clone();
        for (int i : at) {
            if (i < 0 || i >= size()) {
                throw new IllegalArgumentException("index " + i + " is outside the " + size() + " images of "
                        + description());
            }
        }
        return view(at.length, i -> at[i], description() + ", " + what);
    }

    /** {@code n} images, the i-th of which is {@code at.applyAsInt(i)} of this dataset. */
    private ImageDataset view(int n, java.util.function.IntUnaryOperator at, String description) {
        ImageDataset all = this;
        return new ImageDataset() {
            @Override
            public int size() {
                return n;
            }

            @Override
            public Image image(int index) {
                return all.image(check(index));
            }

            @Override
            public int label(int index) {
                return all.label(check(index));
            }

            @Override
            public List<String> classNames() {
                return all.classNames();
            }

            @Override
            public String description() {
                return description;
            }

            @Override
            public String source(int index) {
                return all.source(check(index));
            }

            @Override
            public int unreadableCount() {
                return all.unreadableCount();
            }

            @Override
            public String unreadableSummary() {
                return all.unreadableSummary();
            }

            private int check(int index) {
                if (index < 0 || index >= n) {
                    throw new IndexOutOfBoundsException("index " + index + " outside the " + n + " images of "
                            + description);
                }
                return at.applyAsInt(index);
            }
        };
    }
}
