package org.jepa4j.config;

import org.jepa4j.model.EncoderSpec;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.model.PredictorSpec;

import java.util.List;

/**
 * One run, as one YAML file describes it in the reference's layout: sections {@code data},
 * {@code mask}, {@code meta}, {@code optimization}, {@code logging}. Immutable; build it with
 * {@code RunConfigLoader}, which validates every key.
 *
 * @param ignoredKeys keys accepted for compatibility that the JVM does not honour (pin_mem, ...),
 *                    as {@code section.key}
 */
public record RunConfig(DataConfig data, MaskConfig mask, MetaConfig meta, OptimizationConfig optimization,
                        LoggingConfig logging, List<String> ignoredKeys) {

    public RunConfig {
        ignoredKeys = List.copyOf(ignoredKeys);
    }

    /** The official in1k_vith14_ep300 values with jepa4j's defaults for the extra keys. */
    public static RunConfig defaults() {
        return new RunConfig(DataConfig.defaults(), MaskConfig.defaults(), MetaConfig.defaults(),
                OptimizationConfig.defaults(), LoggingConfig.defaults(), List.of());
    }

    /** Patches per image side: crop_size / patch_size. */
    public int gridSize() {
        return data.cropSize() / mask.patchSize();
    }

    /**
     * The model this run trains: the named size with {@code embed_dim}/{@code depth}/
     * {@code num_heads}/{@code mlp_ratio} overrides applied; predictor heads default to the encoder's.
     */
    public ModelSpec modelSpec() {
        EncoderSpec named = ModelSpec.namedEncoder(meta.modelName(), data.cropSize(), mask.patchSize(), data.channels());
        int width = meta.embedDim() > 0 ? meta.embedDim() : named.width();
        int depth = meta.depth() > 0 ? meta.depth() : named.depth();
        int heads = meta.numHeads() > 0 ? meta.numHeads() : named.heads();
        int mlp = meta.mlpRatio() > 0 ? (int) Math.round(meta.mlpRatio() * width)
                : (meta.embedDim() > 0 ? 4 * width : named.mlpHidden());
        EncoderSpec enc = new EncoderSpec(data.cropSize(), mask.patchSize(), data.channels(), width, depth, heads, mlp);
        int predHeads = meta.predNumHeads() > 0 ? meta.predNumHeads() : heads;
        return new ModelSpec(enc, new PredictorSpec(meta.predEmbDim(), meta.predDepth(), predHeads,
                4 * meta.predEmbDim()));
    }

    public RunConfig withData(DataConfig d) {
        return new RunConfig(d, mask, meta, optimization, logging, ignoredKeys);
    }

    public RunConfig withMask(MaskConfig m) {
        return new RunConfig(data, m, meta, optimization, logging, ignoredKeys);
    }

    public RunConfig withMeta(MetaConfig m) {
        return new RunConfig(data, mask, m, optimization, logging, ignoredKeys);
    }

    public RunConfig withOptimization(OptimizationConfig o) {
        return new RunConfig(data, mask, meta, o, logging, ignoredKeys);
    }

    public RunConfig withLogging(LoggingConfig l) {
        return new RunConfig(data, mask, meta, optimization, l, ignoredKeys);
    }
}
