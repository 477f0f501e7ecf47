package org.jepa4j.bench;

import org.jepa4j.cluster.ClusterRun;
import org.jepa4j.cluster.ClusterSpec;
import org.jepa4j.cluster.Replication;
import org.jepa4j.config.RunConfig;
import org.jepa4j.config.RunConfigLoader;
import org.jepa4j.net.LoopbackPorts;
import org.jepa4j.pipeline.Batch;
import org.jepa4j.train.Schedules;
import org.jepa4j.train.Trainer;
import org.jepa4j.train.TrainingGraph;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code tools/bench-train --workers N}: N data-parallel workers on 127.0.0.1, each a JVM pinned
 * to one core where {@code taskset} exists, with one tower and one intra-op thread, against one
 * process with the config's shipped thread and tower setting, on the same global batch and the
 * same prepared batches, in one run. Per setup: steady ms/step, images/s, and for the cluster the
 * all-reduce time of one step's packed gradient (the median of timed all-reduces of that size
 * after the steps) and the ratio of images/s.
 */
final class ClusterTrainBenchmark {
    /** Marks the result line a worker prints for the parent. */
    static final String WORKER_ROW = "#bench-train-worker ";
    /** Timed all-reduces per worker after the steps. */
    static final int ALL_REDUCE_RUNS = 10;
    /** inter-op threads of a worker: TensorFlow's collectives can stall with fewer than workers + 1. */
    static final int WORKER_INTER_OP = 3;

    private ClusterTrainBenchmark() {
    }

    /** One worker's figures: mean and median ms per step, median all-reduce ms. */
    record WorkerRow(double meanMs, double medianMs, double allReduceMs) {
    }

    /** The parent: the one-process row (in its own JVM), then the N workers, then the table. */
    static int compare(TrainBenchmark bench, RunConfig cfg, int workers) {
        int b = cfg.data().batchSize();
        if (b < workers) {
            throw new IllegalArgumentException("--workers " + workers + ": more workers than the " + b
                    + " images of data.batch_size");
        }
        TrainBenchmark.Setting shipped = new TrainBenchmark.Setting(cfg.meta().intraOpThreads(),
                cfg.meta().interOpThreads(), cfg.meta().towers());
        System.out.printf(Locale.ROOT, "global batch %d: one process (intra %d, inter %d, towers %d) against %d workers"
                        + " on 127.0.0.1 (each: 1 core%s, intra 1, inter %d, towers 1), %d timed steps after %d%n", b,
                shipped.intra(), shipped.inter(), shipped.towers(), workers,
                hasTaskset() ? " by taskset" : ", not pinned: no taskset", WORKER_INTER_OP, bench.steps, bench.warmup);
        TrainBenchmark.Row single = bench.measureInChild(shipped);
        System.out.printf(Locale.ROOT, "  one process: %.1f ms/step, %.1f images/s%n", single.meanMs(),
                single.imagesPerSecond());
        List<WorkerRow> rows = runWorkers(bench, workers);
        double meanMs = rows.stream().mapToDouble(WorkerRow::meanMs).max().orElseThrow();
        double medianMs = rows.stream().mapToDouble(WorkerRow::medianMs).max().orElseThrow();
        double allReduce = rows.stream().mapToDouble(WorkerRow::allReduceMs).max().orElseThrow();
        double imagesPerSecond = b / (meanMs / 1e3);
        System.out.printf(Locale.ROOT, "  %d workers: %.1f ms/step, %.1f images/s, all-reduce %.1f ms/step%n", workers,
                meanMs, imagesPerSecond, allReduce);
        System.out.println();
        System.out.println("| setup | global batch | ms/step mean | ms/step median | images/s | all-reduce ms/step"
                + " | images/s vs one process |");
        System.out.println("|---|---|---|---|---|---|---|");
        System.out.printf(Locale.ROOT, "| one process, intra %d inter %d towers %d | %d | %.1f | %.1f | %.1f | - | 1.00x |%n",
                shipped.intra(), shipped.inter(), shipped.towers(), b, single.meanMs(), single.medianMs(),
                single.imagesPerSecond());
        System.out.printf(Locale.ROOT, "| %d workers on loopback, 1 core each | %d | %.1f | %.1f | %.1f | %.1f | %.2fx |%n",
                workers, b, meanMs, medianMs, imagesPerSecond, allReduce, imagesPerSecond / single.imagesPerSecond());
        return 0;
    }

    private static boolean hasTaskset() {
        return Files.isExecutable(Path.of("/usr/bin/taskset"));
    }

    private static List<WorkerRow> runWorkers(TrainBenchmark bench, int workers) {
        // ports outside the kernel's ephemeral range: none is handed to another socket before the worker binds it
        List<String> addresses = new ArrayList<>();
        for (int port : LoopbackPorts.distinct(workers)) {
            addresses.add("127.0.0.1:" + port);
        }
        int cores = Runtime.getRuntime().availableProcessors();
        List<Process> ps = new ArrayList<>();
        List<WorkerRow> rows = new ArrayList<>();
        try {
            for (int r = 0; r < workers; r++) {
                List<String> cmd = new ArrayList<>();
                if (hasTaskset()) {
                    cmd.addAll(List.of("/usr/bin/taskset", "-c", Integer.toString(r % cores)));
                }
                cmd.add(ProcessHandle.current().info().command().orElse("java"));
                cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
                cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ClusterTrainBenchmark.class.getName(),
                        bench.config, String.join(",", addresses), Integer.toString(r), Integer.toString(bench.steps),
                        Integer.toString(bench.warmup), Integer.toString(bench.batches)));
                cmd.addAll(bench.overrides);
                ps.add(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start());
            }
            for (int r = 0; r < workers; r++) {
                WorkerRow row = null;
                try (BufferedReader out = new BufferedReader(new InputStreamReader(ps.get(r).getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = out.readLine()) != null) {
                        if (line.startsWith(WORKER_ROW)) {
                            String[] f = line.substring(WORKER_ROW.length()).trim().split(" ");
                            row = new WorkerRow(Double.parseDouble(f[0]), Double.parseDouble(f[1]),
                                    Double.parseDouble(f[2]));
                        }
                    }
                }
                int rc = ps.get(r).waitFor();
                if (rc != 0 || row == null) {
                    throw new IllegalStateException("bench-train: worker " + r + " failed (exit " + rc + ")");
                }
                rows.add(row);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("bench-train: cannot start a worker JVM", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("bench-train: interrupted", e);
        } finally {
            ps.forEach(Process::destroyForcibly);
        }
        return rows;
    }

    /**
     * A worker: {@code CONFIG HOST:PORT,... RANK STEPS WARMUP BATCHES [k=v ...]}. Trains its slice of
     * the prepared batches and prints its {@link #WORKER_ROW}.
     */
    public static void main(String[] args) {
        List<String> overrides = new ArrayList<>(Arrays.asList(args).subList(6, args.length));
        overrides.addAll(List.of("meta.towers=1", "meta.intra_op_threads=1", "meta.inter_op_threads=" + WORKER_INTER_OP));
        RunConfig cfg = RunConfigLoader.resolve(args[0], overrides);
        ClusterSpec cluster = ClusterSpec.ofWorkers(args[1], Integer.parseInt(args[2]));
        int steps = Integer.parseInt(args[3]);
        int warmup = Integer.parseInt(args[4]);
        List<Batch> prepared = RunBatches.firstOfEpoch(cfg, Math.max(1, Integer.parseInt(args[5])));
        int[] slice = Replication.sliceOf(cfg.data().batchSize(), cluster.rank(), cluster.size());
        Schedules schedules = Schedules.of(cfg.optimization(), Math.max(1, steps + warmup));
        ClusterRun run = ClusterRun.start(cluster, cfg);
        double[] timed = new double[steps];
        double allReduce;
        try (TrainingGraph graph = TrainingGraph.create(cfg.modelSpec(), Trainer.graphOptions(cfg), run.replication())) {
            graph.broadcastFromRankZero();
            run.watchdog().clusterUp();
            for (int i = 0; i < warmup + steps; i++) {
                Batch batch = prepared.get(i % prepared.size()).slice(slice[0], slice[1]);
                Schedules.Values v = schedules.at(i);
                long t0 = System.nanoTime();
                graph.step(batch, new TrainingGraph.StepHyperparameters(v.lr(), v.weightDecay(), v.momentum(), i + 1));
                if (i >= warmup) {
                    timed[i - warmup] = (System.nanoTime() - t0) / 1e6;
                }
            }
            allReduce = graph.allReduceMillis(ALL_REDUCE_RUNS);
        }
        run.watchdog().close();
        double[] sorted = timed.clone();
        Arrays.sort(sorted);
        System.out.println(WORKER_ROW + Arrays.stream(timed).average().orElse(Double.NaN) + " "
                + (sorted.length == 0 ? Double.NaN : sorted[sorted.length / 2]) + " " + allReduce);
        System.out.flush();
        // the TensorFlow server cannot be stopped: end the process
        Runtime.getRuntime().halt(0);
    }
}
