package org.jepa4j.config;

import org.jepa4j.io.Messages;
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
 * {@link RunConfig}. Each section record reads its own keys ({@code MetaConfig.parse}, ...); this
 * class reads the file, applies overrides, rejects unknown keys and checks keys against each other. Missing keys take the section records' {@code defaults()}; {@code --set
 * section.key=value} overrides are applied before validation. Every problem of the file (unknown
 * sections or keys, wrong types, inconsistent values) is collected and reported together in one
 * {@link ConfigException}, before any work starts.
 *
 * <p>Keys the JVM cannot honour (pin_mem true, copy_data true, ...) are accepted and listed in
 * {@link RunConfig#ignoredKeys()}; options the reference offers but jepa4j does not implement
 * (colour distortion, Gaussian blur) are errors when switched on.
 */
public final class RunConfigLoader {

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
            throw new ConfigException(file.toString(), "cannot read the file: " + org.jepa4j.io.AtomicFiles.describe(e));
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
            throw new ConfigException(origin, "not valid YAML: " + Messages.oneLine(e.getMessage()));
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
                        + Messages.oneLine(e.getMessage()) + ")");
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
        DataConfig data = DataConfig.parse(s.get("data"));
        MaskConfig mask = MaskConfig.parse(s.get("mask"));
        MetaConfig meta = MetaConfig.parse(s.get("meta"));
        OptimizationConfig opt = OptimizationConfig.parse(s.get("optimization"));
        LoggingConfig logging = LoggingConfig.parse(s.get("logging"));
        RunConfig config = new RunConfig(data, mask, meta, opt, logging, ignoredKeys(data, meta));
        crossCheck(config, s.get("data"), s.get("mask"), s.get("meta"), problems);
        return config;
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
        return ignored;
    }
}
