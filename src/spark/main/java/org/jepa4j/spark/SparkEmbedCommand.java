package org.jepa4j.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.jepa4j.data.BoundedImageDecoder;
import org.jepa4j.infer.ExtractorOptions;
import org.jepa4j.infer.FeatureExtractor;
import org.jepa4j.infer.FeatureKind;
import org.jepa4j.io.Bounds;
import org.jepa4j.provenance.Version;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code jepa4j spark-embed}: features of an image collection with Apache Spark, written as Parquet
 * (or JSON, CSV) by Spark's writers. Without {@code --master} it runs an embedded {@code local[*]}
 * session in this process; with one (or under {@code spark-submit}, which sets {@code spark.master})
 * it runs on that cluster, shipping the model with {@code spark.files} and this job jar with
 * {@code spark.jars}. Every problem with the arguments is found before Spark starts: one
 * {@code error:} line and exit code 2, nothing written.
 */
@Command(name = "spark-embed", mixinStandardHelpOptions = true, versionProvider = SparkEmbedCommand.VersionLine.class,
        description = "Compute features of an image collection on Apache Spark with an exported ONNX encoder and write"
                + " one row per image (path, label, feature, embedding, model_id, error).")
public final class SparkEmbedCommand implements Callable<Integer> {
    /** Most images in one Spark task (a task's rows are held until it ends). */
    static final int MAX_IMAGES_PER_PARTITION = 1_000_000;

    /** Images per partition unless told otherwise: a few seconds of work per task on one core. */
    public static final int DEFAULT_IMAGES_PER_PARTITION = 512;
    /** Failures printed by name at the end; all of them are in the output's error column. */
    static final int FAILURES_SHOWN = 10;

    @Option(names = "--model", required = true, paramLabel = "FILE", description = "Exported encoder, e.g. encoder.onnx"
            + " (an encoder.onnx.data beside it is shipped too).")
    Path model;

    @Option(names = "--input", required = true, paramLabel = "DIR|GLOB|LIST.txt",
            description = "Images: a folder (read recursively; labels from class folders), a glob, or a .txt file with"
                    + " one path per line. Local paths or Hadoop URIs (hdfs://, s3a://).")
    String input;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder (Spark's layout, _SUCCESS when complete).")
    String out;

    @Option(names = "--feature", defaultValue = "pooled", paramLabel = "pooled|pooled_last4|pooled_grid|last_hidden_state",
            description = "Feature to write (default: ${DEFAULT-VALUE}).")
    String feature;

    @Option(names = "--format", defaultValue = "parquet", paramLabel = "parquet|json|csv",
            description = "Output format, Spark's own writers (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--master", paramLabel = "URL", description = "local[*], local[N], spark://HOST:PORT, yarn or"
            + " k8s://...; default: the one spark-submit set, else an embedded local[*] session.")
    String master;

    @Option(names = "--batch", defaultValue = "32", paramLabel = "N", description = "Images per ONNX Runtime call (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--mode", defaultValue = "errorifexists", paramLabel = "errorifexists|overwrite",
            description = "When --out exists: refuse, or replace it once the new output is complete (default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--images-per-partition", defaultValue = "" + DEFAULT_IMAGES_PER_PARTITION, paramLabel = "N",
            description = "Images per Spark task (default: ${DEFAULT-VALUE}); partitions are sized by image count, not by bytes.")
    int imagesPerPartition;

    @Option(names = "--max-pixels", defaultValue = "" + BoundedImageDecoder.DEFAULT_MAX_PIXELS, paramLabel = "N",
            description = "Largest width*height decoded, checked from the header first (default: ${DEFAULT-VALUE}, as serve).")
    long maxPixels;

    @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "A Spark setting (repeatable), e.g. --conf spark.executor.memory=4g.")
    List<String> conf = new ArrayList<>();

    private final PrintStream err;

    SparkEmbedCommand(PrintStream err) {
        this.err = err;
    }

    static final class VersionLine implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"jepa4j " + Version.current() + " spark-embed", "Spark " + org.apache.spark.package$.MODULE$.SPARK_VERSION(),
                    "Java " + System.getProperty("java.version")};
        }
    }

    /** What the driver checked before Spark starts. */
    private record Plan(EmbedOptions options, int dimension, InputListing listing, OutputFormat format,
                        OutputCommit commit, Map<String, String> settings) {
    }

    @Override
    public Integer call() throws IOException {
        Plan plan = plan();
        SparkConf sc = sparkConf(plan.settings());
        ModelShipping.ship(sc, model);
        long started = System.nanoTime();
        SparkSession spark = SparkSession.builder().config(sc).getOrCreate();
        try {
            return run(spark, plan, started);
        } finally {
            spark.stop();
        }
    }

    /** Validates every argument and the model, lists the input, checks the output: nothing starts or is written. */
    private Plan plan() throws IOException {
        if (master != null) {
            SparkMaster.check(master);
        }
        if (batch < 1) {
            throw new IllegalArgumentException("--batch " + batch + ": expected a positive number of images");
        }
        if (imagesPerPartition < 1) {
            throw new IllegalArgumentException("--images-per-partition " + imagesPerPartition + ": expected a positive number");
        }
        Bounds.atMost("--batch", batch, Bounds.MAX_BATCH, "images per batch");
        Bounds.atMost("--images-per-partition", imagesPerPartition, MAX_IMAGES_PER_PARTITION, "images per partition");
        FeatureKind kind = FeatureKind.parse(feature);
        OutputFormat fmt = OutputFormat.parse(format);
        OutputCommit.Mode m = OutputCommit.Mode.parse(mode);
        Map<String, String> settings = new LinkedHashMap<>();
        for (String kv : conf) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--conf " + kv + ": expected KEY=VALUE");
            }
            settings.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
        }
        if (!Files.exists(model)) {
            throw new IllegalArgumentException("--model " + model + ": no such file (expected an exported encoder, e.g. encoder.onnx)");
        }
        String modelId;
        int dimension;
        try (FeatureExtractor fx = FeatureExtractor.open(model, ExtractorOptions.builder().feature(kind).intraOpThreads(1)
                .lanes(1).build())) {
            modelId = fx.info().modelId();
            dimension = fx.info().dimension();
            // every executor core holds a batch of pixels and its features
            Bounds.batchFitsTheHeap("--batch", batch, 4L * (dimension + (long) fx.info().channels()
                    * fx.info().imageSize() * fx.info().imageSize()));
        } catch (IOException e) {
            throw new IllegalArgumentException("--model " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--model " + e.getMessage(), e);
        }
        Configuration hadoop = new Configuration();
        OutputCommit commit = new OutputCommit(out, m, hadoop);
        commit.check();
        InputListing listing = InputListing.of(input, hadoop);
        commit.requireApartFrom(input, listing, model);
        EmbedOptions options = new EmbedOptions(model.getFileName().toString(), modelId, kind, batch, maxPixels,
                listing.labelRoot());
        return new Plan(options, dimension, listing, fmt, commit, settings);
    }

    private SparkConf sparkConf(Map<String, String> settings) {
        SparkConf sc = new SparkConf().setAppName("jepa4j spark-embed");
        boolean submitted = sc.contains("spark.master"); // spark-submit passes its settings as system properties
        String chosen = master != null ? master : submitted ? sc.get("spark.master") : "local[*]";
        sc.setMaster(chosen);
        if (chosen.startsWith("local[") || chosen.equals("local")) {
            // the embedded session: loopback only, no web UI; heartbeats (which carry running tasks' counts to
            // the progress line) stay inside this process, so they can be frequent
            sc.setIfMissing("spark.driver.host", "127.0.0.1").setIfMissing("spark.driver.bindAddress", "127.0.0.1")
                    .setIfMissing("spark.ui.enabled", "false").setIfMissing("spark.executor.heartbeatInterval", "2s");
        } else if (!submitted) {
            // a cluster master given to the embedded driver: executors need this job jar
            String jar = jobJar();
            if (jar == null && !settings.containsKey("spark.jars")) {
                throw new IllegalArgumentException("--master " + chosen + ": this process does not run from the job jar"
                        + " (src/spark/target/jepa4j-spark-job.jar), which executors must load; run tools/jepa4j spark-embed,"
                        + " spark-submit the job jar, or name the jars with --conf spark.jars=...");
            }
            if (jar != null) {
                String jars = sc.get("spark.jars", "");
                sc.set("spark.jars", jars.isBlank() ? jar : jars + "," + jar);
            }
        }
        settings.forEach(sc::set);
        return sc;
    }

    /** The jar this class was loaded from, when it is one. */
    static String jobJar() {
        try {
            var src = SparkEmbedCommand.class.getProtectionDomain().getCodeSource();
            if (src == null) {
                return null;
            }
            Path p = Path.of(src.getLocation().toURI());
            return Files.isRegularFile(p) && p.toString().endsWith(".jar") ? p.toString() : null;
        } catch (URISyntaxException | SecurityException e) {
            return null;
        }
    }

    private int run(SparkSession spark, Plan plan, long started) throws IOException {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<String> paths = plan.listing().paths();
        int n = paths.size();
        int partitions = partitionsFor(n, imagesPerPartition, jsc.defaultParallelism());
        JavaRDD<Row> rows = jsc.parallelize(paths, partitions).map(RowFactory::create);
        StructType schema = new StructType().add(SparkEmbedding.PATH, DataTypes.StringType, false);
        Dataset<Row> images = spark.createDataFrame(rows, schema);
        EmbedCounters counters = EmbedCounters.register(spark.sparkContext());
        Dataset<Row> result = SparkEmbedding.embed(spark, images, plan.options(), counters);
        // start-up: the session and Spark SQL's first plan (several seconds cold), before any image is read
        double startup = (System.nanoTime() - started) / 1e9;
        err.printf(Locale.ROOT, "spark-embed: %d images of %s in %d partitions on %s (Spark %s, started in %.1f s), %s %s"
                        + " (%d values) -> %s (%s)%n", n, input, partitions, spark.sparkContext().master(), spark.version(),
                startup, plan.options().modelId(), plan.options().feature(), plan.dimension(), out, plan.format().source());
        long t0 = System.nanoTime();
        Progress progress = new Progress(n, counters, spark.sparkContext(), err);
        progress.start();
        try {
            plan.commit().write(plan.format().shape(result, plan.dimension()), plan.format());
        } finally {
            progress.stop();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        long embedded = counters.embedded().value();
        long failed = counters.failed().value();
        err.printf(Locale.ROOT, "spark-embed: %d images embedded, %d failed, %d partitions, %.1f s (%.1f images/s), start-up"
                + " %.1f s; wrote %s%n", embedded, failed, partitions, secs, (embedded + failed) / Math.max(secs, 1e-9), startup, out);
        List<String> failures = counters.failureList();
        for (int i = 0; i < Math.min(FAILURES_SHOWN, failures.size()); i++) {
            err.println("failed: " + failures.get(i));
        }
        if (failed > 0) {
            err.println("(every failure is a row of " + out + " with a null embedding and the reason in '" + SparkEmbedding.ERROR + "')");
        }
        return embedded == 0 ? 1 : 0;
    }

    /**
     * Partitions for {@code n} images: {@code imagesPerPartition} images each, but at least one per
     * core ({@code parallelism}) while there are images for it.
     */
    static int partitionsFor(int n, int imagesPerPartition, int parallelism) {
        int byCount = (int) ((n + (long) imagesPerPartition - 1) / imagesPerPartition);
        return Math.max(1, Math.max(byCount, Math.min(n, parallelism)));
    }

    /**
     * A progress line on stderr every two seconds: images done, images/s, ETA. Counts reach the driver
     * as tasks end and, for running tasks, with executor heartbeats ({@link LiveCounts}).
     */
    static final class Progress {
        private final int total;
        private final LiveCounts counts;
        private final org.apache.spark.SparkContext sc;
        private final PrintStream err;
        private final Thread thread;
        private final long start = System.nanoTime();
        private long shown;

        /** @param sc the context to listen to, or null (no updates, only {@link #line}) */
        Progress(int total, EmbedCounters counters, org.apache.spark.SparkContext sc, PrintStream err) {
            this.total = total;
            this.counts = counters == null ? null : new LiveCounts(counters);
            this.sc = sc;
            this.err = err;
            this.thread = new Thread(this::loop, "jepa4j-spark-progress");
            thread.setDaemon(true);
        }

        void start() {
            sc.addSparkListener(counts);
            thread.start();
        }

        void stop() {
            thread.interrupt();
            try {
                thread.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            sc.removeSparkListener(counts);
        }

        private void loop() {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    Thread.sleep(2000);
                    // never backwards (a task's end and its accumulator merge reach the listener apart), never past the total
                    shown = Math.min(total, Math.max(shown, counts.done()));
                    err.println(line(shown, (System.nanoTime() - start) / 1e9));
                }
            } catch (InterruptedException e) {
                // the job ended
            }
        }

        String line(long done, double secs) {
            double rate = done / Math.max(secs, 1e-9);
            long eta = rate > 0 ? Math.round((total - done) / rate) : -1;
            String left = eta < 0 ? "-" : eta >= 3600
                    ? String.format(Locale.ROOT, "%d:%02d:%02d", eta / 3600, eta / 60 % 60, eta % 60)
                    : String.format(Locale.ROOT, "%d:%02d", eta / 60, eta % 60);
            return String.format(Locale.ROOT, "spark-embed: %d/%d images, %.0f images/s, ETA %s", done, total, rate, left);
        }
    }

    /**
     * Runs the command with {@code args}: exit code 0 on success, 2 for a usage or input error, 1 for
     * a failure while running; errors are one {@code error:} line on {@code err}.
     */
    public static int execute(String[] args, PrintStream err) {
        CommandLine cl = new CommandLine(new SparkEmbedCommand(err));
        cl.setErr(new PrintWriter(err, true));
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            boolean usage = ex instanceof IllegalArgumentException;
            String message = ex.getMessage() == null ? ex.getClass().getName() : ex.getMessage();
            err.println("error: " + (usage || ex instanceof IOException ? message : ex.getClass().getName() + ": " + message));
            if ("1".equals(System.getenv("JEPA4J_DEBUG"))) {
                ex.printStackTrace(err);
            }
            return usage ? 2 : 1;
        });
        return cl.execute(args);
    }

    public static void main(String[] args) {
        System.exit(execute(args, System.err));
    }
}
