package org.jepa4j.testkit;

import org.jepa4j.model.EncoderSpec;

/**
 * The tiny encoder architectures the tests of every module export and run: 16x16 images, patch 4
 * (16 tokens), width 32, two heads. Small enough that an export takes milliseconds and an ONNX
 * Runtime call microseconds, large enough that attention, GELU and LayerNorm are all exercised.
 */
public final class TinyEncoders {
    /** RGB, 2 layers, MLP 128: the default tiny encoder. */
    public static final EncoderSpec RGB = new EncoderSpec(16, 4, 3, 32, 2, 2, 128);
    /** RGB, 1 layer, MLP 64: the cheapest RGB encoder (servers and benchmarks in tests). */
    public static final EncoderSpec RGB_ONE_LAYER = new EncoderSpec(16, 4, 3, 32, 1, 2, 64);
    /** Greyscale (Fashion-MNIST-like), 1 layer, MLP 64. */
    public static final EncoderSpec GREY_ONE_LAYER = new EncoderSpec(16, 4, 1, 32, 1, 2, 64);

    private TinyEncoders() {
    }
}
