package org.jepa4j.bench;

import org.jepa4j.config.ConfigKeys;
import org.jepa4j.config.MaskConfig;
import org.jepa4j.config.MetaConfig;
import org.jepa4j.config.RunConfig;
import org.jepa4j.graph.MatmulPrecision;
import org.jepa4j.model.EncoderSpec;
import org.jepa4j.model.PredictorSpec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The official PyTorch training step on a run config's model, masks and batch, timed by
 * {@code tools/lib/bench_official.py} from a facebookresearch/ijepa checkout, so that
 * {@code bench-train --official} sets it beside each jepa4j row in the same run: float32 beside
 * jepa4j's fp32, the reference's {@code use_bfloat16} autocast (moved to the CPU) beside bf16.
 */
final class OfficialTrainStep {
    /** The script's progress line for one measurement. */
    static final Pattern ROW = Pattern.compile("^\\s*threads (\\d+) (fp32|bf16): ([0-9.]+) ms/step, ([0-9.]+) images/s\\s*$");
    /** The start of the script's lines that say what it builds. */
    static final String SETTING_LINE = "official ";
    /** What the script times, relative to the project's root. */
    static final String SCRIPT = "tools/lib/bench_official.py";

    /** One timing of the official step. */
    record Timing(int threads, String precision, double msPerStep, double imagesPerSecond) {
    }

    private final Path checkout;
    private final String python;
    private final Path script;
    private final List<String> setting;
    private final List<String> departures;

    private OfficialTrainStep(Path checkout, String python, Path script, List<String> setting, List<String> departures) {
        this.checkout = checkout;
        this.python = python;
        this.script = script;
        this.setting = setting;
        this.departures = departures;
    }

    /**
     * The script's options that build the official encoder, predictor and mask collator of a run
     * config, and its batch.
     *
     * @throws IllegalArgumentException where the official code has no such step: a pixel target, a
     *                                  loss other than smooth L1, masks other than multiblock
     */
    static List<String> settingArguments(RunConfig cfg) {
        MetaConfig meta = cfg.meta();
        MaskConfig mask = cfg.mask();
        if (!ConfigKeys.TARGET_FEATURES.equals(meta.target())) {
            throw new IllegalArgumentException("--official: meta.target: " + meta.target() + " has no official step"
                    + " (the official code predicts the target encoder's features), expected " + ConfigKeys.TARGET_FEATURES);
        }
        if (!"smooth_l1".equals(meta.loss())) {
            throw new IllegalArgumentException("--official: meta.loss: " + meta.loss() + " has no official step"
                    + " (the official loss is smooth_l1), expected smooth_l1");
        }
        if (!"multiblock".equals(mask.strategy())) {
            throw new IllegalArgumentException("--official: mask.strategy: " + mask.strategy() + " has no official step"
                    + " (the official collator is multiblock), expected multiblock");
        }
        EncoderSpec e = cfg.modelSpec().encoder();
        PredictorSpec p = cfg.modelSpec().predictor();
        return List.of("--image-size", Integer.toString(e.imageSize()), "--patch-size", Integer.toString(e.patchSize()),
                "--channels", Integer.toString(e.channels()), "--width", Integer.toString(e.width()),
                "--depth", Integer.toString(e.depth()), "--heads", Integer.toString(e.heads()),
                "--mlp-ratio", mlpRatio(e.width(), e.mlpHidden()),
                "--pred-width", Integer.toString(p.width()), "--pred-depth", Integer.toString(p.depth()),
                "--pred-heads", Integer.toString(p.heads()), "--pred-mlp-ratio", mlpRatio(p.width(), p.mlpHidden()),
                "--enc-mask-scale", range(mask.encMaskScale().min(), mask.encMaskScale().max()),
                "--pred-mask-scale", range(mask.predMaskScale().min(), mask.predMaskScale().max()),
                "--aspect-ratio", range(mask.aspectRatio().min(), mask.aspectRatio().max()),
                "--num-enc-masks", Integer.toString(mask.numEncMasks()),
                "--num-pred-masks", Integer.toString(mask.numPredMasks()),
                "--min-keep", Integer.toString(mask.minKeep()), "--allow-overlap", Boolean.toString(mask.allowOverlap()),
                "--batch", Integer.toString(cfg.data().batchSize()));
    }

    /**
     * The jepa4j mask options of {@code cfg} that the official collator lacks and the official step is
     * timed without, in words; empty for the reference's masks. Neither changes a step's work much:
     * {@code truncation: random} keeps as many tokens as {@code first}, {@code cover_edges} moves
     * blocks (the printed mean kept lengths of both sides show what differs).
     */
    static List<String> departures(RunConfig cfg) {
        MaskConfig mask = cfg.mask();
        List<String> d = new ArrayList<>();
        if (mask.coverEdges()) {
            d.add("mask.cover_edges: true (the official blocks never reach the last patch row and column)");
        }
        if (!ConfigKeys.MASK_TRUNCATIONS.get(0).equals(mask.truncation())) {
            d.add("mask.truncation: " + mask.truncation() + " (the official collator keeps each list's first indices)");
        }
        return d;
    }

    /**
     * The official {@code mlp_ratio} whose hidden width, {@code int(width * mlp_ratio)} in Python's
     * double arithmetic (Java's), is {@code hidden}: {@code hidden / width}, or the next double up
     * where the product rounds to just below {@code hidden}.
     */
    static String mlpRatio(int width, int hidden) {
        double ratio = hidden / (double) width;
        if ((int) (width * ratio) != hidden) {
            ratio = Math.nextUp(ratio);
        }
        return Double.toString(ratio);
    }

    private static String range(double min, double max) {
        return Double.toString(min) + "," + Double.toString(max);
    }

    /**
     * @param checkout a facebookresearch/ijepa checkout
     * @param python   the Python with torch (Debian's {@code /usr/bin/python3} with python3-torch)
     * @param home     the project's root, which holds {@link #SCRIPT}
     * @param cfg      the run config whose model, masks and batch are timed
     * @throws IllegalArgumentException naming what is missing: the checkout, the script, a Python that
     *                                  starts and imports torch; or a config the official code cannot
     *                                  train ({@link #settingArguments})
     */
    static OfficialTrainStep of(Path checkout, String python, Path home, RunConfig cfg) {
        List<String> setting = settingArguments(cfg);
        if (!Files.isRegularFile(checkout.resolve("src/models/vision_transformer.py"))) {
            throw new IllegalArgumentException("--official " + checkout + ": not a facebookresearch/ijepa checkout (no"
                    + " src/models/vision_transformer.py in it)");
        }
        Path script = home.resolve(SCRIPT);
        if (!Files.isRegularFile(script)) {
            throw new IllegalArgumentException("--official: " + script + " is missing (run bench-train through"
                    + " tools/bench-train, which tells it where the project is)");
        }
        checkTorch(python);
        return new OfficialTrainStep(checkout, python, script, setting, departures(cfg));
    }

    /** Checks that {@code python} runs and imports torch, before any step is timed. */
    static void checkTorch(String python) {
        List<String> cmd = List.of(python, "-c", "import torch");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            int rc = p.waitFor();
            if (rc != 0) {
                String last = out.isEmpty() ? "exit " + rc : out.substring(out.lastIndexOf('\n') + 1);
                throw new IllegalArgumentException("--python " + python + " cannot import torch (" + last + "); --official"
                        + " needs a Python with PyTorch, such as Debian's python3-torch in /usr/bin/python3");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("--python " + python + " cannot be run (" + e.getMessage() + ");"
                    + " --official needs a Python with PyTorch, such as Debian's python3-torch in /usr/bin/python3");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("bench-train: interrupted", e);
        }
    }

    /** The official run's precision for a jepa4j precision: autocast to bf16 for either bf16 graph. */
    static String precisionOf(MatmulPrecision p) {
        return p.linearsInBf16() ? "bf16" : "fp32";
    }

    /**
     * The torch thread count that uses the cores a jepa4j setting uses: {@code intra} threads per op
     * times the ops that run side by side (inter-op threads, at most one per tower); 0 means all cores.
     */
    static int threadsOf(TrainBenchmark.Setting s, int cores) {
        int intra = s.intra() == 0 ? cores : s.intra();
        int inter = s.inter() == 0 ? cores : s.inter();
        return Math.max(1, Math.min(cores, intra * Math.max(1, Math.min(inter, s.towers()))));
    }

    /** Parses one progress line of the script, or returns null for any other line. */
    static Timing parse(String line) {
        Matcher m = ROW.matcher(line);
        if (!m.matches()) {
            return null;
        }
        return new Timing(Integer.parseInt(m.group(1)), m.group(2), Double.parseDouble(m.group(3)),
                Double.parseDouble(m.group(4)));
    }

    /**
     * Times the official step once.
     *
     * @param echoSetting print the script's lines that describe what it builds (model, masks and
     *                    their mean kept lengths, batch), for the first timing of a run
     * @throws IllegalStateException when the script fails or prints no timing; its output is in the message
     */
    Timing time(MatmulPrecision precision, int threads, int steps, int warmup, boolean echoSetting) {
        List<String> cmd = new ArrayList<>(List.of(python, script.toString(), "--official", checkout.toString(),
                "--precision", precisionOf(precision), "--threads", Integer.toString(threads),
                "--steps", Integer.toString(steps), "--warmup", Integer.toString(warmup)));
        cmd.addAll(setting);
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            Timing timing = null;
            List<String> tail = new ArrayList<>();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    Timing t = parse(line);
                    timing = t != null ? t : timing;
                    if (echoSetting && line.startsWith(SETTING_LINE)) {
                        System.out.println("  " + line);
                    }
                    tail.add(line);
                    if (tail.size() > 8) {
                        tail.remove(0);
                    }
                }
            }
            if (echoSetting && !departures.isEmpty()) {
                System.out.println("  official step without " + String.join("; ", departures)
                        + ": timed with the official masks");
            }
            int rc = p.waitFor();
            if (rc != 0 || timing == null) {
                throw new IllegalStateException(String.format(Locale.ROOT, "bench-train --official: %s failed (exit %d):%n%s",
                        String.join(" ", cmd), rc, String.join(System.lineSeparator(), tail)));
            }
            return timing;
        } catch (IOException e) {
            throw new UncheckedIOException("bench-train --official: cannot start " + python, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("bench-train: interrupted", e);
        }
    }
}
