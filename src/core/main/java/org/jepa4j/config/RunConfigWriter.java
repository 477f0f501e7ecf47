package org.jepa4j.config;

import org.jepa4j.io.AtomicFiles;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a resolved {@link RunConfig} as YAML in the reference's layout: sections and official
 * keys in the order of the shipped files (docs/reference.md §7.1), block-style lists, floats as
 * PyYAML prints them ({@code 1.0e-06}); then, in each section, jepa4j's keys after a comment.
 * Reading the output with {@link RunConfigLoader} gives an equal {@code RunConfig}.
 */
public final class RunConfigWriter {

    private RunConfigWriter() {
    }

    /** The config as YAML text. */
    public static String toYaml(RunConfig config) {
        Map<String, Map<String, Object>> values = values(config);
        StringBuilder out = new StringBuilder();
        for (String section : ConfigKeys.SECTIONS) {
            Map<String, Object> keys = values.get(section);
            out.append(section).append(":\n");
            for (String key : ConfigKeys.OFFICIAL.get(section)) {
                entry(out, key, keys.get(key));
            }
            out.append("  # jepa4j\n");
            for (String key : ConfigKeys.EXTRA.get(section)) {
                entry(out, key, keys.get(key));
            }
        }
        return out.toString();
    }

    /** Writes {@link #toYaml} to {@code file} atomically (temporary file in the same folder, then rename). */
    public static void write(RunConfig config, Path file) throws IOException {
        AtomicFiles.writeString(file, toYaml(config));
    }

    /** Every key's value by section, as Java values (Integer, Long, Double, Boolean, String, Range, List). */
    static Map<String, Map<String, Object>> values(RunConfig c) {
        Map<String, Map<String, Object>> v = new LinkedHashMap<>();
        DataConfig d = c.data();
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("batch_size", d.batchSize());
        data.put("color_jitter_strength", d.colorJitterStrength());
        data.put("crop_scale", d.cropScale());
        data.put("crop_size", d.cropSize());
        data.put("image_folder", d.imageFolder());
        data.put("num_workers", d.numWorkers());
        data.put("pin_mem", d.pinMem());
        data.put("root_path", d.rootPath());
        data.put("use_color_distortion", d.useColorDistortion());
        data.put("use_gaussian_blur", d.useGaussianBlur());
        data.put("use_horizontal_flip", d.useHorizontalFlip());
        data.put("channels", d.channels());
        data.put("eval_source", d.evalSource());
        data.put("limit", d.limit());
        data.put("max_pixels", d.maxPixels());
        data.put("mean", d.mean());
        data.put("prefetch", d.prefetch());
        data.put("source", d.source());
        data.put("std", d.std());
        v.put("data", data);

        LoggingConfig l = c.logging();
        Map<String, Object> logging = new LinkedHashMap<>();
        logging.put("folder", l.folder());
        logging.put("write_tag", l.writeTag());
        logging.put("checkpoint_freq", l.checkpointFreq());
        logging.put("log_every", l.logEvery());
        v.put("logging", logging);

        MaskConfig m = c.mask();
        Map<String, Object> mask = new LinkedHashMap<>();
        mask.put("allow_overlap", m.allowOverlap());
        mask.put("aspect_ratio", m.aspectRatio());
        mask.put("enc_mask_scale", m.encMaskScale());
        mask.put("min_keep", m.minKeep());
        mask.put("num_enc_masks", m.numEncMasks());
        mask.put("num_pred_masks", m.numPredMasks());
        mask.put("patch_size", m.patchSize());
        mask.put("pred_mask_scale", m.predMaskScale());
        mask.put("cover_edges", m.coverEdges());
        mask.put("strategy", m.strategy());
        mask.put("truncation", m.truncation());
        v.put("mask", mask);

        MetaConfig t = c.meta();
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("copy_data", t.copyData());
        meta.put("load_checkpoint", t.loadCheckpoint());
        meta.put("model_name", t.modelName());
        meta.put("pred_depth", t.predDepth());
        meta.put("pred_emb_dim", t.predEmbDim());
        meta.put("read_checkpoint", t.readCheckpoint());
        meta.put("use_bfloat16", t.useBfloat16());
        meta.put("collective_timeout_s", t.collectiveTimeoutS());
        meta.put("depth", t.depth());
        meta.put("embed_dim", t.embedDim());
        meta.put("inter_op_threads", t.interOpThreads());
        meta.put("intra_op_threads", t.intraOpThreads());
        meta.put("loss", t.loss());
        meta.put("matmul_precision", t.matmulPrecision());
        meta.put("mlp_ratio", t.mlpRatio());
        meta.put("num_heads", t.numHeads());
        meta.put("patch_embed_init", t.init().patchEmbedding());
        meta.put("pixel_norm", t.pixelNorm());
        meta.put("pos_embed_scale", t.init().positionScale());
        meta.put("pred_pos_embed_scale", t.init().predictorPositionScale());
        meta.put("pred_num_heads", t.predNumHeads());
        meta.put("seed", t.seed());
        meta.put("target", t.target());
        meta.put("tower_devices", t.towerDevices());
        meta.put("towers", t.towers());
        v.put("meta", meta);

        OptimizationConfig o = c.optimization();
        Map<String, Object> opt = new LinkedHashMap<>();
        opt.put("ema", o.ema());
        opt.put("epochs", o.epochs());
        opt.put("final_lr", o.finalLr());
        opt.put("final_weight_decay", o.finalWeightDecay());
        opt.put("ipe_scale", o.ipeScale());
        opt.put("lr", o.lr());
        opt.put("start_lr", o.startLr());
        // an integer in the shipped files (warmup: 40); fractional epochs stay floats
        opt.put("warmup", o.warmup() == Math.rint(o.warmup()) && Math.abs(o.warmup()) < 1e15
                ? (Object) (long) o.warmup() : (Object) o.warmup());
        opt.put("weight_decay", o.weightDecay());
        opt.put("eval_every", o.evalEvery());
        opt.put("max_steps", o.maxSteps());
        opt.put("probe_every", o.probeEvery());
        v.put("optimization", opt);
        return v;
    }

    private static void entry(StringBuilder out, String key, Object value) {
        out.append("  ").append(key).append(':');
        if (value instanceof Range r) {
            out.append('\n').append("  - ").append(scalar(r.min())).append('\n')
                    .append("  - ").append(scalar(r.max())).append('\n');
        } else if (value instanceof List<?> list) {
            if (list.isEmpty()) {
                out.append(" []\n");
                return;
            }
            out.append('\n');
            for (Object x : list) {
                out.append("  - ").append(scalar(x)).append('\n');
            }
        } else {
            out.append(' ').append(scalar(value)).append('\n');
        }
    }

    /** One YAML scalar: null, booleans, integers, floats as PyYAML writes them, strings quoted only when needed. */
    static String scalar(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Double d) {
            return pythonFloat(d);
        }
        if (v instanceof Boolean || v instanceof Integer || v instanceof Long) {
            return v.toString();
        }
        DumperOptions options = new DumperOptions();
        options.setWidth(Integer.MAX_VALUE);
        options.setSplitLines(false);
        return new Yaml(options).dump(v.toString()).stripTrailing();
    }

    /**
     * A float as PyYAML writes it: Python's shortest repr, positional for decimal exponents in
     * [-4, 16), scientific otherwise with a mantissa that always has a fraction ({@code 1.0e-06}).
     */
    static String pythonFloat(double d) {
        if (Double.isNaN(d)) {
            return ".nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? ".inf" : "-.inf";
        }
        if (d == 0) {
            return 1 / d < 0 ? "-0.0" : "0.0";
        }
        BigDecimal b = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        String digits = b.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - b.scale();
        String sign = d < 0 ? "-" : "";
        if (exponent >= -4 && exponent < 16) {
            String plain = b.abs().toPlainString();
            return sign + (plain.contains(".") ? plain : plain + ".0");
        }
        String mantissa = digits.charAt(0) + "." + (digits.length() > 1 ? digits.substring(1) : "0");
        String exp = String.format("%02d", Math.abs(exponent));
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + exp;
    }
}
