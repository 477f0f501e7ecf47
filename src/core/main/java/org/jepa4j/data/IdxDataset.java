package org.jepa4j.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Images from an IDX file ({@code [N, H, W]} grey or {@code [N, H, W, C]} with C = 1 or 3),
 * optionally with an IDX label file {@code [N]}; everything is held in memory as bytes and
 * converted to floats per access.
 */
public final class IdxDataset implements ImageDataset {
    private final byte[] pixels;
    private final byte[] labels;
    private final int count;
    private final int height;
    private final int width;
    private final int channels;
    private final List<String> classNames;
    private final String description;

    private IdxDataset(byte[] pixels, byte[] labels, int count, int height, int width, int channels,
                       List<String> classNames, String description) {
        this.pixels = pixels;
        this.labels = labels;
        this.count = count;
        this.height = height;
        this.width = width;
        this.channels = channels;
        this.classNames = List.copyOf(classNames);
        this.description = description;
    }

    /**
     * Reads an image file and an optional label file (null).
     *
     * @param classNames names for labels {@code 0..K-1}, or null to name them "0".."K-1" from the largest label
     * @param name       source name used in {@link #description()}
     */
    public static IdxDataset read(Path imagesFile, Path labelsFile, List<String> classNames, String name) {
        IdxFile images = IdxFile.read(imagesFile);
        if (images.rank() != 3 && images.rank() != 4) {
            throw new IllegalArgumentException("IDX images " + imagesFile + ": shape " + Arrays.toString(images.dims())
                    + " is not [N, H, W] or [N, H, W, C]");
        }
        int c = images.rank() == 4 ? images.dim(3) : 1;
        if (c != 1 && c != 3) {
            throw new IllegalArgumentException("IDX images " + imagesFile + ": " + c
                    + " channels in the last dimension (expected 1 or 3)");
        }
        int n = images.dim(0);
        byte[] labelBytes = null;
        List<String> names = List.of();
        if (labelsFile != null) {
            IdxFile labels = IdxFile.read(labelsFile);
            if (labels.rank() != 1) {
                throw new IllegalArgumentException("IDX labels " + labelsFile + ": shape "
                        + Arrays.toString(labels.dims()) + " is not [N]");
            }
            if (labels.dim(0) != n) {
                throw new IllegalArgumentException("IDX count mismatch: " + imagesFile + " holds " + n + " images but "
                        + labelsFile + " holds " + labels.dim(0) + " labels");
            }
            labelBytes = labels.values();
            int max = 0;
            for (byte b : labelBytes) {
                max = Math.max(max, b & 0xff);
            }
            if (classNames != null) {
                if (max >= classNames.size()) {
                    throw new IllegalArgumentException("IDX labels " + labelsFile + ": label " + max + " but only "
                            + classNames.size() + " class names");
                }
                names = classNames;
            } else {
                List<String> generated = new ArrayList<>();
                for (int k = 0; k <= max; k++) {
                    generated.add(Integer.toString(k));
                }
                names = generated;
            }
        }
        return new IdxDataset(images.values(), labelBytes, n, images.dim(1), images.dim(2), c, names, name);
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    public Image image(int index) {
        java.util.Objects.checkIndex(index, count);
        int plane = height * width;
        int stride = plane * channels;
        int base = index * stride;
        float[] px = new float[stride];
        if (channels == 1) {
            for (int i = 0; i < plane; i++) {
                px[i] = (pixels[base + i] & 0xff) / 255f;
            }
        } else { // stored HWC, returned CHW
            for (int i = 0; i < plane; i++) {
                for (int ch = 0; ch < channels; ch++) {
                    px[ch * plane + i] = (pixels[base + i * channels + ch] & 0xff) / 255f;
                }
            }
        }
        return new Image(channels, height, width, px);
    }

    @Override
    public int label(int index) {
        java.util.Objects.checkIndex(index, count);
        return labels == null ? -1 : labels[index] & 0xff;
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    @Override
    public String description() {
        return description + " (" + count + " images, " + height + "x" + width + "x" + channels
                + (labels == null ? ", unlabelled" : ", " + classNames.size() + " classes") + ")";
    }
}
