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
        DataConfig data = new DataConfig(dc.batchSize(), dc.colorJitterStrength(), dc.cropScale(), e.imageSize(),
                dc.imageFolder(), dc.numWorkers(), dc.pinMem(), dc.rootPath(), dc.useColorDistortion(),
                dc.useGaussianBlur(), dc.useHorizontalFlip(), dc.source(), dc.evalSource(), e.channels(),
                e.channels() == 3 ? dc.mean() : dc.mean().subList(0, 1), e.channels() == 3 ? dc.std() : dc.std().subList(0, 1),
                dc.prefetch(), dc.limit(), dc.maxPixels());
        MaskConfig mc = d.mask();
        MaskConfig mask = new MaskConfig(mc.allowOverlap(), mc.aspectRatio(), mc.encMaskScale(), mc.minKeep(),
                mc.numEncMasks(), mc.numPredMasks(), e.patchSize(), mc.predMaskScale(), mc.strategy(), mc.coverEdges(),
                mc.truncation());
        MetaConfig m = d.meta();
        String name = SpecInference.modelNameOfWidth(e.width());
        MetaConfig meta = new MetaConfig(m.copyData(), m.loadCheckpoint(), name == null ? m.modelName() : name,
                p.depth(), p.width(), m.readCheckpoint(), m.useBfloat16(), m.seed(), e.width(), e.depth(), e.heads(),
                (double) e.mlpHidden() / e.width(), p.heads() == e.heads() ? 0 : p.heads(), m.loss(),
                m.intraOpThreads(), m.interOpThreads(), m.towers(), m.collectiveTimeoutS(), m.towerDevices());
        LoggingConfig lc = d.logging();
        LoggingConfig logging = new LoggingConfig(runFolder, lc.writeTag(), lc.checkpointFreq(), lc.logEvery());
        RunConfig c = new RunConfig(data, mask, meta, d.optimization(), logging, List.of());
        if (!c.modelSpec().equals(spec)) {
            throw new IllegalStateException("config cannot express " + spec + ": it gives " + c.modelSpec());
        }
        if (!loads(c)) {
            // small grids cannot hold the shipped min_keep 10 inside a 15-20 % target block;
            // fall back to the collator's constructor default 4 (docs/reference.md §1.1)
            RunConfig small = c.withMask(new MaskConfig(mask.allowOverlap(), mask.aspectRatio(), mask.encMaskScale(),
                    4, mask.numEncMasks(), mask.numPredMasks(), mask.patchSize(), mask.predMaskScale(),
                    mask.strategy(), mask.coverEdges(), mask.truncation()));
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
