package org.jepa4j.mask;

import org.jepa4j.config.ConfigKeys;
import org.jepa4j.config.MaskConfig;

import java.util.List;

/** Builds the mask sampler that {@code mask.strategy} names. */
public final class MaskSamplers {

    private MaskSamplers() {
    }

    /**
     * @param config     the {@code mask} section
     * @param gridHeight patch rows (crop_size / patch_size)
     * @param gridWidth  patch columns
     * @param seed       run seed (meta.seed)
     * @throws IllegalArgumentException for an unknown strategy or settings that cannot produce masks
     */
    public static AbstractMaskSampler create(MaskConfig config, int gridHeight, int gridWidth, long seed) {
        String strategy = config.strategy() == null ? "multiblock" : config.strategy();
        Truncation truncation = Truncation.fromConfig(config.truncation());
        return switch (strategy) {
            case "multiblock" -> new MultiBlockMaskSampler(gridHeight, gridWidth, config, seed);
            case "random" -> new RandomMaskSampler(gridHeight, gridWidth, seed, truncation);
            case "block" -> new BlockMaskSampler(gridHeight, gridWidth, config.minKeep(), config.coverEdges(), seed,
                    truncation);
            case "rasterized" -> new RasterizedMaskSampler(gridHeight, gridWidth, seed, truncation);
            default -> throw new IllegalArgumentException("mask.strategy: unknown value '" + strategy
                    + "', expected one of " + String.join(", ", ConfigKeys.MASK_STRATEGIES));
        };
    }
}
