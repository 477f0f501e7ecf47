package org.jepa4j.cli;

import org.jepa4j.commands.OutputChecks;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.jepa4j.config.MaskConfig;
import org.jepa4j.config.RunConfig;
import org.jepa4j.mask.AbstractMaskSampler;
import org.jepa4j.mask.BlockSize;
import org.jepa4j.mask.MaskDraw;
import org.jepa4j.mask.MaskPainter;
import org.jepa4j.mask.MaskSamplers;
import org.jepa4j.mask.MaskStatistics;
import org.jepa4j.mask.MultiBlockMaskSampler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.concurrent.Callable;

/**
 * {@code jepa4j masks}: draws batches of masks with a run file's {@code mask} settings and prints
 * what the model will see (block sizes, kept context/target lengths, truncation loss, coverage;
 * the figures of docs/reference.md §1.7), optionally as JSON and a PNG of sample masks.
 */
@Command(name = "masks", mixinStandardHelpOptions = true,
        description = "Draw context/target masks with a run file's mask settings; print their statistics "
                + "(block sizes, kept lengths, coverage) and optionally paint sample masks to a PNG.")
public final class MasksCommand implements Callable<Integer> {

    @CommandLine.Mixin
    ConfigOptions configOptions;

    /** Most batches drawn: a million masks already give every statistic to three digits. */
    static final int MAX_BATCHES = 100_000;
    /** Most images painted: beyond this the picture is unreadable. */
    static final int MAX_PNG_IMAGES = 256;

    @Option(names = "--batches", paramLabel = "N", defaultValue = "20", description = "Batches to draw (default ${DEFAULT-VALUE}).")
    int batches;

    @Option(names = "--batch-size", paramLabel = "B", description = "Images per batch (default data.batch_size).")
    Integer batchSize;

    @Option(names = "--first-step", paramLabel = "STEP", defaultValue = "0", description = "Step of the first batch (default ${DEFAULT-VALUE}).")
    long firstStep;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Option(names = "--png", paramLabel = "FILE", description = "Paint the first batch's masks to this PNG.")
    Path png;

    @Option(names = "--png-images", paramLabel = "K", defaultValue = "6", description = "Images in the PNG (default ${DEFAULT-VALUE}).")
    int pngImages;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * @return 0; config errors ({@code ConfigException}) and settings the sampler rejects
     *         ({@link IllegalArgumentException}) reach {@link Jepa4j}'s handler: message, exit code 2
     */
    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        RunConfig config = configOptions.load();
        org.jepa4j.io.Bounds.atMost("--batches", batches, MAX_BATCHES, "batches");
        if (firstStep < 0) {
            throw new IllegalArgumentException("--first-step " + firstStep + ": expected a step >= 0");
        }
        int crop = config.data().cropSize();
        int patch = config.mask().patchSize();
        if (patch < 1 || crop % patch != 0) {
            throw new IllegalArgumentException("config data.crop_size: " + crop + " is not a multiple of mask.patch_size "
                    + patch);
        }
        int grid = crop / patch;
        int b = batchSize != null ? batchSize : config.data().batchSize();
        org.jepa4j.io.Bounds.atMost("--batch-size", b, org.jepa4j.io.Bounds.MAX_BATCH, "images per batch");
        if (png != null) {
            org.jepa4j.io.Bounds.atMost("--png-images", pngImages, Math.min(b, MAX_PNG_IMAGES), "images (at most the"
                    + " batch size)");
            java.util.List<org.jepa4j.io.OutputGuard.Input> inputs = new java.util.ArrayList<>();
            if (java.nio.file.Files.exists(java.nio.file.Path.of(configOptions.config))) {
                inputs.add(new org.jepa4j.io.OutputGuard.Input("--config", java.nio.file.Path.of(configOptions.config)));
            }
            inputs.addAll(OutputChecks.dataInputs("data.source", config.data().source()));
            OutputChecks.checkFile("--png", png, java.util.List.of(".png"), true, inputs, "a PNG image",
                    OutputChecks::isPng);
        }
        AbstractMaskSampler sampler = MaskSamplers.create(config.mask(), grid, grid, config.meta().seed());
        MaskStatistics st = MaskStatistics.measure(sampler, firstStep, batches, b);
        double msPerBatch = timePerBatch(sampler, b);
        if (json) {
            ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            out.println(mapper.writeValueAsString(toJson(config, sampler, st, msPerBatch)));
        } else {
            printTable(out, config, sampler, st, msPerBatch);
        }
        if (png != null) {
            MaskDraw shown = sampler.draw(firstStep, b);
            MaskPainter.writePng(shown, sampler.truncate(shown), pngImages, png);
            (json ? err : out).println("wrote " + png);
        }
        out.flush();
        err.flush();
        return 0;
    }

    /** Mean wall time of {@code sampleAt} (draw + truncation) over the measured steps, JIT warmed. */
    private double timePerBatch(AbstractMaskSampler sampler, int b) {
        int reps = Math.max(3, batches);
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) {
            sampler.sampleAt(firstStep + (i % batches), b);
        }
        return (System.nanoTime() - t0) / 1e6 / reps;
    }

    private Map<String, Object> toJson(RunConfig config, AbstractMaskSampler sampler, MaskStatistics st,
                                       double msPerBatch) {
        Map<String, Object> m = new LinkedHashMap<>();
        MaskConfig mc = config.mask();
        m.put("strategy", st.strategy());
        m.put("grid", List.of(st.gridHeight(), st.gridWidth()));
        m.put("num_patches", st.numPatches());
        m.put("batch_size", st.batchSize());
        m.put("batches", st.batches());
        m.put("first_step", st.firstStep());
        m.put("seed", config.meta().seed());
        m.put("mask", Map.of("pred_mask_scale", List.of(mc.predMaskScale().min(), mc.predMaskScale().max()),
                "enc_mask_scale", List.of(mc.encMaskScale().min(), mc.encMaskScale().max()),
                "aspect_ratio", List.of(mc.aspectRatio().min(), mc.aspectRatio().max()),
                "num_pred_masks", mc.numPredMasks(), "num_enc_masks", mc.numEncMasks(), "min_keep", mc.minKeep(),
                "allow_overlap", mc.allowOverlap(), "cover_edges", mc.coverEdges(), "truncation", mc.truncation()));
        if (sampler instanceof MultiBlockMaskSampler mb) {
            m.put("possible_target_blocks", sizes(mb.possibleTargetSizes()));
            m.put("possible_context_blocks", sizes(mb.possibleContextSizes()));
        }
        m.put("target_blocks_drawn", counts(st.targetBlocks()));
        m.put("context_blocks_drawn", counts(st.contextBlocks()));
        m.put("k_pred", lengths(st.targetLength()));
        m.put("k_enc", lengths(st.contextLength()));
        m.put("mean_context_before_truncation", st.meanContextBeforeTruncation());
        m.put("mean_target_before_truncation", st.meanTargetBeforeTruncation());
        m.put("mean_kept_context_row", st.meanKeptContextRow());
        m.put("mean_context_row_before_truncation", st.meanContextRowBeforeTruncation());
        m.put("relaxations", st.relaxations());
        m.put("ms_per_batch", msPerBatch);
        m.put("target_coverage", rows(st.targetCoverage(), st.gridWidth()));
        m.put("context_coverage", rows(st.contextCoverage(), st.gridWidth()));
        m.put("kept_context_coverage", rows(st.keptContextCoverage(), st.gridWidth()));
        return m;
    }

    private static List<List<Integer>> sizes(SortedSet<BlockSize> sizes) {
        List<List<Integer>> out = new ArrayList<>();
        for (BlockSize s : sizes) {
            out.add(List.of(s.height(), s.width()));
        }
        return out;
    }

    private static Map<String, Integer> counts(SortedMap<BlockSize, Integer> counts) {
        Map<String, Integer> out = new LinkedHashMap<>();
        counts.forEach((k, v) -> out.put(k.toString(), v));
        return out;
    }

    private static Map<String, Object> lengths(MaskStatistics.Lengths l) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("mean", l.mean());
        out.put("min", l.min());
        out.put("max", l.max());
        return out;
    }

    private static List<double[]> rows(double[] map, int width) {
        List<double[]> out = new ArrayList<>();
        for (int r = 0; r < map.length / width; r++) {
            double[] row = new double[width];
            for (int c = 0; c < width; c++) {
                row[c] = Math.round(map[r * width + c] * 1e4) / 1e4;
            }
            out.add(row);
        }
        return out;
    }

    private void printTable(PrintWriter out, RunConfig config, AbstractMaskSampler sampler, MaskStatistics st,
                            double msPerBatch) {
        MaskConfig mc = config.mask();
        int n = st.numPatches();
        out.printf("masks: strategy %s, grid %dx%d (N = %d), batch %d, %d batches from step %d, seed %d%n",
                st.strategy(), st.gridHeight(), st.gridWidth(), n, st.batchSize(), st.batches(), st.firstStep(),
                config.meta().seed());
        if (sampler instanceof MultiBlockMaskSampler mb) {
            out.printf("settings: pred_mask_scale %s, aspect_ratio %s, npred %d; enc_mask_scale %s, nenc %d; "
                            + "min_keep %d, allow_overlap %s, cover_edges %s, truncation %s%n", mc.predMaskScale(),
                    mc.aspectRatio(), mc.numPredMasks(), mc.encMaskScale(), mc.numEncMasks(), mc.minKeep(),
                    mc.allowOverlap(), mc.coverEdges(), mc.truncation());
            out.println("possible target blocks (h x w): " + join(mb.possibleTargetSizes()));
            out.println("possible context blocks:        " + join(mb.possibleContextSizes()));
        }
        out.println("target blocks drawn (batches):  " + joinCounts(st.targetBlocks()));
        out.println("context blocks drawn (batches): " + joinCounts(st.contextBlocks()));
        out.println();
        out.printf("%-34s %8s %6s %6s %7s%n", "per image", "mean", "min", "max", "mean/N");
        out.printf("%-34s %8.1f %6d %6d %7.3f%n", "K_pred (kept target patches)", st.targetLength().mean(),
                st.targetLength().min(), st.targetLength().max(), st.targetLength().mean() / n);
        out.printf("%-34s %8.1f %6d %6d %7.3f%n", "K_enc (kept context patches)", st.contextLength().mean(),
                st.contextLength().min(), st.contextLength().max(), st.contextLength().mean() / n);
        out.printf("%-34s %8.1f %6s %6s %7.3f%n", "target before truncation", st.meanTargetBeforeTruncation(), "",
                "", st.meanTargetBeforeTruncation() / n);
        out.printf("%-34s %8.1f %6s %6s %7.3f%n", "context before truncation", st.meanContextBeforeTruncation(), "",
                "", st.meanContextBeforeTruncation() / n);
        out.printf("context dropped by truncation: %.1f%%%n",
                100 * (1 - st.contextLength().mean() / st.meanContextBeforeTruncation()));
        out.printf("mean row of kept context tokens: %.2f (before truncation %.2f)%n", st.meanKeptContextRow(),
                st.meanContextRowBeforeTruncation());
        out.println("context relaxations (acceptable region dropped): " + st.relaxations());
        out.printf("sampling time: %.2f ms/batch%n", msPerBatch);
        if (st.gridWidth() <= 32) {
            printMap(out, "target coverage (% of images)", st.targetCoverage(), st.gridWidth());
            printMap(out, "context coverage before truncation (% of images)", st.contextCoverage(), st.gridWidth());
            printMap(out, "kept context coverage (% of images)", st.keptContextCoverage(), st.gridWidth());
        } else {
            out.println("(coverage maps: use --json for grids wider than 32)");
        }
    }

    private static void printMap(PrintWriter out, String title, double[] map, int width) {
        out.println();
        out.println(title + ":");
        for (int r = 0; r < map.length / width; r++) {
            StringBuilder line = new StringBuilder("  ");
            for (int c = 0; c < width; c++) {
                line.append(String.format("%4d", Math.round(100 * map[r * width + c])));
            }
            out.println(line);
        }
    }

    private static String join(SortedSet<BlockSize> sizes) {
        List<String> s = new ArrayList<>();
        sizes.forEach(x -> s.add(x.toString()));
        return String.join(" ", s);
    }

    private static String joinCounts(SortedMap<BlockSize, Integer> counts) {
        List<String> s = new ArrayList<>();
        counts.forEach((k, v) -> s.add(k + " (" + v + ")"));
        return s.isEmpty() ? "(not blocks)" : String.join(", ", s);
    }
}
