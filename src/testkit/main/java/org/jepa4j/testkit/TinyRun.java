package org.jepa4j.testkit;

import org.jepa4j.config.RunConfig;
import org.jepa4j.config.RunConfigLoader;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tiny training run of every test that trains: the {@value #CONFIG} preset with a handful of
 * {@code --set} overrides, so that it takes a second or two on one core. 32 synthetic 16x16 grey
 * images in 4 classes, batch 8 (4 steps per epoch), 2 epochs; a width-32 encoder of one block with
 * 2 heads (4x4 patches: 16 tokens), a one-block width-16 predictor, one tower and one inter-op
 * thread; two target blocks, {@code min_keep 0} (the preset's scales give 1-2 patch targets on so
 * small a grid); no collapse probes; a CSV row every step.
 *
 * <p>One definition in two spellings: {@link #config()} for tests that build a trainer, and
 * {@link #args()} / {@link #sets()} for tests that run the command line. A test that needs another
 * run says only what differs: {@code TinyRun.standard().with("meta.depth", 2).config()}.
 * Immutable: {@link #with} returns a new run.
 */
public final class TinyRun {
    /** The preset the overrides apply to. */
    public static final String CONFIG = "fashion_mnist";

    /** {@code section.key} to value, in the order the overrides are given. */
    private final Map<String, String> settings;

    private TinyRun(Map<String, String> settings) {
        this.settings = Collections.unmodifiableMap(settings);
    }

    /**
     * The tiny run as described above.
     *
     * @return the standard tiny run
     */
    public static TinyRun standard() {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("data.source", synthetic(32, 1, 4, 5, 16));
        s.put("data.crop_size", "16");
        s.put("data.batch_size", "8");
        s.put("data.num_workers", "1");
        s.put("meta.embed_dim", "32");
        s.put("meta.depth", "1");
        s.put("meta.num_heads", "2");
        s.put("meta.pred_depth", "1");
        s.put("meta.pred_emb_dim", "16");
        s.put("meta.towers", "1");
        s.put("meta.inter_op_threads", "1");
        s.put("mask.min_keep", "0");
        s.put("mask.num_pred_masks", "2");
        s.put("optimization.epochs", "2");
        s.put("optimization.probe_every", "0");
        s.put("logging.log_every", "1");
        return new TinyRun(s);
    }

    /**
     * The data source of {@code count} synthetic {@code 16x16} images (see {@code ImageSources}).
     *
     * @param count     training images
     * @param channels  1 (grey) or 3 (RGB)
     * @param classes   labels 0..classes-1
     * @param seed      the images' seed
     * @param testCount held-out images
     * @return {@code synthetic:count=...,size=16,...}
     */
    public static String synthetic(int count, int channels, int classes, int seed, int testCount) {
        return "synthetic:count=" + count + ",size=16,channels=" + channels + ",classes=" + classes + ",seed=" + seed
                + ",test_count=" + testCount;
    }

    /**
     * This run with one key changed or added.
     *
     * @param key   {@code section.key}, as in {@code --set}
     * @param value its value as YAML text (a scalar or a flow list), or anything whose
     *              {@code toString} is that
     * @return a new run; this one is unchanged
     */
    public TinyRun with(String key, Object value) {
        Map<String, String> s = new LinkedHashMap<>(settings);
        s.put(key, String.valueOf(value));
        return new TinyRun(s);
    }

    /**
     * This run writing into {@code folder}.
     *
     * @param folder the run folder ({@code logging.folder})
     * @return a new run; this one is unchanged
     */
    public TinyRun in(Path folder) {
        return with("logging.folder", folder);
    }

    /**
     * The overrides.
     *
     * @return {@code section.key=value} strings, as {@code --set} and {@code RunConfigLoader} take them
     */
    public List<String> sets() {
        List<String> out = new ArrayList<>();
        settings.forEach((k, v) -> out.add(k + "=" + v));
        return out;
    }

    /**
     * The overrides as options.
     *
     * @return {@code --set section.key=value} pairs, for a command whose base config is {@value #CONFIG}
     */
    public List<String> setArgs() {
        List<String> out = new ArrayList<>();
        for (String s : sets()) {
            out.add("--set");
            out.add(s);
        }
        return out;
    }

    /**
     * The whole run as options.
     *
     * @return {@code --config fashion_mnist} and {@link #setArgs()}
     */
    public List<String> args() {
        List<String> out = new ArrayList<>(List.of("--config", CONFIG));
        out.addAll(setArgs());
        return out;
    }

    /**
     * The run as the command line would resolve it.
     *
     * @return {@value #CONFIG} with {@link #sets()} applied
     */
    public RunConfig config() {
        return RunConfigLoader.resolve(CONFIG, sets());
    }
}
