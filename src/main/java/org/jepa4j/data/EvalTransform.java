package org.jepa4j.data;

/**
 * The evaluation transform (torchvision {@code Resize(resize) + CenterCrop(size) + ToTensor +
 * Normalize}): deterministic, used for evaluation, feature extraction and serving.
 */
public final class EvalTransform {
    private final Preprocessing p;

    public EvalTransform(Preprocessing preprocessing) {
        this.p = preprocessing;
    }

    public Preprocessing preprocessing() {
        return p;
    }

    /** Number of floats {@link #apply} returns: C·S·S. */
    public int outputLength() {
        return p.channels() * p.imageSize() * p.imageSize();
    }

    /** The normalised {@code [C, S, S]} input for one image. */
    public float[] apply(Image image) {
        float[] out = new float[outputLength()];
        applyInto(image, out, 0);
        return out;
    }

    /** Writes the normalised {@code [C, S, S]} input into {@code dest} at {@code offset}. */
    public void applyInto(Image image, float[] dest, int offset) {
        Image img = image.withChannels(p.channels());
        int h = img.height();
        int w = img.width();
        int r = p.resizeSize();
        // torchvision Resize(int): the shorter side becomes r, the longer keeps the aspect (floored)
        int newH = h <= w ? r : (int) ((long) r * h / w);
        int newW = h <= w ? (int) ((long) r * w / h) : r;
        Image resized = ImageOps.resize(img, newH, newW);
        int s = p.imageSize();
        int top = (int) Math.round((newH - s) / 2.0);
        int left = (int) Math.round((newW - s) / 2.0);
        Image cropped = ImageOps.crop(resized, top, left, s, s);
        normalizeInto(cropped, p, dest, offset);
    }

    /** {@code (x - mean[c]) / std[c]} for every value of {@code img}, written to {@code dest}. */
    public static void normalizeInto(Image img, Preprocessing p, float[] dest, int offset) {
        int plane = img.height() * img.width();
        float[] px = img.pixels();
        double[] mean = p.mean();
        double[] std = p.std();
        for (int c = 0; c < img.channels(); c++) {
            float m = (float) mean[c];
            float inv = (float) (1.0 / std[c]);
            int base = c * plane;
            for (int i = 0; i < plane; i++) {
                dest[offset + base + i] = (px[base + i] - m) * inv;
            }
        }
    }
}
