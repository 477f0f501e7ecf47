package org.jepa4j.bench;

import org.jepa4j.train.step.TrainingGraphOptions;
import org.jepa4j.config.RunConfig;
import org.jepa4j.config.RunConfigLoader;
import org.jepa4j.graph.MatmulPrecision;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.pipeline.Batch;
import org.jepa4j.provenance.CpuFeatures;
import org.jepa4j.train.Schedules;
import org.jepa4j.train.Trainer;
import org.jepa4j.train.TrainingFlops;
import org.jepa4j.train.TrainingGraph;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Training-speed benchmark ({@code tools/bench-train}): steady-state ms per step, images/s, peak
 * RSS, achieved GFLOP/s ({@link TrainingFlops}) and that as a fraction of this machine's fp32
 * matrix-multiply rate measured in the same process with the same thread settings. The first
 * steps (graph optimisation, oneDNN set-up) are reported apart. Several TensorFlow thread
 * settings, and training towers, can be compared in one run ({@code --threads 1:1,2:2,1:2:2}), and
 * so can the matrix products' precisions ({@code --precision fp32,bf16}); the matmul rate is then
 * measured in the same precision, and the table's header names the CPU flags that decide it. With
 * {@code --official CHECKOUT} the official PyTorch step ({@link OfficialTrainStep}) is timed in the
 * same run beside each precision and the ratios are printed. {@code --rounds N} measures the settings
 * N times in turn and reports each one's median round, so that a machine's drift falls on every setting.
 */
@Command(name = "bench-train", mixinStandardHelpOptions = true,
        description = "Measure training speed of a run config (steady-state ms/step, images/s, GFLOP/s).")
public final class TrainBenchmark implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "run config: a YAML file or a preset name")
    String config;

    @Option(names = "--set", description = "override a config key, e.g. --set data.batch_size=32 (repeatable)")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--steps", defaultValue = "20", description = "timed steps per thread setting (default ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--warmup", defaultValue = "3", description = "untimed first steps (graph optimisation), reported apart (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--threads", split = ",", description = "settings to compare as intra:inter[:towers]"
            + " (TensorFlow threads, 0 = TF default; towers as meta.towers), e.g. 1:1,2:2,1:2:2;"
            + " default: the config's meta.intra_op_threads/inter_op_threads/towers")
    List<String> threads = new ArrayList<>();

    /** Set in the child process that measures one thread setting: print the row for the parent. */
    @Option(names = "--child-row", hidden = true)
    boolean childRow;

    @Option(names = "--workers", defaultValue = "1", description = "with N > 1: N data-parallel workers on"
            + " 127.0.0.1 (one core each) against one process with the config's setting, same global batch")
    int workers;

    @Option(names = "--precision", split = ",", description = "matrix-product precisions to compare: fp32, bf16"
            + " and/or bf16_attention (meta.matmul_precision forced); default: what the config's meta.matmul_precision resolves to here")
    List<String> precisions = new ArrayList<>();

    @Option(names = "--official", paramLabel = "IJEPA_CHECKOUT", description = "also time the official PyTorch step"
            + " (a facebookresearch/ijepa checkout; Debian's python3-torch) on the same setting right after each row,"
            + " fp32 beside fp32 and its bf16 autocast beside bf16, and print the ratios: the config's model, masks and"
            + " batch built by the official code)")
    Path official;

    @Option(names = "--python", defaultValue = "/usr/bin/python3", description = "the Python with torch for --official"
            + " (default ${DEFAULT-VALUE})")
    String python;

    @Option(names = "--rounds", defaultValue = "1", description = "measure every setting this many times, the settings"
            + " in turn, and report each setting's median round by images/s (default ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--batches", defaultValue = "8", description = "distinct batches prepared and cycled (default ${DEFAULT-VALUE})")
    int batches;

    /** TensorFlow intra-op and inter-op threads, training towers and matrix-product precision of one measurement. */
    record Setting(int intra, int inter, int towers, MatmulPrecision precision) {
        Setting(int intra, int inter, int towers) {
            this(intra, inter, towers, MatmulPrecision.FP32);
        }

        /** Parses {@code intra:inter[:towers]}; towers default to {@code defaultTowers}. */
        static Setting parse(String text, int defaultTowers) {
            String[] p = text.strip().split(":");
            try {
                if (p.length == 4) {
                    Setting s = parse(p[0] + ":" + p[1] + ":" + p[2], defaultTowers);
                    return s.with(MatmulPrecision.valueOf(p[3].toUpperCase(Locale.ROOT)));
                }
                if (p.length == 2 || p.length == 3) {
                    Setting s = new Setting(Integer.parseInt(p[0]), Integer.parseInt(p[1]),
                            p.length == 3 ? Integer.parseInt(p[2]) : defaultTowers);
                    if (s.intra() >= 0 && s.inter() >= 0 && s.towers() >= 1) {
                        return s;
                    }
                }
            } catch (IllegalArgumentException e) {
                // reported below (NumberFormatException, an unknown precision)
            }
            throw new IllegalArgumentException("--threads: '" + text + "' is not intra:inter[:towers] with threads >= 0"
                    + " and towers >= 1 (e.g. 2:1 or 1:2:2)");
        }

        Setting with(MatmulPrecision p) {
            return new Setting(intra, inter, towers, p);
        }

        /** {@code intra:inter:towers:precision}, what the child JVM is given. */
        String label() {
            return intra + ":" + inter + ":" + towers + ":" + precision.label();
        }
    }

    /** One measured setting. */
    record Row(Setting setting, double firstStepMs, double warmupMs, double meanMs, double medianMs,
               double cpuMsPerStep, double imagesPerSecond, double gflopPerStep, double achievedGflops, double matmulGflops,
               long peakRssKb) {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new TrainBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws IOException {
        RunConfig cfg = RunConfigLoader.resolve(config, overrides);
        if (workers > 1) {
            List<String> ignored = new ArrayList<>();
            if (!precisions.isEmpty()) {
                ignored.add("--precision");
            }
            if (!threads.isEmpty()) {
                ignored.add("--threads");
            }
            if (rounds != 1) {
                ignored.add("--rounds");
            }
            if (official != null) {
                ignored.add("--official");
            }
            if (!ignored.isEmpty()) {
                throw new CommandLine.ParameterException(new CommandLine(this), String.join(", ", ignored)
                        + ": not with --workers, which compares the workers with one process at the config's own"
                        + " setting (--set meta.matmul_precision=bf16 and the like choose it)");
            }
            return ClusterTrainBenchmark.compare(this, cfg, workers);
        }
        // every option is checked before the first batch is prepared or any step timed
        CpuFeatures cpu = CpuFeatures.host();
        List<MatmulPrecision> chosen = new ArrayList<>();
        for (String p : precisions) {
            try {
                chosen.add(MatmulPrecision.resolve(p, true, cpu, false).precision());
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--precision: " + e.getMessage());
            }
        }
        if (chosen.isEmpty()) {
            chosen.add(Trainer.precisionChoice(cfg, cpu, false).precision());
        }
        List<Setting> base = new ArrayList<>();
        if (threads.isEmpty()) {
            base.add(new Setting(cfg.meta().intraOpThreads(), cfg.meta().interOpThreads(), cfg.meta().towers()));
        } else {
            for (String t : threads) {
                try {
                    base.add(Setting.parse(t, cfg.meta().towers()));
                } catch (IllegalArgumentException e) {
                    throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage());
                }
            }
        }
        List<Setting> settings = new ArrayList<>();
        for (Setting s : base) {
            if (childRow || threads.stream().anyMatch(t -> t.split(":").length == 4)) {
                settings.add(s);
                continue;
            }
            for (MatmulPrecision p : chosen) {
                settings.add(s.with(p));
            }
        }
        if (rounds < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--rounds " + rounds + ": expected 1 or more");
        }
        OfficialTrainStep officialStep = official == null || childRow ? null : officialStep(cfg);

        ModelSpec spec = cfg.modelSpec();
        int b = cfg.data().batchSize();
        List<Batch> prepared = RunBatches.firstOfEpoch(cfg, Math.max(1, batches));
        double flops = 0;
        for (Batch batch : prepared) {
            flops += TrainingFlops.trainingStep(spec, batch.masks());
        }
        flops /= prepared.size();
        if (childRow) {
            // a child JVM measures the one setting it was given and prints the row for the parent
            System.out.println(ROW_PREFIX + rowToLine(measure(cfg, spec, prepared, flops, settings.get(0))));
            return 0;
        }
        System.out.printf(Locale.ROOT, "model: encoder %s, predictor %s%n", spec.encoder(), spec.predictor());
        System.out.printf(Locale.ROOT, "batch %d, %d prepared batches, mean Kc %.1f, Kt %.1f, %.2f GFLOP per step"
                        + " (matmuls; target fwd + 3 x (context encoder + predictor) fwd)%n", b, prepared.size(),
                prepared.stream().mapToInt(x -> x.masks().contextLength()).average().orElse(0),
                prepared.stream().mapToInt(x -> x.masks().targetLength()).average().orElse(0), flops / 1e9);
        System.out.printf(Locale.ROOT, "cores %d, %d timed steps after %d warm-up steps per setting%n",
                Runtime.getRuntime().availableProcessors(), steps, warmup);
        System.out.printf(Locale.ROOT, "CPU flags deciding precision: %s%n", cpu.precisionFlags());
        // bf16 and bf16_attention face the one autocast step: it is timed once per precision and thread count
        java.util.Map<String, OfficialTrainStep.Timing> officialTimes = new java.util.HashMap<>();
        java.util.Map<Setting, List<Row>> measured = new java.util.LinkedHashMap<>();
        for (int round = 1; round <= rounds; round++) {
            for (Setting s : settings) {
                // TensorFlow sizes its intra-op pool once per process (the first session's setting), so
                // each further setting, and each further round, is measured in a fresh JVM
                Row row = settings.size() == 1 && rounds == 1 ? measure(cfg, spec, prepared, flops, s) : measureInChild(s);
                measured.computeIfAbsent(s, k -> new ArrayList<>()).add(row);
                System.out.printf(Locale.ROOT, "  %sintra %d inter %d towers %d %s: first step %.0f ms, steady %.1f ms/step"
                                + " (process CPU %.0f ms/step), %.1f images/s, %.1f GFLOP/s (%.0f%% of matmul %.1f GFLOP/s)%n",
                        rounds > 1 ? "round " + round + ", " : "", s.intra(), s.inter(), s.towers(), s.precision().label(),
                        row.firstStepMs(), row.meanMs(), row.cpuMsPerStep(), row.imagesPerSecond(), row.achievedGflops(),
                        100 * row.achievedGflops() / row.matmulGflops(), row.matmulGflops());
                if (officialStep != null && !officialTimes.containsKey(officialKey(s))) {
                    OfficialTrainStep.Timing t = officialStep.time(s.precision(), officialThreads(s), steps, warmup,
                            officialTimes.isEmpty());
                    officialTimes.put(officialKey(s), t);
                    System.out.printf(Locale.ROOT, "  official step, torch threads %d, %s: %.1f ms/step, %.1f images/s%n",
                            t.threads(), t.precision(), t.msPerStep(), t.imagesPerSecond());
                }
            }
        }
        List<Row> rows = measured.values().stream().map(TrainBenchmark::medianRound).toList();
        System.out.println();
        System.out.println("CPU flags: " + cpu.precisionFlags() + " (matmul GFLOP/s: " + MatmulRate.SIZE
                + "³ products in the row's precision, same process and threads)");
        System.out.println("| intra | inter | towers | precision | first step ms | steps 2..warmup ms | ms/step mean"
                + " | ms/step median | CPU ms/step | images/s | GFLOP/s | matmul GFLOP/s | fraction | peak RSS MB |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "| %s | %s | %d | %s | %.0f | %.0f | %.1f | %.1f | %.0f | %.1f | %.1f | %.1f | %.0f%% | %.0f |%n",
                    r.setting().intra() == 0 ? "TF default" : r.setting().intra(),
                    r.setting().inter() == 0 ? "TF default" : r.setting().inter(), r.setting().towers(),
                    r.setting().precision().label(),
                    r.firstStepMs(), r.warmupMs(), r.meanMs(), r.medianMs(), r.cpuMsPerStep(), r.imagesPerSecond(), r.achievedGflops(),
                    r.matmulGflops(), 100 * r.achievedGflops() / r.matmulGflops(), r.peakRssKb() / 1024.0);
        }
        if (!officialTimes.isEmpty()) {
            System.out.println();
            System.out.println("Against the official step (timed right after the first jepa4j row of its precision and"
                    + " thread count, same batch, same cores):");
            System.out.println("| jepa4j setting | jepa4j images/s | official | official images/s | jepa4j / official |");
            System.out.println("|---|---|---|---|---|");
            for (Row r : rows) {
                OfficialTrainStep.Timing t = officialTimes.get(officialKey(r.setting()));
                System.out.printf(Locale.ROOT, "| %s | %.1f | %s, %d torch threads | %.1f | %.2fx |%n", r.setting().label(),
                        r.imagesPerSecond(), t.precision().equals("bf16") ? "bf16 autocast" : "fp32", t.threads(),
                        t.imagesPerSecond(), r.imagesPerSecond() / t.imagesPerSecond());
            }
        }
        return 0;
    }

    /** Of one setting's rounds, the median by images/s (the lower of the two middle ones for an even count). */
    static Row medianRound(List<Row> rounds) {
        List<Row> sorted = new ArrayList<>(rounds);
        sorted.sort(java.util.Comparator.comparingDouble(Row::imagesPerSecond));
        return sorted.get((sorted.size() - 1) / 2);
    }

    private static int officialThreads(Setting s) {
        return OfficialTrainStep.threadsOf(s, Runtime.getRuntime().availableProcessors());
    }

    /** The official step a setting is set beside: its precision and its thread count. */
    private static String officialKey(Setting s) {
        return OfficialTrainStep.precisionOf(s.precision()) + "@" + officialThreads(s);
    }

    /** The official step's runner for the run config's model, masks and batch, its options checked. */
    private OfficialTrainStep officialStep(RunConfig cfg) {
        try {
            return OfficialTrainStep.of(official, python, Path.of(System.getProperty("jepa4j.home", ".")), cfg);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage());
        }
    }

    private Row measure(RunConfig cfg, ModelSpec spec, List<Batch> prepared, double flops, Setting setting) {
        TrainingGraphOptions opts = Trainer.graphOptions(cfg, setting.precision()).toBuilder()
                .threads(setting.intra(), setting.inter()).towers(setting.towers()).build();
        Schedules schedules = Schedules.of(cfg.optimization(), Math.max(1, steps + warmup));
        double first = 0;
        double warm = 0;
        double[] timed = new double[steps];
        long cpuStart = 0;
        long cpuEnd = 0;
        try (TrainingGraph graph = TrainingGraph.create(spec, opts)) {
            for (int i = 0; i < warmup + steps; i++) {
                Batch batch = prepared.get(i % prepared.size());
                Schedules.Values v = schedules.at(i);
                if (i == warmup) {
                    cpuStart = processCpuNanos();
                }
                long t0 = System.nanoTime();
                graph.step(batch, new TrainingGraph.StepHyperparameters(v.lr(), v.weightDecay(), v.momentum(), i + 1));
                double ms = (System.nanoTime() - t0) / 1e6;
                if (i == 0) {
                    first = ms;
                } else if (i < warmup) {
                    warm += ms / Math.max(1, warmup - 1);
                } else {
                    timed[i - warmup] = ms;
                }
            }
            cpuEnd = processCpuNanos();
        }
        double mean = Arrays.stream(timed).average().orElse(Double.NaN);
        double[] sorted = timed.clone();
        Arrays.sort(sorted);
        double median = sorted.length == 0 ? Double.NaN : sorted[sorted.length / 2];
        double matmul = MatmulRate.gflops(setting.intra(), setting.inter(), setting.towers(), setting.precision());
        int b = prepared.get(0).size();
        double cpuMs = steps > 0 && cpuStart >= 0 ? (cpuEnd - cpuStart) / 1e6 / steps : Double.NaN;
        return new Row(setting, first, warm, mean, median, cpuMs, b / (mean / 1e3), flops / 1e9,
                flops / 1e9 / (mean / 1e3), matmul, peakRssKb());
    }

    private static final String ROW_PREFIX = "#bench-train-row ";

    private static String rowToLine(Row r) {
        return String.join(" ", List.of(r.setting().label(),
                Double.toString(r.firstStepMs()), Double.toString(r.warmupMs()), Double.toString(r.meanMs()),
                Double.toString(r.medianMs()), Double.toString(r.cpuMsPerStep()), Double.toString(r.imagesPerSecond()),
                Double.toString(r.gflopPerStep()), Double.toString(r.achievedGflops()), Double.toString(r.matmulGflops()),
                Long.toString(r.peakRssKb())));
    }

    private static Row lineToRow(String line) {
        String[] f = line.trim().split(" ");
        return new Row(Setting.parse(f[0], 1), Double.parseDouble(f[1]), Double.parseDouble(f[2]),
                Double.parseDouble(f[3]), Double.parseDouble(f[4]), Double.parseDouble(f[5]), Double.parseDouble(f[6]),
                Double.parseDouble(f[7]), Double.parseDouble(f[8]), Double.parseDouble(f[9]), Long.parseLong(f[10]));
    }

    /** Runs this benchmark for one thread setting in a child JVM (same class path and JVM options). */
    Row measureInChild(Setting setting) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), TrainBenchmark.class.getName(),
                "--config", config, "--steps", Integer.toString(steps), "--warmup", Integer.toString(warmup),
                "--batches", Integer.toString(batches), "--threads", setting.label(), "--child-row"));
        for (String o : overrides) {
            cmd.addAll(List.of("--set", o));
        }
        try {
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            Row row = null;
            try (var out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                    java.nio.charset.StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    if (line.startsWith(ROW_PREFIX)) {
                        row = lineToRow(line.substring(ROW_PREFIX.length()));
                    }
                }
            }
            int rc = p.waitFor();
            if (rc != 0 || row == null) {
                throw new IllegalStateException("bench-train: the child measuring " + setting.label()
                        + " (intra:inter:towers) failed (exit " + rc + "): " + String.join(" ", cmd));
            }
            return row;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("bench-train: cannot start a child JVM: " + cmd.get(0), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("bench-train: interrupted", e);
        }
    }

    /**
     * CPU time of this whole process (all threads, TensorFlow's native pools included) in ns; -1 if
     * the JVM cannot tell. Less sensitive to other load on a shared machine than wall time.
     */
    static long processCpuNanos() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    /** Peak resident set size of this process ({@code VmHWM} in /proc/self/status), in KiB; -1 if unknown. */
    static long peakRssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
