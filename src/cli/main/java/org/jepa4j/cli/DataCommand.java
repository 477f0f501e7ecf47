package org.jepa4j.cli;

import org.jepa4j.config.DataConfig;
import org.jepa4j.config.RunConfig;
import org.jepa4j.data.DatasetResolver;
import org.jepa4j.data.Image;
import org.jepa4j.data.ImageDataset;
import org.jepa4j.data.ImageTransform;
import org.jepa4j.data.Split;
import org.jepa4j.data.UnreadableImageException;
import org.jepa4j.mask.MaskSampler;
import org.jepa4j.mask.MaskSamplers;
import org.jepa4j.pipeline.Batch;
import org.jepa4j.pipeline.BatchLoader;
import org.jepa4j.pipeline.LoaderOptions;
import org.jepa4j.pipeline.TrainTransform;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * {@code jepa4j data}: describes a run's dataset and training transform, or ({@code --bench})
 * measures the loader alone: images/s and batches/s with one worker and with {@code data.num_workers}.
 */
@Command(name = "data", mixinStandardHelpOptions = true,
        description = {"Describe the dataset and transform of a run config, or benchmark the data loader (with the run's mask sampler).",
                "Without --bench: source, split, image count, image size and channels, classes with counts, transform.",
                "With --bench: builds N batches after a warm-up with 1 worker and with data.num_workers, and prints a table."})
public final class DataCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions configOptions;

    @Option(names = "--bench", description = "Benchmark the loader instead of describing the data.")
    boolean bench;

    /** Most batches a benchmark row builds (each is a whole batch of decoded images). */
    static final int MAX_BATCHES = 1_000_000;

    @Option(names = "--batches", paramLabel = "N", defaultValue = "200",
            description = "Batches timed per worker setting with --bench (default ${DEFAULT-VALUE}).")
    int batches;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "5",
            description = "Batches built and discarded before timing (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--split", paramLabel = "train|test", defaultValue = "train",
            description = "Which split to describe or load (default ${DEFAULT-VALUE}); test is data.eval_source or the source's test split.")
    Split split;

    @Spec
    CommandSpec spec;

    /** The first row warms up for at least this much CPU time, so JIT compilation does not count against one worker. */
    static final double JIT_WARMUP_SECONDS = 5.0;

    @Override
    public Integer call() {
        RunConfig run = configOptions.load();
        PrintWriter out = spec.commandLine().getOut();
        if (bench) {
            benchmark(run, split, batches, warmup, JIT_WARMUP_SECONDS, out);
        } else {
            describe(run, split, out);
        }
        out.flush();
        return 0;
    }

    /** Prints source, split, count, image geometry, classes with counts and the training transform. */
    static void describe(RunConfig run, Split split, PrintWriter out) {
        DataConfig d = run.data();
        String spec = split == Split.TEST && d.evalSource() != null ? d.evalSource() : DatasetResolver.trainSpec(d);
        ImageDataset ds = DatasetResolver.open(d, split);
        out.println("source:    " + spec);
        out.println("split:     " + split.label());
        out.println("dataset:   " + ds.description());
        out.println("images:    " + ds.size());
        out.println("first:     " + geometry(ds));
        if (ds.labelled()) {
            int[] counts = new int[ds.classNames().size()];
            for (int i = 0; i < ds.size(); i++) {
                counts[ds.label(i)]++;
            }
            out.println("classes:   " + counts.length);
            for (int k = 0; k < counts.length; k++) {
                out.printf(Locale.ROOT, "  %4d  %-24s %8d%n", k, ds.classNames().get(k), counts[k]);
            }
        } else {
            out.println("classes:   none (unlabelled)");
        }
        out.println("transform: " + TrainTransform.of(d).describe());
        out.printf(Locale.ROOT, "batches:   %d per epoch of batch_size %d (last partial batch dropped)%n",
                BatchLoader.iterationsPerEpoch(ds.size(), d.batchSize()), d.batchSize());
    }

    private static String geometry(ImageDataset ds) {
        for (int i = 0; i < Math.min(ds.size(), 16); i++) {
            try {
                Image img = ds.image(i);
                return img.height() + "x" + img.width() + " pixels, " + img.channels() + " channel"
                        + (img.channels() == 1 ? "" : "s") + " (image " + i + "; folder images may differ)";
            } catch (UnreadableImageException e) {
                // reported by the dataset; try the next one
            }
        }
        return "no readable image among the first 16";
    }

    /**
     * Loader throughput with 1 worker and with {@code data.num_workers}: per row, {@code warmup}
     * batches (the first row for at least {@code jitSeconds}) and then {@code batches} timed ones.
     */
    static void benchmark(RunConfig run, Split split, int batches, int warmup, double jitSeconds, PrintWriter out) {
        if (batches <= 0 || warmup < 0) {
            throw new IllegalArgumentException("--batches must be positive and --warmup >= 0, got " + batches + " and " + warmup);
        }
        org.jepa4j.io.Bounds.atMost("--batches", batches, MAX_BATCHES, "batches");
        org.jepa4j.io.Bounds.zeroOrAtMost("--warmup", warmup, MAX_BATCHES, "batches");
        DataConfig d = run.data();
        ImageDataset ds = DatasetResolver.open(d, split);
        ImageTransform transform = TrainTransform.of(d);
        MaskSampler masks = MaskSamplers.create(run.mask(), run.gridSize(), run.gridSize(), run.meta().seed());
        out.println("dataset:   " + ds.description());
        out.println("transform: " + transform.describe());
        out.println("masks:     " + run.mask().strategy() + " on a " + run.gridSize() + "x" + run.gridSize() + " grid");
        out.printf(Locale.ROOT, "batch %d, %d warm-up + %d timed batches per row, prefetch %d, %d CPUs%n",
                d.batchSize(), warmup, batches, d.prefetch(), Runtime.getRuntime().availableProcessors());
        out.printf(Locale.ROOT, "%8s %10s %10s %12s %12s %10s %14s  %s%n", "workers", "batches", "seconds", "images/s",
                "batches/s", "cpu s", "images/cpu-s", "batches built per worker (warm-up and prefetch included)");
        List<Integer> settings = d.numWorkers() == 1 ? List.of(1) : List.of(1, d.numWorkers());
        boolean first = true;
        for (int workers : settings) {
            LoaderOptions o = LoaderOptions.training(d, run.meta().seed(), 0, LoaderOptions.UNBOUNDED).withWorkers(workers);
            try (BatchLoader loader = new BatchLoader(ds, transform, masks, o)) {
                // JIT compilation must finish before timing; on a shared machine wall time says little
                // about how much compiling happened, so the first row warms up by process CPU time
                long w0 = processCpuNanos() >= 0 ? processCpuNanos() : System.nanoTime();
                for (int i = 0; i < warmup || (first && ((processCpuNanos() >= 0 ? processCpuNanos() : System.nanoTime())
                        - w0) / 1e9 < jitSeconds); i++) {
                    loader.next();
                }
                first = false;
                long t0 = System.nanoTime();
                long cpu0 = processCpuNanos();
                long images = 0;
                for (int i = 0; i < batches; i++) {
                    Batch b = loader.next();
                    images += b.size();
                }
                double s = (System.nanoTime() - t0) / 1e9;
                double cpu = (processCpuNanos() - cpu0) / 1e9;
                String perWorker = Arrays.stream(loader.workerBatchCounts()).mapToObj(Long::toString)
                        .collect(Collectors.joining(" "));
                // CPU time shows the loader's cost even when other processes share the cores
                out.printf(Locale.ROOT, "%8d %10d %10.3f %12.1f %12.2f %10s %14s  %s%n", workers, batches, s, images / s,
                        batches / s, cpu0 < 0 ? "-" : String.format(Locale.ROOT, "%.3f", cpu),
                        cpu0 < 0 || cpu <= 0 ? "-" : String.format(Locale.ROOT, "%.1f", images / cpu), perWorker);
                out.flush();
            }
        }
    }

    /** CPU time of this JVM in nanoseconds, or -1 where the platform does not report it. */
    private static long processCpuNanos() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }
}
