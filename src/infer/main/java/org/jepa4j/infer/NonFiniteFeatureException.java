package org.jepa4j.infer;

/**
 * A feature came out of the model with a NaN or infinite value: the model's weights or the input
 * pixels are broken, and the feature must not be written or served. Carries which image of the
 * call it was, so a caller that knows where its images came from can name the file.
 */
public final class NonFiniteFeatureException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final int image;
    private final FeatureKind kind;

    /**
     * @param message the whole message (model, feature, image, value)
     * @param image   0-based index of the image within the call's images
     * @param kind    the feature that is not finite
     */
    public NonFiniteFeatureException(String message, int image, FeatureKind kind) {
        super(message);
        this.image = image;
        this.kind = kind;
    }

    /** 0-based index of the image within the call's images. */
    public int image() {
        return image;
    }

    /** The feature that is not finite. */
    public FeatureKind kind() {
        return kind;
    }
}
