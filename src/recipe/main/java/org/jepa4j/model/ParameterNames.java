package org.jepa4j.model;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The parameter names and shapes of the reference's state dicts (without the DDP {@code module.}
 * prefix), in the order the reference registers them. This is the contract between training,
 * checkpoints, export and import: every component names tensors this way.
 */
public final class ParameterNames {
    private ParameterNames() {
    }

    /** Checkpoint part prefixes. */
    public static final String ENCODER = "encoder.";
    public static final String TARGET_ENCODER = "target_encoder.";
    public static final String PREDICTOR = "predictor.";

    /** Encoder parameters: {@code pos_embed [1,N,D]}, {@code patch_embed.proj.weight [D,C,p,p]}, blocks, {@code norm}. */
    public static Map<String, long[]> encoder(EncoderSpec e) {
        Map<String, long[]> m = new LinkedHashMap<>();
        long d = e.width();
        m.put("pos_embed", new long[] {1, e.numPatches(), d});
        m.put("patch_embed.proj.weight", new long[] {d, e.channels(), e.patchSize(), e.patchSize()});
        m.put("patch_embed.proj.bias", new long[] {d});
        for (int i = 0; i < e.depth(); i++) {
            addBlock(m, "blocks." + i + ".", d, e.mlpHidden());
        }
        m.put("norm.weight", new long[] {d});
        m.put("norm.bias", new long[] {d});
        return m;
    }

    /** Predictor parameters: {@code mask_token [1,1,P]}, {@code predictor_pos_embed [1,N,P]}, embed, blocks, norm, proj. */
    public static Map<String, long[]> predictor(ModelSpec spec) {
        Map<String, long[]> m = new LinkedHashMap<>();
        PredictorSpec p = spec.predictor();
        long d = spec.encoder().width();
        long w = p.width();
        m.put("mask_token", new long[] {1, 1, w});
        m.put("predictor_pos_embed", new long[] {1, spec.encoder().numPatches(), w});
        m.put("predictor_embed.weight", new long[] {w, d});
        m.put("predictor_embed.bias", new long[] {w});
        for (int i = 0; i < p.depth(); i++) {
            addBlock(m, "predictor_blocks." + i + ".", w, p.mlpHidden());
        }
        m.put("predictor_norm.weight", new long[] {w});
        m.put("predictor_norm.bias", new long[] {w});
        m.put("predictor_proj.weight", new long[] {d, w});
        m.put("predictor_proj.bias", new long[] {d});
        return m;
    }

    /**
     * The pixel head of the pixel-space target ({@code meta.target: pixels}), under the predictor's
     * prefix: a Linear from the predictor's output (the encoder width D) to one patch's pixels,
     * {@code pixel_head.weight [C·p·p, D]} and {@code pixel_head.bias [C·p·p]}. Absent from
     * {@link #all}: only pixel-target runs have it.
     */
    public static Map<String, long[]> pixelHead(ModelSpec spec) {
        EncoderSpec e = spec.encoder();
        long out = (long) e.channels() * e.patchSize() * e.patchSize();
        Map<String, long[]> m = new LinkedHashMap<>();
        m.put(PREDICTOR + "pixel_head.weight", new long[] {out, e.width()});
        m.put(PREDICTOR + "pixel_head.bias", new long[] {out});
        return m;
    }

    /** All three parts with their checkpoint prefixes: encoder, predictor, target_encoder. */
    public static Map<String, long[]> all(ModelSpec spec) {
        Map<String, long[]> m = new LinkedHashMap<>();
        encoder(spec.encoder()).forEach((k, v) -> m.put(ENCODER + k, v));
        predictor(spec).forEach((k, v) -> m.put(PREDICTOR + k, v));
        encoder(spec.encoder()).forEach((k, v) -> m.put(TARGET_ENCODER + k, v));
        return m;
    }

    /**
     * True for parameters the optimizer never updates: the fixed sin-cos tables
     * ({@code pos_embed}, {@code predictor_pos_embed}).
     */
    public static boolean isFrozen(String name) {
        return name.endsWith("pos_embed");
    }

    /**
     * True for parameters in the reference's weight-decayed groups: names without "bias" and
     * rank other than 1 (§5; {@code mask_token} [1,1,P] is decayed).
     */
    public static boolean isWeightDecayed(String name, long[] shape) {
        return !name.contains("bias") && shape.length != 1;
    }

    private static void addBlock(Map<String, long[]> m, String p, long d, long hidden) {
        m.put(p + "norm1.weight", new long[] {d});
        m.put(p + "norm1.bias", new long[] {d});
        m.put(p + "attn.qkv.weight", new long[] {3 * d, d});
        m.put(p + "attn.qkv.bias", new long[] {3 * d});
        m.put(p + "attn.proj.weight", new long[] {d, d});
        m.put(p + "attn.proj.bias", new long[] {d});
        m.put(p + "norm2.weight", new long[] {d});
        m.put(p + "norm2.bias", new long[] {d});
        m.put(p + "mlp.fc1.weight", new long[] {hidden, d});
        m.put(p + "mlp.fc1.bias", new long[] {hidden});
        m.put(p + "mlp.fc2.weight", new long[] {d, hidden});
        m.put(p + "mlp.fc2.bias", new long[] {d});
    }
}
