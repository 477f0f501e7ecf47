package org.jepa4j.config;

import org.jepa4j.io.Bounds;
import org.jepa4j.model.InitScheme;

import org.jepa4j.model.ModelSpec;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads one YAML run file in the reference's layout (docs/reference.md §7.1) into a validated
 * {@link RunConfig}. Missing keys take the section records' {@code defaults()}; {@code --set
 * section.key=value} overrides are applied before validation. Every problem of the file (unknown
 * sections or keys, wrong types, inconsistent values) is collected and reported together in one
 * {@link ConfigException}, before any work starts.
 *
 * <p>Keys the JVM cannot honour (pin_mem true, use_bfloat16 true, ...) are accepted and listed in
 * {@link RunConfig#ignoredKeys()}; options the reference offers but jepa4j does not implement
 * (colour distortion, Gaussian blur) are errors when switched on.
 */
public final class RunConfigLoader {
    /** Most batches the loader prepares ahead of the step (each holds a whole batch of pixels). */
    static final int MAX_PREFETCH = 64;
    /** Most context or target blocks per image. */
    static final int MAX_MASKS = 64;
    /** Most transformer blocks of the encoder or the predictor. */
    static final int MAX_DEPTH = 1024;
    /** Most channels (and heads) of the encoder or the predictor. */
    static final int MAX_WIDTH = 16_384;
    /** Largest MLP hidden width as a multiple of the model width. */
    static final double MAX_MLP_RATIO = 64;


    /** Largest {@code data.crop_size}: far above the reference's 448, small enough that no size product overflows. */
    static final int MAX_CROP_SIZE = 8192;
    /** Most patches an image may have (a 256x256 grid). */
    static final long MAX_PATCHES = 65_536;

    private RunConfigLoader() {
    }

    /** Loads {@code file} without overrides. */
    public static RunConfig load(Path file) {
        return load(file, List.of());
    }

    /**
     * Loads {@code file} and applies {@code overrides} ({@code section.key=value}).
     *
     * @throws ConfigException naming the file for every problem found (also when it cannot be read)
     */
    public static RunConfig load(Path file, List<String> overrides) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(file.toString(), "cannot read the file (" + e + ")");
        }
        return parse(text, file.toString(), overrides);
    }

    /**
     * Loads the config a {@code --config} argument names: an existing file, else a preset under
     * {@code graphs/} (see {@link Presets#find}).
     */
    public static RunConfig resolve(String configArgument, List<String> overrides) {
        ConfigSource source = Presets.find(configArgument);
        return parse(source.text(), source.origin(), overrides);
    }

    /**
     * Parses YAML text.
     *
     * @param yaml      the run file's text
     * @param origin    where it came from, for messages (a path or resource name)
     * @param overrides {@code section.key=value} strings; the value is a YAML scalar or flow list
     * @throws ConfigException listing every problem
     */
    public static RunConfig parse(String yaml, String origin, List<String> overrides) {
        List<String> problems = new ArrayList<>();
        Map<String, Map<String, Object>> raw = readSections(yaml, origin, problems);
        Set<String> overridden = new HashSet<>();
        applyOverrides(raw, overrides, overridden, problems);
        checkKeys(raw, overridden, problems);
        RunConfig config = build(raw, overridden, problems);
        if (!problems.isEmpty()) {
            throw new ConfigException(origin, problems);
        }
        return config;
    }

    /** A SnakeYAML instance that builds only plain maps, lists and scalars (no arbitrary classes). */
    static Yaml safeYaml() {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        return new Yaml(new SafeConstructor(options));
    }

    private static Map<String, Map<String, Object>> readSections(String yaml, String origin, List<String> problems) {
        Object root;
        try {
            root = safeYaml().load(yaml);
        } catch (YAMLException e) {
            throw new ConfigException(origin, "not valid YAML: " + oneLine(e.getMessage()));
        }
        Map<String, Map<String, Object>> raw = new LinkedHashMap<>();
        if (root == null) {
            // an empty file is far more often a mistake (a truncated copy, the wrong path) than a wish
            // for the defaults of a ViT-H/14 ImageNet run
            throw new ConfigException(origin, "the file is empty (or holds only comments): expected a mapping of"
                    + " sections " + ConfigKeys.SECTIONS + "; for every default, write a section with no keys,"
                    + " e.g. 'meta: {}'");
        }
        if (!(root instanceof Map<?, ?> top)) {
            throw new ConfigException(origin, "the file holds " + Section.describe(root)
                    + ", expected a mapping of sections " + ConfigKeys.SECTIONS);
        }
        for (Map.Entry<?, ?> e : top.entrySet()) {
            String name = String.valueOf(e.getKey());
            if (!ConfigKeys.SECTIONS.contains(name)) {
                problems.add(name + ": unknown section" + ConfigKeys.closest(name, ConfigKeys.SECTIONS)
                        .map(c -> ", did you mean " + c + "?").orElse("") + " Expected one of " + ConfigKeys.SECTIONS);
                continue;
            }
            Object body = e.getValue();
            Map<String, Object> keys = new LinkedHashMap<>();
            if (body instanceof Map<?, ?> m) {
                m.forEach((k, v) -> keys.put(String.valueOf(k), v));
            } else if (body != null) {
                problems.add(name + ": " + Section.describe(body) + ", expected a mapping of keys");
            }
            raw.put(name, keys);
        }
        return raw;
    }

    private static void applyOverrides(Map<String, Map<String, Object>> raw, List<String> overrides,
                                       Set<String> overridden, List<String> problems) {
        for (String o : overrides) {
            String where = "--set " + o;
            int eq = o.indexOf('=');
            String path = eq < 0 ? o : o.substring(0, eq).trim();
            int dot = path.indexOf('.');
            if (eq < 0 || dot <= 0 || dot != path.lastIndexOf('.') || dot == path.length() - 1) {
                problems.add(where + ": expected section.key=value, e.g. optimization.lr=0.0005");
                continue;
            }
            String section = path.substring(0, dot);
            String key = path.substring(dot + 1);
            if (!ConfigKeys.SECTIONS.contains(section)) {
                problems.add(where + ": unknown section '" + section + "'"
                        + ConfigKeys.closest(section, ConfigKeys.SECTIONS).map(c -> ", did you mean " + c + "?").orElse("")
                        + " Expected one of " + ConfigKeys.SECTIONS);
                continue;
            }
            if (!ConfigKeys.isKnown(section, key)) {
                problems.add(where + ": " + unknownKey(section, key));
                continue;
            }
            String text = o.substring(eq + 1);
            Object value;
            try {
                value = safeYaml().load(text);
            } catch (YAMLException e) {
                problems.add(where + ": value '" + text + "' is not a YAML scalar or flow list ("
                        + oneLine(e.getMessage()) + ")");
                continue;
            }
            if (value instanceof Map) {
                problems.add(where + ": value '" + text + "' is a mapping, expected a YAML scalar or flow list");
                continue;
            }
            raw.computeIfAbsent(section, s -> new LinkedHashMap<>()).put(key, value);
            overridden.add(path);
        }
    }

    private static void checkKeys(Map<String, Map<String, Object>> raw, Set<String> overridden, List<String> problems) {
        raw.forEach((section, keys) -> keys.forEach((key, value) -> {
            if (!ConfigKeys.isKnown(section, key)) {
                problems.add(section + "." + key + ": " + unknownKey(section, key) + " (value " + Section.show(value) + ")");
            }
        }));
    }

    private static String unknownKey(String section, String key) {
        var other = ConfigKeys.sectionOf(key);
        if (other.isPresent()) {
            return "unknown key in section " + section + "; " + key + " belongs to section " + other.get()
                    + " (" + other.get() + "." + key + ")";
        }
        return "unknown key " + section + "." + key + ConfigKeys.closest(key, ConfigKeys.keys(section))
                .map(c -> ", did you mean " + section + "." + c + "?")
                .orElse("; known keys of " + section + ": " + ConfigKeys.keys(section));
    }

    private static RunConfig build(Map<String, Map<String, Object>> raw, Set<String> overridden, List<String> problems) {
        Map<String, Section> s = new LinkedHashMap<>();
        for (String name : ConfigKeys.SECTIONS) {
            s.put(name, new Section(name, raw.getOrDefault(name, Map.of()), overridden, problems));
        }
        DataConfig data = data(s.get("data"));
        MaskConfig mask = mask(s.get("mask"));
        MetaConfig meta = meta(s.get("meta"));
        OptimizationConfig opt = optimization(s.get("optimization"));
        LoggingConfig logging = logging(s.get("logging"));
        RunConfig config = new RunConfig(data, mask, meta, opt, logging, ignoredKeys(data, meta));
        crossCheck(config, s.get("data"), s.get("mask"), s.get("meta"), problems);
        return config;
    }

    private static DataConfig data(Section s) {
        DataConfig d = DataConfig.defaults();
        int batchSize = s.integer("batch_size", d.batchSize());
        if (batchSize < 1) {
            s.problem("batch_size", batchSize + " is not allowed, expected at least 1");
        } else if (batchSize > Bounds.MAX_BATCH) {
            s.problem("batch_size", batchSize + " is too large, expected at most " + Bounds.MAX_BATCH
                    + " images per step (the reference's largest is 2048 over 16 GPUs)");
        }
        double jitter = s.number("color_jitter_strength", d.colorJitterStrength());
        Range cropScale = s.range("crop_scale", d.cropScale());
        fraction(s, "crop_scale", cropScale);
        int cropSize = s.integer("crop_size", d.cropSize());
        if (cropSize < 1) {
            s.problem("crop_size", cropSize + " is not allowed, expected a positive image size in pixels");
        }
        String imageFolder = s.string("image_folder", d.imageFolder(), false);
        int numWorkers = s.integer("num_workers", d.numWorkers());
        nonNegative(s, "num_workers", numWorkers);
        if (numWorkers > Bounds.MAX_THREADS) {
            s.problem("num_workers", numWorkers + " is too many, expected at most " + Bounds.MAX_THREADS + " loader threads");
        }
        boolean pinMem = s.bool("pin_mem", d.pinMem());
        String rootPath = s.string("root_path", d.rootPath(), false);
        boolean colour = s.bool("use_color_distortion", d.useColorDistortion());
        if (colour) {
            s.problem("use_color_distortion", "true is not supported: colour distortion is not implemented in jepa4j "
                    + "(it is off in every reference config, docs/reference.md §6), expected false");
        }
        boolean blur = s.bool("use_gaussian_blur", d.useGaussianBlur());
        if (blur) {
            s.problem("use_gaussian_blur", "true is not supported: Gaussian blur is not implemented in jepa4j "
                    + "(it is off in every reference config, docs/reference.md §6), expected false");
        }
        boolean flip = s.bool("use_horizontal_flip", d.useHorizontalFlip());
        String source = s.string("source", d.source(), true);
        String evalSource = s.string("eval_source", d.evalSource(), true);
        int channels = s.integer("channels", d.channels());
        if (channels != 1 && channels != 3) {
            s.problem("channels", channels + " is not allowed, expected 1 (grey) or 3 (RGB)");
        }
        List<Double> mean = s.numbers("mean", d.mean());
        List<Double> std = s.numbers("std", d.std());
        for (double x : std) {
            if (!(x > 0)) {
                s.problem("std", Section.show(std) + " contains " + x + ", expected every std > 0");
                break;
            }
        }
        int prefetch = s.integer("prefetch", d.prefetch());
        positive(s, "prefetch", prefetch); // the loader needs room for one batch ahead
        if (prefetch > MAX_PREFETCH) {
            s.problem("prefetch", prefetch + " is too many batches held ahead, expected at most " + MAX_PREFETCH);
        }
        int limit = s.integer("limit", d.limit());
        nonNegative(s, "limit", limit);
        long maxPixels = s.longInteger("max_pixels", d.maxPixels());
        positive(s, "max_pixels", maxPixels);
        return new DataConfig(batchSize, jitter, cropScale, cropSize, imageFolder, numWorkers, pinMem, rootPath,
                colour, blur, flip, source, evalSource, channels, mean, std, prefetch, limit, maxPixels);
    }

    private static MaskConfig mask(Section s) {
        MaskConfig m = MaskConfig.defaults();
        boolean allowOverlap = s.bool("allow_overlap", m.allowOverlap());
        Range aspect = s.range("aspect_ratio", m.aspectRatio());
        if (!(aspect.min() > 0)) {
            s.problem("aspect_ratio", aspect + " is not allowed, expected positive aspect ratios (h/w)");
        }
        Range enc = s.range("enc_mask_scale", m.encMaskScale());
        fraction(s, "enc_mask_scale", enc);
        int minKeep = s.integer("min_keep", m.minKeep());
        nonNegative(s, "min_keep", minKeep);
        int nenc = s.integer("num_enc_masks", m.numEncMasks());
        if (nenc < 1) {
            s.problem("num_enc_masks", nenc + " is not allowed, expected at least 1");
        }
        int npred = s.integer("num_pred_masks", m.numPredMasks());
        if (npred < 1) {
            s.problem("num_pred_masks", npred + " is not allowed, expected at least 1");
        }
        atMost(s, "num_enc_masks", nenc, MAX_MASKS, "blocks per image (the reference uses 1)");
        atMost(s, "num_pred_masks", npred, MAX_MASKS, "blocks per image (the reference uses 4)");
        int patchSize = s.integer("patch_size", m.patchSize());
        if (patchSize < 1) {
            s.problem("patch_size", patchSize + " is not allowed, expected a positive patch size in pixels");
        }
        Range pred = s.range("pred_mask_scale", m.predMaskScale());
        fraction(s, "pred_mask_scale", pred);
        String strategy = s.string("strategy", m.strategy(), false);
        if (!ConfigKeys.MASK_STRATEGIES.contains(strategy)) {
            s.problem("strategy", "'" + strategy + "' is not a mask strategy, expected one of "
                    + ConfigKeys.MASK_STRATEGIES);
        }
        boolean coverEdges = s.bool("cover_edges", m.coverEdges());
        String truncation = s.string("truncation", m.truncation(), false);
        if (!ConfigKeys.MASK_TRUNCATIONS.contains(truncation)) {
            s.problem("truncation", "'" + truncation + "' is not a truncation mode, expected one of "
                    + ConfigKeys.MASK_TRUNCATIONS);
        }
        return new MaskConfig(allowOverlap, aspect, enc, minKeep, nenc, npred, patchSize, pred, strategy, coverEdges,
                truncation);
    }

    private static MetaConfig meta(Section s) {
        MetaConfig m = MetaConfig.defaults();
        boolean copyData = s.bool("copy_data", m.copyData());
        boolean loadCheckpoint = s.bool("load_checkpoint", m.loadCheckpoint());
        String modelName = s.string("model_name", m.modelName(), false);
        if (!ModelSpec.NAMES.contains(modelName.toLowerCase(Locale.ROOT))) {
            s.problem("model_name", "'" + modelName + "' is not a model name, expected one of " + ModelSpec.NAMES);
        }
        int predDepth = s.integer("pred_depth", m.predDepth());
        positive(s, "pred_depth", predDepth);
        atMost(s, "pred_depth", predDepth, MAX_DEPTH, "blocks (ViT-g has 40)");
        int predEmbDim = s.integer("pred_emb_dim", m.predEmbDim());
        positive(s, "pred_emb_dim", predEmbDim);
        atMost(s, "pred_emb_dim", predEmbDim, MAX_WIDTH, "channels (ViT-g has 1408)");
        String readCheckpoint = s.string("read_checkpoint", m.readCheckpoint(), true);
        boolean bf16 = s.bool("use_bfloat16", m.useBfloat16());
        long seed = s.longInteger("seed", m.seed());
        int embedDim = s.integer("embed_dim", m.embedDim());
        nonNegative(s, "embed_dim", embedDim);
        atMost(s, "embed_dim", embedDim, MAX_WIDTH, "channels (ViT-g has 1408)");
        int depth = s.integer("depth", m.depth());
        nonNegative(s, "depth", depth);
        atMost(s, "depth", depth, MAX_DEPTH, "blocks (ViT-g has 40)");
        int numHeads = s.integer("num_heads", m.numHeads());
        nonNegative(s, "num_heads", numHeads);
        atMost(s, "num_heads", numHeads, MAX_WIDTH, "heads");
        double mlpRatio = s.number("mlp_ratio", m.mlpRatio());
        if (mlpRatio < 0) {
            s.problem("mlp_ratio", mlpRatio + " is negative, expected 0 (the named model's) or a positive ratio");
        } else if (mlpRatio > MAX_MLP_RATIO) {
            s.problem("mlp_ratio", mlpRatio + " is too large, expected at most " + MAX_MLP_RATIO + " (the reference's is 4)");
        }
        int predNumHeads = s.integer("pred_num_heads", m.predNumHeads());
        nonNegative(s, "pred_num_heads", predNumHeads);
        atMost(s, "pred_num_heads", predNumHeads, MAX_WIDTH, "heads");
        String loss = s.string("loss", m.loss(), false);
        if (!ConfigKeys.LOSSES.contains(loss)) {
            s.problem("loss", "'" + loss + "' is not a loss, expected one of " + ConfigKeys.LOSSES);
        }
        int intra = s.integer("intra_op_threads", m.intraOpThreads());
        nonNegative(s, "intra_op_threads", intra);
        int inter = s.integer("inter_op_threads", m.interOpThreads());
        nonNegative(s, "inter_op_threads", inter);
        int towers = s.integer("towers", m.towers());
        positive(s, "towers", towers);
        double collectiveTimeout = s.number("collective_timeout_s", m.collectiveTimeoutS());
        if (!(collectiveTimeout > 0)) {
            s.problem("collective_timeout_s", collectiveTimeout + " is not positive, expected seconds > 0 that a"
                    + " multi-worker step waits for the other workers");
        }
        String towerDevices = s.string("tower_devices", m.towerDevices(), false);
        if (!MetaConfig.TOWER_DEVICES.contains(towerDevices)) {
            s.problem("tower_devices", "'" + towerDevices + "' is not a placement, expected one of "
                    + MetaConfig.TOWER_DEVICES);
        }
        String target = s.string("target", m.target(), false);
        if (!ConfigKeys.TARGETS.contains(target)) {
            s.problem("target", "'" + target + "' is not a prediction target, expected one of " + ConfigKeys.TARGETS);
        }
        boolean pixelNorm = s.bool("pixel_norm", m.pixelNorm());
        String patchEmbedInit = s.string("patch_embed_init", m.init().patchEmbedding(), false);
        if (!InitScheme.PATCH_EMBEDDINGS.contains(patchEmbedInit)) {
            s.problem("patch_embed_init", "'" + patchEmbedInit + "' is not an initialisation, expected one of "
                    + InitScheme.PATCH_EMBEDDINGS);
            patchEmbedInit = InitScheme.TRUNC_NORMAL;
        }
        double posScale = positionScale(s, "pos_embed_scale", m.init().positionScale());
        double predPosScale = positionScale(s, "pred_pos_embed_scale", m.init().predictorPositionScale());
        return new MetaConfig(copyData, loadCheckpoint, modelName, predDepth, predEmbDim, readCheckpoint, bf16, seed,
                embedDim, depth, numHeads, mlpRatio, predNumHeads, loss, intra, inter, towers, collectiveTimeout,
                towerDevices, target, pixelNorm, new InitScheme(patchEmbedInit, posScale, predPosScale));
    }

    /** A position table's scale: finite and >= 0 (0 removes the table). */
    private static double positionScale(Section s, String key, double fallback) {
        double v = s.number(key, fallback);
        if (!(Double.isFinite(v) && v >= 0)) {
            s.problem(key, v + " is not a scale, expected a finite number >= 0 that multiplies the sin-cos table"
                    + " (1 = the reference)");
            return fallback;
        }
        return v;
    }

    private static OptimizationConfig optimization(Section s) {
        OptimizationConfig o = OptimizationConfig.defaults();
        Range ema = s.range("ema", o.ema());
        if (ema.min() < 0 || ema.max() > 1) {
            s.problem("ema", ema + " is outside [0, 1], expected EMA momentum values in [0, 1]");
        }
        int epochs = s.integer("epochs", o.epochs());
        positive(s, "epochs", epochs);
        if (epochs > Bounds.MAX_EPOCHS) {
            s.problem("epochs", epochs + " is too many, expected at most " + Bounds.MAX_EPOCHS);
        }
        double finalLr = notNegative(s, "final_lr", s.number("final_lr", o.finalLr()));
        double finalWd = notNegative(s, "final_weight_decay", s.number("final_weight_decay", o.finalWeightDecay()));
        double ipeScale = s.number("ipe_scale", o.ipeScale());
        if (!(ipeScale > 0)) {
            s.problem("ipe_scale", ipeScale + " is not allowed, expected a positive scale");
        }
        double lr = notNegative(s, "lr", s.number("lr", o.lr()));
        double startLr = notNegative(s, "start_lr", s.number("start_lr", o.startLr()));
        double warmup = notNegative(s, "warmup", s.number("warmup", o.warmup()));
        double wd = notNegative(s, "weight_decay", s.number("weight_decay", o.weightDecay()));
        long maxSteps = s.longInteger("max_steps", o.maxSteps());
        if (maxSteps < 0) {
            s.problem("max_steps", maxSteps + " is negative, expected 0 (all epochs) or a step count");
        }
        int probeEvery = s.integer("probe_every", o.probeEvery());
        nonNegative(s, "probe_every", probeEvery);
        int evalEvery = s.integer("eval_every", o.evalEvery());
        nonNegative(s, "eval_every", evalEvery);
        return new OptimizationConfig(ema, epochs, finalLr, finalWd, ipeScale, lr, startLr, warmup, wd, maxSteps,
                probeEvery, evalEvery);
    }

    private static LoggingConfig logging(Section s) {
        LoggingConfig l = LoggingConfig.defaults();
        String folder = s.string("folder", l.folder(), false);
        String writeTag = s.string("write_tag", l.writeTag(), false);
        if (writeTag != null && !writeTag.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,99}")) {
            s.problem("write_tag", "'" + writeTag + "' is not allowed, expected a plain file-name prefix (letters,"
                    + " digits, '.', '_', '-'; no path separators or '..'), e.g. jepa");
        } else if (writeTag != null && writeTag.contains("..")) {
            s.problem("write_tag", "'" + writeTag + "' is not allowed, expected a plain file-name prefix without '..'");
        }
        int checkpointFreq = s.integer("checkpoint_freq", l.checkpointFreq());
        nonNegative(s, "checkpoint_freq", checkpointFreq);
        int logEvery = s.integer("log_every", l.logEvery());
        positive(s, "log_every", logEvery);
        return new LoggingConfig(folder, writeTag, checkpointFreq, logEvery);
    }

    /** Checks between keys, and the model the run would build. */
    private static void crossCheck(RunConfig c, Section data, Section mask, Section meta, List<String> problems) {
        DataConfig d = c.data();
        MaskConfig m = c.mask();
        boolean sizesOk = d.cropSize() > 0 && m.patchSize() > 0;
        if (sizesOk && d.cropSize() > MAX_CROP_SIZE) {
            data.problem("crop_size", d.cropSize() + " is too large, expected at most " + MAX_CROP_SIZE
                    + " pixels (the reference's largest is 448)");
            sizesOk = false;
        }
        if (sizesOk && d.cropSize() % m.patchSize() != 0) {
            data.problem("crop_size", d.cropSize() + " is not a multiple of mask.patch_size " + m.patchSize());
            sizesOk = false;
        }
        if (sizesOk) {
            long grid0 = d.cropSize() / m.patchSize();
            if (grid0 * grid0 > MAX_PATCHES) {
                data.problem("crop_size", d.cropSize() + " / mask.patch_size " + m.patchSize() + " gives " + grid0 + "x"
                        + grid0 + " = " + grid0 * grid0 + " patches, expected at most " + MAX_PATCHES
                        + " (attention is quadratic in the patch count)");
                sizesOk = false;
            }
            long batchValues = (long) d.batchSize() * d.channels() * d.cropSize() * d.cropSize();
            if (batchValues > Integer.MAX_VALUE - 8) {
                data.problem("batch_size", d.batchSize() + " x data.channels " + d.channels() + " x data.crop_size "
                        + d.cropSize() + "^2 = " + batchValues + " pixel values per batch, more than one Java array"
                        + " holds (" + (Integer.MAX_VALUE - 8) + "); expected a smaller batch or crop");
            }
        }
        if (sizesOk) {
            int grid = c.gridSize();
            int cells = grid * grid;
            if (m.minKeep() >= cells) {
                mask.problem("min_keep", m.minKeep() + " is not below the " + grid + "x" + grid + " = " + cells
                        + " patches of the grid (data.crop_size " + d.cropSize() + " / mask.patch_size "
                        + m.patchSize() + "), expected fewer than " + cells);
            } else if ("multiblock".equals(m.strategy()) && m.aspectRatio().min() > 0) {
                // §1.4: a block is valid only with more than min_keep patches, and the reference
                // resamples the position forever when the drawn size itself is too small.
                int predBlock = smallestBlock(m.predMaskScale(), m.aspectRatio(), grid);
                int encBlock = smallestBlock(m.encMaskScale(), Range.of(1, 1), grid);
                if (predBlock <= m.minKeep()) {
                    mask.problem("min_keep", m.minKeep() + " is not below the smallest target block mask.pred_mask_scale "
                            + m.predMaskScale() + " can draw on the " + grid + "x" + grid + " grid (" + predBlock
                            + " patches); the sampler could never place it (docs/reference.md §1.4), expected fewer than "
                            + predBlock);
                }
                if (encBlock <= m.minKeep()) {
                    mask.problem("min_keep", m.minKeep() + " is not below the smallest context block mask.enc_mask_scale "
                            + m.encMaskScale() + " can draw on the " + grid + "x" + grid + " grid (" + encBlock
                            + " patches), expected fewer than " + encBlock);
                }
            }
        }
        if (d.mean().size() != d.channels() && (d.channels() == 1 || d.channels() == 3)) {
            data.problem("mean", Section.show(d.mean()) + " has " + d.mean().size() + " values, expected one per channel ("
                    + "data.channels " + d.channels() + ")");
        }
        if (d.std().size() != d.channels() && (d.channels() == 1 || d.channels() == 3)) {
            data.problem("std", Section.show(d.std()) + " has " + d.std().size() + " values, expected one per channel ("
                    + "data.channels " + d.channels() + ")");
        }
        MetaConfig mt = c.meta();
        if (!ModelSpec.NAMES.contains(mt.modelName().toLowerCase(Locale.ROOT)) || !sizesOk) {
            return;
        }
        var named = ModelSpec.namedEncoder(mt.modelName(), d.cropSize(), m.patchSize(), d.channels());
        int width = mt.embedDim() > 0 ? mt.embedDim() : named.width();
        int heads = mt.numHeads() > 0 ? mt.numHeads() : named.heads();
        if (width % heads != 0) {
            meta.problem(mt.embedDim() > 0 ? "embed_dim" : "num_heads", "encoder width " + width
                    + " is not divisible by " + heads + " heads (meta.model_name " + mt.modelName()
                    + ", meta.embed_dim " + mt.embedDim() + ", meta.num_heads " + mt.numHeads()
                    + "), expected width = heads x head size");
            return;
        }
        int predHeads = mt.predNumHeads() > 0 ? mt.predNumHeads() : heads;
        if (mt.predEmbDim() > 0 && mt.predEmbDim() % predHeads != 0) {
            meta.problem(mt.predNumHeads() > 0 ? "pred_num_heads" : "pred_emb_dim", "predictor width "
                    + mt.predEmbDim() + " is not divisible by " + predHeads + " heads (meta.pred_emb_dim "
                    + mt.predEmbDim() + ", meta.pred_num_heads " + mt.predNumHeads()
                    + " where 0 = the encoder's), expected width = heads x head size");
            return;
        }
        if (problems.isEmpty()) {
            try {
                c.modelSpec();
            } catch (IllegalArgumentException e) {
                problems.add("meta: the model cannot be built: " + e.getMessage());
            }
        }
    }

    /**
     * The fewest patches a block of the reference's size rule (docs/reference.md §1.3) can have:
     * one draw u sets scale and aspect ratio, {@code h = round(sqrt(k·ar))}, {@code w = round(sqrt(k/ar))},
     * both capped at grid − 1. Scans u finely; the size is a step function of u.
     */
    static int smallestBlock(Range scale, Range aspect, int grid) {
        int cells = grid * grid;
        int smallest = Integer.MAX_VALUE;
        int steps = 20_000;
        for (int i = 0; i < steps; i++) {
            double u = (double) i / steps;
            int maxKeep = (int) (cells * scale.lerp(u));
            double ar = aspect.lerp(u);
            // the reference decrements h and w while they reach the grid: the same as capping at grid - 1
            int h = (int) Math.min(Math.rint(Math.sqrt(maxKeep * ar)), grid - 1);
            int w = (int) Math.min(Math.rint(Math.sqrt(maxKeep / ar)), grid - 1);
            smallest = Math.min(smallest, h * w);
        }
        return smallest;
    }

    /** Keys whose value asks for something the JVM does not do; they are accepted and listed. */
    private static List<String> ignoredKeys(DataConfig d, MetaConfig m) {
        List<String> ignored = new ArrayList<>();
        if (d.colorJitterStrength() != 0) {
            ignored.add("data.color_jitter_strength"); // used only by colour distortion, which is off
        }
        if (d.pinMem()) {
            ignored.add("data.pin_mem");
        }
        if (m.copyData()) {
            ignored.add("meta.copy_data");
        }
        if (m.useBfloat16()) {
            ignored.add("meta.use_bfloat16"); // training runs in float32
        }
        return ignored;
    }

    private static void fraction(Section s, String key, Range r) {
        if (!(r.min() > 0) || r.max() > 1) {
            s.problem(key, r + " is outside (0, 1], expected area fractions 0 < min <= max <= 1");
        }
    }

    private static void positive(Section s, String key, long v) {
        if (v < 1) {
            s.problem(key, v + " is not allowed, expected at least 1");
        }
    }

    private static void nonNegative(Section s, String key, long v) {
        if (v < 0) {
            s.problem(key, v + " is negative, expected 0 or more");
        }
    }

    private static double notNegative(Section s, String key, double v) {
        if (v < 0 || Double.isNaN(v)) {
            s.problem(key, v + " is negative, expected 0 or more");
        }
        return v;
    }

    private static String oneLine(String message) {
        return message == null ? "" : message.replaceAll("\\s*\\n\\s*", " ").trim();
    }

    /** Records a problem when {@code value} is above {@code max}. */
    private static void atMost(Section s, String key, long value, long max, String what) {
        if (value > max) {
            s.problem(key, value + " is too large, expected at most " + max + " " + what);
        }
    }
}
