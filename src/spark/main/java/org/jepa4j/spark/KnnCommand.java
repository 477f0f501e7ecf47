package org.jepa4j.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.jepa4j.eval.InnerProductSearch;
import org.jepa4j.metrics.Knn;
import org.jepa4j.metrics.LinearProbe;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/**
 * {@code jepa4j knn}: kNN (and optionally linear-probe) accuracy of precomputed embeddings, read from
 * {@code spark-embed} outputs (Parquet or JSON) or from {@code jepa4j embed}'s {@code .npy} files,
 * with the same classifiers and settings as {@code jepa4j eval} (DINO's weighted kNN, k 20, T 0.07;
 * the paper's probe grid). Labels are class names; train and test are mapped to class indices
 * together, in sorted order. A Spark output is read with a local Spark session in this process.
 */
@Command(name = "knn", mixinStandardHelpOptions = true,
        description = "kNN and linear-probe accuracy of precomputed embeddings: spark-embed output folders (Parquet, JSON)"
                + " or jepa4j embed .npy files (labels in <F>.labels.npy).")
public final class KnnCommand implements Callable<Integer> {
    @Option(names = "--train", required = true, paramLabel = "DIR|F.npy", description = "Training embeddings.")
    String train;

    @Option(names = "--test", required = true, paramLabel = "DIR|F.npy", description = "Test embeddings.")
    String test;

    @Option(names = "--k", defaultValue = "" + Knn.DEFAULT_K, paramLabel = "N", description = "Neighbours (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--temperature", defaultValue = "" + Knn.DEFAULT_TEMPERATURE, paramLabel = "T",
            description = "Vote temperature (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--probe", description = "Also fit the linear probe (the paper's grid, --epochs per fit).")
    boolean probe;

    @Option(names = "--epochs", defaultValue = "10", paramLabel = "N", description = "Probe SGD epochs per fit (default: ${DEFAULT-VALUE}).")
    int epochs;

    /** Most neighbours: the vote keeps k per test row. */
    static final int MAX_K = 10_000;

    private final PrintStream out;

    KnnCommand(PrintStream out) {
        this.out = out;
    }

    /** Accuracies of one run. */
    record Result(double knnTop1, Double probeTop1, int trainRows, int testRows, List<String> classes) {
    }

    @Override
    public Integer call() throws IOException {
        Result r = evaluate();
        out.printf(Locale.ROOT, "knn: %d train and %d test embeddings, %d classes%n", r.trainRows(), r.testRows(),
                r.classes().size());
        out.println("| classifier | top-1 |");
        out.println("|---|---|");
        out.printf(Locale.ROOT, "| kNN (k %d, T %s) | %.4f |%n", k, temperature, r.knnTop1());
        if (r.probeTop1() != null) {
            out.printf(Locale.ROOT, "| linear probe (%d epochs) | %.4f |%n", epochs, r.probeTop1());
        }
        return 0;
    }

    Result evaluate() throws IOException {
        if (k < 1) {
            throw new IllegalArgumentException("--k " + k + ": expected a positive number of neighbours");
        }
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("--temperature " + temperature + ": expected a positive number");
        }
        if (epochs < 1) {
            throw new IllegalArgumentException("--epochs " + epochs + ": expected a positive number");
        }
        org.jepa4j.io.Bounds.atMost("--epochs", epochs, org.jepa4j.io.Bounds.MAX_EPOCHS, "epochs");
        org.jepa4j.io.Bounds.atMost("--k", k, MAX_K, "neighbours");
        if (!Double.isFinite(temperature)) {
            throw new IllegalArgumentException("--temperature " + temperature + ": expected a finite positive number");
        }
        SparkSession spark = EmbeddingTable.isNpy(train) && EmbeddingTable.isNpy(test) ? null : localSession();
        try {
            EmbeddingTable a = EmbeddingTable.read(train, spark);
            EmbeddingTable b = EmbeddingTable.read(test, spark);
            if (a.modelId() != null && b.modelId() != null && !a.modelId().equals(b.modelId())) {
                throw new IllegalArgumentException("--train " + train + " holds embeddings of " + a.modelId() + ", --test "
                        + test + " of " + b.modelId() + ": expected one model");
            }
            int da = a.features()[0].length;
            int db = b.features()[0].length;
            if (da != db) {
                throw new IllegalArgumentException("--train " + train + " has " + da + " values per image, --test " + test
                        + " has " + db);
            }
            TreeSet<String> names = new TreeSet<>(a.labels());
            names.addAll(b.labels());
            List<String> classes = List.copyOf(names);
            int[] ya = a.indices(classes);
            int[] yb = b.indices(classes);
            double knn = Knn.evaluate(a.features(), ya, b.features(), yb, k, temperature,
                    InnerProductSearch.FACTORY);
            Double probeTop1 = probe ? LinearProbe.run(a.features(), ya, b.features(), yb,
                    LinearProbe.Options.defaults().withEpochs(epochs)).testTop1() : null;
            return new Result(knn, probeTop1, a.features().length, b.features().length, classes);
        } finally {
            if (spark != null) {
                spark.stop();
            }
        }
    }

    private static SparkSession localSession() {
        SparkConf conf = new SparkConf().setAppName("jepa4j knn").setIfMissing("spark.master", "local[*]")
                .setIfMissing("spark.driver.host", "127.0.0.1").setIfMissing("spark.driver.bindAddress", "127.0.0.1")
                .setIfMissing("spark.ui.enabled", "false");
        return SparkSession.builder().config(conf).getOrCreate();
    }

    /** Runs the command: 0 on success, 2 for a usage or input error (one {@code error:} line on {@code err}), 1 otherwise. */
    public static int execute(String[] args, PrintStream out, PrintStream err) {
        CommandLine cl = new CommandLine(new KnnCommand(out));
        cl.setErr(new PrintWriter(err, true));
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            boolean usage = ex instanceof IllegalArgumentException;
            String message = ex.getMessage() == null ? ex.getClass().getName() : ex.getMessage();
            err.println("error: " + (usage || ex instanceof IOException ? message : ex.getClass().getName() + ": " + message));
            return usage ? 2 : 1;
        });
        return cl.execute(args);
    }

    public static void main(String[] args) {
        System.exit(execute(args, System.out, System.err));
    }
}
