package org.jepa4j.data;

/**
 * The evaluation transform (torchvision {@code Resize(resize) + CenterCrop(size) + ToTensor +
 * Normalize}): deterministic, used for evaluation, feature extraction and serving.
 */
public final class EvalTransform implements ImageTransform {
    private final Preprocessing p;

    public EvalTransform(Preprocessing preprocessing) {
        this.p = preprocessing;
    }

    public Preprocessing preprocessing() {
        return p;
    }

    /** Number of floats {@link #apply} returns: C·S·S. */
    @Override
    public int outputLength() {
        return p.channels() * p.imageSize() * p.imageSize();
    }

    @Override
    public int outputChannels() {
        return p.channels();
    }

    @Override
    public int outputSize() {
        return p.imageSize();
    }

    /** Deterministic: {@code random} is not used. */
    @Override
    public void applyInto(Image image, java.util.SplittableRandom random, float[] dest, int offset) {
        applyInto(image, dest, offset);
    }

    @Override
    public String describe() {
        return "Resize(" + p.resizeSize() + ", bilinear) -> CenterCrop(" + p.imageSize() + ") -> " + p.channels()
                + " channel" + (p.channels() == 1 ? "" : "s") + " -> Normalize(mean "
                + java.util.Arrays.toString(p.mean()) + ", std " + java.util.Arrays.toString(p.std()) + ")";
    }

    /** The normalised {@code [C, S, S]} input for one image. */
    public float[] apply(Image image) {
        float[] out = new float[outputLength()];
        applyInto(image, out, 0);
        return out;
    }

    /** Writes the normalised {@code [C, S, S]} input into {@code dest} at {@code offset}. */
    public void applyInto(Image image, float[] dest, int offset) {
        Image img = image;
        int h = img.height();
        int w = img.width();
        int r = p.resizeSize();
        // torchvision Resize(int): the shorter side becomes r, the longer keeps the aspect (floored)
        int newH = h <= w ? r : (int) ((long) r * h / w);
        int newW = h <= w ? (int) ((long) r * w / h) : r;
        Image resized = ImageOps.resize(img, newH, newW);
        int s = p.imageSize();
        // torchvision center_crop: int(round((H - s) / 2.0)) with Python's half-to-even round
        int top = (int) Math.rint((newH - s) / 2.0);
        int left = (int) Math.rint((newW - s) / 2.0);
        Image cropped = ImageOps.crop(resized, top, left, s, s);
        // resize and crop act on each channel alike, so converting channels last equals torchvision's
        // RGB-first order (ImageFolder's convert("RGB")) with less work on grey images
        normalizeInto(cropped.withChannels(p.channels()), p, dest, offset);
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
