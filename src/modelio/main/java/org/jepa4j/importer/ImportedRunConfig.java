package org.jepa4j.importer;

import org.jepa4j.config.ConfigException;
import org.jepa4j.config.DataConfig;
import org.jepa4j.config.LoggingConfig;
import org.jepa4j.config.MaskConfig;
import org.jepa4j.config.MetaConfig;
import org.jepa4j.config.RunConfig;
import org.jepa4j.config.RunConfigLoader;
import org.jepa4j.config.RunConfigWriter;
import org.jepa4j.model.ModelSpec;

import java.util.List;

/**
 * The run config written next to an imported checkpoint: {@link RunConfig#defaults()} (the
 * official in1k_vith14 values) with the model keys set to the imported model, as YAML in the
 * reference's section layout, so that {@code train --resume} can continue from the import.
 * Only when the grid is too small for the shipped {@code min_keep} 10 is {@code mask.min_keep}
 * lowered to the collator's default 4. The data section keeps its placeholders: set it before
 * training.
 */
public final class ImportedRunConfig {
    private ImportedRunConfig() {
    }

    /**
     * Defaults with crop size, patch size, channels, the model name and every size override set
     * so that {@link RunConfig#modelSpec()} equals {@code spec}.
     *
     * @throws IllegalStateException if the config cannot express {@code spec} (a bug)
     */
    public static RunConfig of(ModelSpec spec, String runFolder) {
        RunConfig d = RunConfig.defaults();
        var e = spec.encoder();
        var p = spec.predictor();
        DataConfig dc = d.data();
        DataConfig data = dc.toBuilder().cropSize(e.imageSize()).channels(e.channels())
                .mean(e.channels() == 3 ? dc.mean() : dc.mean().subList(0, 1))
                .std(e.channels() == 3 ? dc.std() : dc.std().subList(0, 1))
                .build();
        MaskConfig mc = d.mask();
        MaskConfig mask = mc.toBuilder().patchSize(e.patchSize()).build();
        MetaConfig m = d.meta();
        String name = SpecInference.modelNameOfWidth(e.width());
        // target, pixel_norm and the initialisation keys are the reference's (features, unscaled tables)
        MetaConfig meta = m.toBuilder().modelName(name == null ? m.modelName() : name)
                .predDepth(p.depth()).predEmbDim(p.width()).embedDim(e.width()).depth(e.depth()).numHeads(e.heads())
                .mlpRatio((double) e.mlpHidden() / e.width()).predNumHeads(p.heads() == e.heads() ? 0 : p.heads())
                .target(MetaConfig.defaults().target()).pixelNorm(MetaConfig.defaults().pixelNorm())
                .init(MetaConfig.defaults().init())
                .build();
        LoggingConfig lc = d.logging();
        LoggingConfig logging = new LoggingConfig(runFolder, lc.writeTag(), lc.checkpointFreq(), lc.logEvery());
        RunConfig c = new RunConfig(data, mask, meta, d.optimization(), logging, List.of());
        if (!c.modelSpec().equals(spec)) {
            throw new IllegalStateException("config cannot express " + spec + ": it gives " + c.modelSpec());
        }
        if (!loads(c)) {
            // small grids cannot hold the shipped min_keep 10 inside a 15-20 % target block;
            // fall back to the collator's constructor default 4 (docs/reference.md §1.1)
            RunConfig small = c.withMask(mask.toBuilder().minKeep(4).build());
            if (loads(small)) {
                return small;
            }
        }
        return c;
    }

    /** True when the loader accepts the written config. */
    static boolean loads(RunConfig c) {
        try {
            RunConfigLoader.parse(toYaml(c), "imported config", List.of());
            return true;
        } catch (ConfigException e) {
            return false;
        }
    }

    /** The config as YAML ({@link RunConfigWriter}: the reference's layout, readable by the loader). */
    public static String toYaml(RunConfig c) {
        return RunConfigWriter.toYaml(c);
    }
}
