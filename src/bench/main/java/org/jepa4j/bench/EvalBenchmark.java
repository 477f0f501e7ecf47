package org.jepa4j.bench;

import org.jepa4j.eval.InnerProductSearch;
import org.jepa4j.metrics.Knn;
import org.jepa4j.metrics.LinearProbe;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

import java.util.Random;
import java.util.concurrent.Callable;

/**
 * Times the linear probe and kNN on synthetic features of Fashion-MNIST's shape (default 60000
 * training and 10000 test rows of width 192, ten Gaussian classes) and prints one line per stage.
 * Usage: {@code tools/bench-eval [nTrain nTest dim]}.
 */
@Command(name = "bench-eval", mixinStandardHelpOptions = true,
        description = "Linear probe (grid and refit) and kNN (k=20) on synthetic features of"
                + " Fashion-MNIST's shape: wall and CPU seconds per stage.")
public final class EvalBenchmark implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", defaultValue = "60000", paramLabel = "N_TRAIN",
            description = "Training rows (default: ${DEFAULT-VALUE}).")
    int nTrain;
    @Parameters(index = "1", arity = "0..1", defaultValue = "10000", paramLabel = "N_TEST",
            description = "Test rows (default: ${DEFAULT-VALUE}).")
    int nTest;
    @Parameters(index = "2", arity = "0..1", defaultValue = "192", paramLabel = "DIM",
            description = "Feature width (default: ${DEFAULT-VALUE}).")
    int dim;

    EvalBenchmark() {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new EvalBenchmark()).execute(args));
    }

    @Override
    public Integer call() {
        if (nTrain < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "N_TRAIN: expected 1 or more, got " + nTrain);
        }
        if (nTest < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "N_TEST: expected 1 or more, got " + nTest);
        }
        if (dim < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "DIM: expected 1 or more, got " + dim);
        }
        int classes = 10;
        Random rng = new Random(1);
        float[][] centres = new float[classes][dim];
        for (float[] c : centres) {
            for (int j = 0; j < dim; j++) {
                c[j] = (float) (0.25 * rng.nextGaussian());
            }
        }
        int[] yTrain = new int[nTrain];
        int[] yTest = new int[nTest];
        float[][] xTrain = sample(centres, yTrain, rng);
        float[][] xTest = sample(centres, yTest, rng);
        System.out.printf("features: train %d x %d, test %d, %d classes, %d threads%n", nTrain, dim, nTest, classes,
                java.util.concurrent.ForkJoinPool.commonPool().getParallelism());
        long t0 = System.nanoTime();
        long c0 = cpuNanos();
        LinearProbe.Result probe = LinearProbe.run(xTrain, yTrain, xTest, yTest, LinearProbe.Options.defaults());
        double probeS = (System.nanoTime() - t0) / 1e9;
        double probeCpu = (cpuNanos() - c0) / 1e9;
        System.out.print(LinearProbe.gridTable(probe));
        t0 = System.nanoTime();
        c0 = cpuNanos();
        double knn = Knn.evaluate(xTrain, yTrain, xTest, yTest, Knn.DEFAULT_K, Knn.DEFAULT_TEMPERATURE,
                InnerProductSearch.FACTORY);
        double knnS = (System.nanoTime() - t0) / 1e9;
        double knnCpu = (cpuNanos() - c0) / 1e9;
        // CPU seconds are reported too: on a shared machine wall time depends on the other load
        System.out.printf("timing: linear probe %.1f s wall / %.1f s CPU (top-1 %.4f), kNN %.1f s wall / %.1f s CPU"
                + " (top-1 %.4f)%n", probeS, probeCpu, probe.testTop1(), knnS, knnCpu, knn);
        return 0;
    }

    private static long cpuNanos() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : System.nanoTime();
    }

    private static float[][] sample(float[][] centres, int[] labels, Random rng) {
        int dim = centres[0].length;
        float[][] x = new float[labels.length][dim];
        for (int i = 0; i < labels.length; i++) {
            int c = rng.nextInt(centres.length);
            labels[i] = c;
            for (int j = 0; j < dim; j++) {
                x[i][j] = centres[c][j] + (float) rng.nextGaussian();
            }
        }
        return x;
    }
}
