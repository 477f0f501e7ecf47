package org.jepa4j.data;

/**
 * Resampling shared by every transform: a separable triangle (bilinear) filter that widens its
 * support when shrinking, as PIL's {@code Image.resize(..., BILINEAR, box)} does, so downscaling
 * is antialiased and upscaling is plain bilinear with half-pixel centres.
 */
public final class ImageOps {
    private ImageOps() {
    }

    /**
     * Resamples the box {@code [left, left+boxWidth) x [top, top+boxHeight)} of {@code in}
     * (source pixel units, fractional allowed) to {@code outHeight x outWidth}.
     */
    public static Image resizeBox(Image in, double left, double top, double boxWidth, double boxHeight,
                                  int outHeight, int outWidth) {
        if (outHeight <= 0 || outWidth <= 0 || boxWidth <= 0 || boxHeight <= 0) {
            throw new IllegalArgumentException("resize to " + outHeight + "x" + outWidth + " from a "
                    + boxWidth + "x" + boxHeight + " box");
        }
        Taps tx = taps(in.width(), left, boxWidth, outWidth);
        Taps ty = taps(in.height(), top, boxHeight, outHeight);
        int c = in.channels();
        float[] src = in.pixels();
        float[] tmp = new float[c * in.height() * outWidth];
        // horizontal pass: [C, H, W] -> [C, H, outW]
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < in.height(); y++) {
                int rowIn = (ch * in.height() + y) * in.width();
                int rowOut = (ch * in.height() + y) * outWidth;
                for (int x = 0; x < outWidth; x++) {
                    double acc = 0;
                    int base = tx.start[x];
                    for (int k = 0; k < tx.count[x]; k++) {
                        acc += tx.weights[x][k] * src[rowIn + base + k];
                    }
                    tmp[rowOut + x] = (float) acc;
                }
            }
        }
        // vertical pass: [C, H, outW] -> [C, outH, outW]
        float[] out = new float[c * outHeight * outWidth];
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < outHeight; y++) {
                int rowOut = (ch * outHeight + y) * outWidth;
                int base = ty.start[y];
                for (int x = 0; x < outWidth; x++) {
                    double acc = 0;
                    for (int k = 0; k < ty.count[y]; k++) {
                        acc += ty.weights[y][k] * tmp[(ch * in.height() + base + k) * outWidth + x];
                    }
                    out[rowOut + x] = (float) acc;
                }
            }
        }
        return new Image(c, outHeight, outWidth, out);
    }

    /** Resizes the whole image. */
    public static Image resize(Image in, int outHeight, int outWidth) {
        if (outHeight == in.height() && outWidth == in.width()) {
            return in;
        }
        return resizeBox(in, 0, 0, in.width(), in.height(), outHeight, outWidth);
    }

    /** Crops the integer box {@code [top, top+h) x [left, left+w)}; it must lie inside the image. */
    public static Image crop(Image in, int top, int left, int h, int w) {
        if (top < 0 || left < 0 || top + h > in.height() || left + w > in.width() || h <= 0 || w <= 0) {
            throw new IllegalArgumentException("crop " + h + "x" + w + " at (" + top + "," + left + ") outside a "
                    + in.height() + "x" + in.width() + " image");
        }
        int c = in.channels();
        float[] out = new float[c * h * w];
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h; y++) {
                System.arraycopy(in.pixels(), (ch * in.height() + top + y) * in.width() + left, out,
                        (ch * h + y) * w, w);
            }
        }
        return new Image(c, h, w, out);
    }

    /** The image mirrored left-right (torchvision {@code hflip}). */
    public static Image flipHorizontal(Image in) {
        int w = in.width();
        float[] src = in.pixels();
        float[] out = new float[src.length];
        for (int row = 0; row < in.channels() * in.height(); row++) {
            int base = row * w;
            for (int x = 0; x < w; x++) {
                out[base + x] = src[base + w - 1 - x];
            }
        }
        return new Image(in.channels(), in.height(), w, out);
    }

    private record Taps(int[] start, int[] count, double[][] weights) {
    }

    private static Taps taps(int inSize, double boxStart, double boxSize, int outSize) {
        double scale = boxSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = filterScale; // bilinear support 1.0, widened when shrinking
        int[] start = new int[outSize];
        int[] count = new int[outSize];
        double[][] weights = new double[outSize][];
        for (int i = 0; i < outSize; i++) {
            double center = boxStart + (i + 0.5) * scale;
            int xmin = Math.max((int) Math.floor(center - support + 0.5), 0);
            int xmax = Math.min((int) Math.floor(center + support + 0.5), inSize);
            if (xmax <= xmin) { // box entirely outside: clamp to the nearest pixel
                xmin = Math.min(Math.max((int) Math.floor(center), 0), inSize - 1);
                xmax = xmin + 1;
            }
            double[] w = new double[xmax - xmin];
            double sum = 0;
            for (int k = 0; k < w.length; k++) {
                double d = Math.abs((xmin + k - center + 0.5) / filterScale);
                w[k] = d < 1 ? 1 - d : 0;
                sum += w[k];
            }
            if (sum == 0) {
                java.util.Arrays.fill(w, 1.0 / w.length);
            } else {
                for (int k = 0; k < w.length; k++) {
                    w[k] /= sum;
                }
            }
            start[i] = xmin;
            count[i] = w.length;
            weights[i] = w;
        }
        return new Taps(start, count, weights);
    }
}
