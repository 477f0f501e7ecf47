package org.jepa4j.importer;

import org.jepa4j.config.DataConfig;
import org.jepa4j.config.LoggingConfig;
import org.jepa4j.config.MaskConfig;
import org.jepa4j.config.MetaConfig;
import org.jepa4j.config.OptimizationConfig;
import org.jepa4j.config.Range;
import org.jepa4j.config.RunConfig;
import org.jepa4j.model.ModelSpec;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The run config written next to an imported checkpoint: {@link RunConfig#defaults()} (the
 * official in1k_vith14 values) with the model keys set to the imported model, as YAML in the
 * reference's section layout, so that {@code train --resume} can continue from the import.
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
                dc.prefetch(), dc.limit());
        MaskConfig mc = d.mask();
        MaskConfig mask = new MaskConfig(mc.allowOverlap(), mc.aspectRatio(), mc.encMaskScale(), mc.minKeep(),
                mc.numEncMasks(), mc.numPredMasks(), e.patchSize(), mc.predMaskScale(), mc.strategy(), mc.coverEdges());
        MetaConfig m = d.meta();
        String name = SpecInference.modelNameOfWidth(e.width());
        MetaConfig meta = new MetaConfig(m.copyData(), m.loadCheckpoint(), name == null ? m.modelName() : name,
                p.depth(), p.width(), m.readCheckpoint(), m.useBfloat16(), m.seed(), e.width(), e.depth(), e.heads(),
                (double) e.mlpHidden() / e.width(), p.heads() == e.heads() ? 0 : p.heads(), m.loss(),
                m.intraOpThreads(), m.interOpThreads());
        LoggingConfig lc = d.logging();
        LoggingConfig logging = new LoggingConfig(runFolder, lc.writeTag(), lc.checkpointFreq(), lc.logEvery());
        RunConfig c = new RunConfig(data, mask, meta, d.optimization(), logging, List.of());
        if (!c.modelSpec().equals(spec)) {
            throw new IllegalStateException("config cannot express " + spec + ": it gives " + c.modelSpec());
        }
        return c;
    }

    /** The config as YAML with the reference's section and key names (null values left out). */
    public static String toYaml(RunConfig c) {
        Map<String, Object> root = new LinkedHashMap<>();
        DataConfig d = c.data();
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("batch_size", d.batchSize());
        data.put("color_jitter_strength", d.colorJitterStrength());
        data.put("crop_scale", range(d.cropScale()));
        data.put("crop_size", d.cropSize());
        data.put("image_folder", d.imageFolder());
        data.put("num_workers", d.numWorkers());
        data.put("pin_mem", d.pinMem());
        data.put("root_path", d.rootPath());
        data.put("use_color_distortion", d.useColorDistortion());
        data.put("use_gaussian_blur", d.useGaussianBlur());
        data.put("use_horizontal_flip", d.useHorizontalFlip());
        data.put("source", d.source());
        data.put("eval_source", d.evalSource());
        data.put("channels", d.channels());
        data.put("mean", d.mean());
        data.put("std", d.std());
        data.put("prefetch", d.prefetch());
        data.put("limit", d.limit());
        root.put("data", data);
        MaskConfig m = c.mask();
        Map<String, Object> mask = new LinkedHashMap<>();
        mask.put("allow_overlap", m.allowOverlap());
        mask.put("aspect_ratio", range(m.aspectRatio()));
        mask.put("enc_mask_scale", range(m.encMaskScale()));
        mask.put("min_keep", m.minKeep());
        mask.put("num_enc_masks", m.numEncMasks());
        mask.put("num_pred_masks", m.numPredMasks());
        mask.put("patch_size", m.patchSize());
        mask.put("pred_mask_scale", range(m.predMaskScale()));
        mask.put("strategy", m.strategy());
        mask.put("cover_edges", m.coverEdges());
        root.put("mask", mask);
        MetaConfig t = c.meta();
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("copy_data", t.copyData());
        meta.put("load_checkpoint", t.loadCheckpoint());
        meta.put("model_name", t.modelName());
        meta.put("pred_depth", t.predDepth());
        meta.put("pred_emb_dim", t.predEmbDim());
        meta.put("read_checkpoint", t.readCheckpoint());
        meta.put("use_bfloat16", t.useBfloat16());
        meta.put("seed", t.seed());
        meta.put("embed_dim", t.embedDim());
        meta.put("depth", t.depth());
        meta.put("num_heads", t.numHeads());
        meta.put("mlp_ratio", t.mlpRatio());
        meta.put("pred_num_heads", t.predNumHeads());
        meta.put("loss", t.loss());
        meta.put("intra_op_threads", t.intraOpThreads());
        meta.put("inter_op_threads", t.interOpThreads());
        root.put("meta", meta);
        OptimizationConfig o = c.optimization();
        Map<String, Object> opt = new LinkedHashMap<>();
        opt.put("ema", range(o.ema()));
        opt.put("epochs", o.epochs());
        opt.put("final_lr", o.finalLr());
        opt.put("final_weight_decay", o.finalWeightDecay());
        opt.put("ipe_scale", o.ipeScale());
        opt.put("lr", o.lr());
        opt.put("start_lr", o.startLr());
        opt.put("warmup", o.warmup());
        opt.put("weight_decay", o.weightDecay());
        opt.put("max_steps", o.maxSteps());
        opt.put("probe_every", o.probeEvery());
        opt.put("eval_every", o.evalEvery());
        root.put("optimization", opt);
        LoggingConfig l = c.logging();
        Map<String, Object> logging = new LinkedHashMap<>();
        logging.put("folder", l.folder());
        logging.put("write_tag", l.writeTag());
        logging.put("checkpoint_freq", l.checkpointFreq());
        logging.put("log_every", l.logEvery());
        root.put("logging", logging);
        root.values().forEach(section -> ((Map<?, ?>) section).values().removeIf(v -> v == null));
        DumperOptions opts = new DumperOptions();
        opts.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        opts.setIndent(2);
        return new Yaml(opts).dump(root);
    }

    private static List<Double> range(Range r) {
        return List.of(r.min(), r.max());
    }
}
