package org.jepa4j.model;

import org.jepa4j.tensor.FloatTensor;
import org.jepa4j.tensor.NamedTensors;

import java.util.Map;
import java.util.SplittableRandom;

/**
 * Initial weights as the reference's training path really produces them (docs/reference.md
 * §2.1): every Linear and the patch-embedding convolution weight ~ trunc_normal(std 0.02, absolute
 * bounds ±2), biases 0, LayerNorm weight 1 and bias 0, {@code mask_token} ~ trunc_normal(0.02),
 * the positional tables the fixed sin-cos table. The constructor's depth rescaling
 * ({@code fix_init_weight}) is not applied because {@code helper.init_model} overwrites it. The
 * target encoder is an exact copy of the encoder. An {@link InitScheme} other than the reference's
 * changes only the encoder's patch-embedding draw and the scale of the two position tables.
 */
public final class Initializer {
    /** Standard deviation of every initial weight draw. */
    public static final double STD = 0.02;
    /** Absolute truncation bounds of the reference's trunc_normal_ (a = −2, b = 2). */
    public static final double BOUND = 2.0;

    private Initializer() {
    }

    /**
     * All parameters of {@code spec} with their checkpoint prefixes, in {@link ParameterNames#all}
     * order. The same seed gives the same tensors; each tensor draws from its own split stream in
     * that order.
     */
    public static NamedTensors initialize(ModelSpec spec, long seed) {
        return initialize(spec, seed, InitScheme.reference());
    }

    /**
     * As {@link #initialize(ModelSpec, long)} under {@code scheme}. Every tensor still draws from
     * its own split stream in the same order, so a scheme changes no other tensor.
     */
    public static NamedTensors initialize(ModelSpec spec, long seed, InitScheme scheme) {
        SplittableRandom root = new SplittableRandom(seed);
        NamedTensors.Builder out = NamedTensors.builder();
        EncoderSpec e = spec.encoder();
        NamedTensors encoder = initializePart(ParameterNames.encoder(e), e.width(), e.gridSize(), root,
                scheme.positionScale(), scheme.patchEmbedding());
        NamedTensors predictor = initializePart(ParameterNames.predictor(spec), spec.predictor().width(),
                e.gridSize(), root, scheme.predictorPositionScale(), InitScheme.TRUNC_NORMAL);
        encoder.asMap().forEach((k, v) -> out.put(ParameterNames.ENCODER + k, v));
        predictor.asMap().forEach((k, v) -> out.put(ParameterNames.PREDICTOR + k, v));
        encoder.asMap().forEach((k, v) -> out.put(ParameterNames.TARGET_ENCODER + k, v.copy()));
        return out.build();
    }

    /**
     * Initial pixel head ({@link ParameterNames#pixelHead}): weight ~ trunc_normal(std 0.02) as
     * every Linear of the reference, bias 0. Drawn from its own stream of {@code seed}, so the
     * other parameters of a pixel-target run are those of a feature-target run with that seed.
     */
    public static NamedTensors initializePixelHead(ModelSpec spec, long seed) {
        SplittableRandom stream = new SplittableRandom(seed ^ PIXEL_HEAD_STREAM);
        NamedTensors.Builder out = NamedTensors.builder();
        for (Map.Entry<String, long[]> entry : ParameterNames.pixelHead(spec).entrySet()) {
            long[] shape = entry.getValue();
            float[] data = new float[Math.toIntExact(FloatTensor.elementCount(shape))];
            if (!entry.getKey().endsWith("bias")) {
                for (int i = 0; i < data.length; i++) {
                    data[i] = (float) truncatedNormal(stream);
                }
            }
            out.put(entry.getKey(), new FloatTensor(shape.clone(), data));
        }
        return out.build();
    }

    /** Mixed into the pixel head's stream so that it differs from every split of the main stream. */
    private static final long PIXEL_HEAD_STREAM = 0x50495845_4C484541L;

    private static NamedTensors initializePart(Map<String, long[]> shapes, int width, int gridSize,
                                               SplittableRandom root, double positionScale,
                                               String patchEmbedding) {
        NamedTensors.Builder out = NamedTensors.builder();
        for (Map.Entry<String, long[]> entry : shapes.entrySet()) {
            String name = entry.getKey();
            long[] shape = entry.getValue();
            SplittableRandom stream = root.split();
            float[] data = new float[Math.toIntExact(FloatTensor.elementCount(shape))];
            if (ParameterNames.isFrozen(name)) {
                float[] table = SinCosPositions.table(width, gridSize);
                for (int i = 0; i < data.length; i++) {
                    data[i] = (float) (table[i] * positionScale);
                }
            } else if (name.equals(PATCH_EMBEDDING) && patchEmbedding.equals(InitScheme.XAVIER_UNIFORM)) {
                // torch.nn.init.xavier_uniform_ on the weight viewed as [D, C·p·p]
                long fanOut = shape[0];
                long fanIn = data.length / fanOut;
                double bound = Math.sqrt(6.0 / (fanIn + fanOut));
                for (int i = 0; i < data.length; i++) {
                    data[i] = (float) ((stream.nextDouble() * 2 - 1) * bound);
                }
            } else if (isNormWeight(name)) {
                java.util.Arrays.fill(data, 1f);
            } else if (!name.endsWith("bias")) {
                // Linear / Conv2d weights and mask_token
                for (int i = 0; i < data.length; i++) {
                    data[i] = (float) truncatedNormal(stream);
                }
            }
            out.put(name, new FloatTensor(shape.clone(), data));
        }
        return out.build();
    }

    /** The encoder's patch-embedding convolution weight, which {@link InitScheme#patchEmbedding} draws. */
    private static final String PATCH_EMBEDDING = "patch_embed.proj.weight";

    private static boolean isNormWeight(String name) {
        return name.endsWith(".weight") && (name.contains("norm1.") || name.contains("norm2.")
                || name.startsWith("norm.") || name.startsWith("predictor_norm."));
    }

    /** N(0, STD²) redrawn outside ±BOUND (never happens at std 0.02, kept for fidelity). */
    private static double truncatedNormal(SplittableRandom random) {
        while (true) {
            double x = random.nextGaussian() * STD;
            if (x >= -BOUND && x <= BOUND) {
                return x;
            }
        }
    }
}
