package org.jepa4j.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.export.EncoderOnnxGraph;
import org.jepa4j.export.OnnxExporter;
import org.jepa4j.export.OnnxInitializers;
import org.jepa4j.infer.ExtractorOptions;
import org.jepa4j.infer.FeatureExtractor;
import org.jepa4j.infer.FeatureKind;
import org.jepa4j.infer.internal.BatchLanes;
import org.jepa4j.metadata.OnnxMetadata;
import org.jepa4j.model.EncoderSpec;
import org.jepa4j.model.ModelSpec;
import org.jepa4j.tensor.NamedTensors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * {@code tools/bench-infer}: encoder throughput (images/s, model only, preprocessing excluded) of
 * ONNX Runtime Java on an exported model and, in the same run, of the TensorFlow Java forward
 * ({@code model.EncoderGraph}) on the same weights (read from the model's initializers, or from
 * {@code --checkpoint}). Both fetch all three outputs. With {@code --feature F}, two more rows per
 * lane count: a session run fetching F's own output only (the extractor's path before batch
 * invariance) and {@link FeatureExtractor} returning F (the batch-invariant path), the cost of
 * invariance side by side. Lives in {@code export}, not {@code infer},
 * because it uses TensorFlow.
 */
@Command(name = "bench-infer", mixinStandardHelpOptions = true,
        description = "Images/s of ONNX Runtime vs the TensorFlow forward of the same encoder weights.")
public final class InferenceBenchmark implements Callable<Integer> {

    @Option(names = "--model", paramLabel = "FILE", description = "Exported encoder (.onnx); or --random-init.")
    Path model;

    @Option(names = "--random-init", paramLabel = "CONFIG",
            description = "Instead of --model: the model of this run config or preset (e.g. models/vit_huge) at its"
                    + " initial weights, exported as float32 (measured as --model) and int8 (compared) into --work.")
    String randomInit;

    @Option(names = "--work", defaultValue = "target/bench-infer", paramLabel = "DIR",
            description = "Folder of the --random-init checkpoint and exports, reused when present (default: ${DEFAULT-VALUE}).")
    Path work;

    @Option(names = "--checkpoint", paramLabel = "RUN_DIR|CKPT",
            description = "Take the TensorFlow weights from this checkpoint instead of the model's initializers.")
    Path checkpoint;

    @Option(names = "--encoder", defaultValue = "target", description = "Checkpoint encoder for --checkpoint (default: ${DEFAULT-VALUE}).")
    String encoder;

    @Option(names = "--batches", defaultValue = "1,8,64", split = ",", description = "Batch sizes (default: ${DEFAULT-VALUE}).")
    List<Integer> batches;

    @Option(names = "--seconds", defaultValue = "3", description = "Measured seconds per cell, after warm-up (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--rounds", defaultValue = "6",
            description = "Turns each engine takes per batch size, --seconds/--rounds each (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--threads", defaultValue = "0",
            description = "Intra-op threads for both back ends (0 = one per processor for ONNX Runtime, TensorFlow's default for TensorFlow).")
    int threads;

    @Option(names = "--lanes", split = ",", paramLabel = "N",
            description = "ONNX Runtime rows to measure, one per lane count: each batch cut into slices run by N"
                    + " workers side by side, each with processors/N intra-op threads unless --threads is given"
                    + " (see ExtractorOptions.lanes; default: 1 and the number of processors).")
    List<Integer> lanes;

    @Option(names = "--spinning", description = "Let ONNX Runtime's idle threads spin (off by default).")
    boolean spinning;

    @Option(names = "--feature", paramLabel = "FEATURE",
            description = "Also measure, per lane count, FeatureExtractor returning this feature (batch-invariant)"
                    + " next to a session run that fetches the feature's own output only (the extractor's path before"
                    + " batch invariance): pooled, pooled_last4, last_hidden_state, pooled_grid.")
    String feature;

    @Option(names = "--no-tensorflow", description = "Leave out the TensorFlow forward.")
    boolean noTensorFlow;

    @Option(names = "--compare", paramLabel = "FILE", description = "Another export of the same encoder (e.g."
            + " `export --precision int8`), measured side by side with --model at every lane count (repeatable);"
            + " its images/s ratio to --model is printed, with ONNX Runtime's fp32 and int8 matrix rates.")
    List<Path> compare = new ArrayList<>();

    /** Row name of the TensorFlow forward, the denominator of the ratio lines (null without it). */
    private String tensorFlowRow;

    /** One engine under test. */
    interface Backend extends AutoCloseable {
        String name();

        /** Runs the encoder on {@code pixels [batch, C, S, S]}, fetching all outputs. */
        void forward(float[] pixels, int batch) throws Exception;

        @Override
        void close() throws Exception;
    }

    @Override
    public Integer call() throws Exception {
        List<Integer> laneCounts = laneCounts();
        if (rounds < 1 || !(seconds > 0)) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--rounds and --seconds: expected positive values, got " + rounds + " and " + seconds);
        }
        if ((model == null) == (randomInit == null)) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "give either --model FILE or --random-init CONFIG (exactly one)");
        }
        checkBeforeMeasuring();
        if (randomInit != null) {
            RandomInitExports.Exports made = RandomInitExports.create(randomInit, work, System.out);
            model = made.fp32();
            compare.add(0, made.int8());
        }
        ModelSpec spec = modelSpec();
        EncoderSpec e = spec.encoder();
        // the TensorFlow forward's weights (an int8 export has no float32 Linear weights to give)
        NamedTensors weights = noTensorFlow ? null : checkpoint != null
                ? Checkpoint.read(checkpoint).part(OnnxExporter.Encoder.parse(encoder).prefix())
                : OnnxInitializers.readEncoderWeights(model);
        System.out.printf(Locale.ROOT, "encoder %dx%dx%d patch %d width %d depth %d heads %d; threads %s; %s per cell in %d turns%n",
                e.channels(), e.imageSize(), e.imageSize(), e.patchSize(), e.width(), e.depth(), e.heads(),
                threads == 0 ? "default" : Integer.toString(threads), seconds + " s", rounds);
        Map<String, Map<Integer, double[]>> rates = new LinkedHashMap<>();
        List<Backend> backends = new ArrayList<>();
        try {
            for (int n : laneCounts) {
                backends.add(new OrtBackend(model, threads, spinning, n, null));
                for (Path other : compare) {
                    backends.add(new OrtBackend(other, threads, spinning, n, null, label(other)));
                }
                if (feature != null) {
                    FeatureKind k = FeatureKind.parse(feature);
                    backends.add(new OrtBackend(model, threads, spinning, n, k.source().outputName()));
                    backends.add(new ExtractorBackend(model, k, threads, spinning, n));
                }
            }
            Backend tf = noTensorFlow ? null : TensorFlowBackends.create(e, weights, threads);
            if (tf != null) {
                backends.add(tf);
                tensorFlowRow = tf.name();
            } else if (!noTensorFlow) {
                System.out.println("TensorFlow forward (model.EncoderGraph) is not in this build: ONNX Runtime only");
            }
            Random r = new Random(0);
            // engines take turns per batch size, --rounds times each, so that a change in the load
            // of a shared machine hits them alike
            for (int batch : batches) {
                float[] px = new float[batch * e.channels() * e.imageSize() * e.imageSize()];
                for (int i = 0; i < px.length; i++) {
                    px[i] = (float) r.nextGaussian();
                }
                for (Backend b : backends) {
                    warmUp(b, px, batch, Math.min(1.0, seconds / 3));
                }
                for (int round = 0; round < rounds; round++) {
                    for (Backend b : backends) {
                        double[] m = measure(b, px, batch, seconds / rounds);
                        double[] acc = rates.computeIfAbsent(b.name(), k -> new LinkedHashMap<>())
                                .computeIfAbsent(batch, k -> new double[3]);
                        for (int i = 0; i < 3; i++) {
                            acc[i] += m[i];
                        }
                    }
                }
            }
        } finally {
            for (Backend b : backends) {
                b.close();
            }
        }
        print(rates);
        if (!compare.isEmpty()) {
            printComparison(rates, laneCounts);
        }
        return 0;
    }

    /** Refuses, by name, what would otherwise fail after minutes of measuring or deep inside ONNX Runtime. */
    private void checkBeforeMeasuring() {
        for (int b : batches) {
            if (b < 1) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--batches: expected sizes >= 1, got " + b);
            }
        }
        List<Map.Entry<String, Path>> files = new ArrayList<>();
        if (model != null) {
            files.add(Map.entry("--model", model));
        }
        compare.forEach(c -> files.add(Map.entry("--compare", c)));
        if (checkpoint != null) {
            files.add(Map.entry("--checkpoint", checkpoint));
        }
        for (Map.Entry<String, Path> f : files) {
            if (!java.nio.file.Files.exists(f.getValue())) {
                throw new CommandLine.ParameterException(new CommandLine(this), f.getKey() + " " + f.getValue()
                        + ": no such file");
            }
        }
        if (randomInit != null) {
            try {
                org.jepa4j.config.RunConfigLoader.resolve(randomInit, List.of());
            } catch (org.jepa4j.config.ConfigException e) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--random-init " + e.getMessage());
            }
        }
    }

    /** Row label of a compared export: its precision and file name. */
    private static String label(Path model) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(model.toString(), new OrtSession.SessionOptions())) {
            return OnnxMetadata.precision(s.getMetadata().getCustomMetadata()) + " " + model.getFileName();
        }
    }

    /** Each compared export's images/s over --model's at the same lane count, and the hardware's matrix rates. */
    private void printComparison(Map<String, Map<Integer, double[]>> cells, List<Integer> laneCounts) throws Exception {
        System.out.println();
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-40s", "images/s ratio to --model "
                + label(model).split(" ")[0]));
        for (int batch : batches) {
            header.append(String.format(Locale.ROOT, "%12s", "batch " + batch));
        }
        System.out.println(header);
        for (int n : laneCounts) {
            String base = n == 1 ? OrtBackend.NAME : OrtBackend.NAME + ", " + n + " lanes";
            for (Path other : compare) {
                String l = label(other);
                String name = OrtBackend.NAME + " " + l + (n == 1 ? "" : ", " + n + " lanes");
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-40s", l + (n == 1 ? "" : ", " + n + " lanes")));
                for (int batch : batches) {
                    double[] a = cells.get(name).get(batch);
                    double[] b = cells.get(base).get(batch);
                    line.append(String.format(Locale.ROOT, "%11.2fx", (a[0] / a[1]) / (b[0] / b[1])));
                }
                System.out.println(line);
            }
        }
        int t = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        OrtMatrixRate.Rates r = OrtMatrixRate.measure(1024, t);
        System.out.printf(Locale.ROOT, "ONNX Runtime matrix rate, 1024^3, %d thread%s: fp32 MatMul %.1f GFLOP/s,"
                + " int8 MatMulInteger %.1f GOP/s (%.2fx)%n", t, t == 1 ? "" : "s", r.fp32(), r.int8(), r.int8() / r.fp32());
    }

    /** {@code --lanes}, or 1 and the number of processors (once on a one-processor host). */
    private List<Integer> laneCounts() {
        List<Integer> counts = lanes != null && !lanes.isEmpty() ? lanes
                : List.of(1, Runtime.getRuntime().availableProcessors());
        for (int n : counts) {
            if (n < 1) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--lanes: expected counts >= 1, got " + n);
            }
        }
        return counts.stream().distinct().toList();
    }

    /** Forwards for about {@code secs} seconds (at least one), not measured. */
    private static void warmUp(Backend b, float[] px, int batch, double secs) throws Exception {
        long warmEnd = System.nanoTime() + (long) (secs * 1e9);
        do {
            b.forward(px, batch);
        } while (System.nanoTime() < warmEnd);
    }

    /**
     * Images, wall seconds and process CPU seconds of forwards over about {@code secs} seconds (at
     * least one), after one unmeasured forward that brings this engine's data back into the caches.
     */
    private static double[] measure(Backend b, float[] px, int batch, double secs) throws Exception {
        b.forward(px, batch);
        long cpu0 = processCpuNanos();
        long start = System.nanoTime();
        long images = 0;
        long end = start + (long) (secs * 1e9);
        do {
            b.forward(px, batch);
            images += batch;
        } while (System.nanoTime() < end);
        return new double[] {images, (System.nanoTime() - start) / 1e9, (processCpuNanos() - cpu0) / 1e9};
    }

    /** CPU time of the whole process (all native threads too), ns. */
    private static long processCpuNanos() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return 0;
    }

    private void print(Map<String, Map<Integer, double[]>> cells) {
        Map<String, Map<Integer, Double>> rates = new LinkedHashMap<>();
        Map<String, Map<Integer, Double>> cpu = new LinkedHashMap<>();
        cells.forEach((name, row) -> row.forEach((batch, m) -> {
            rates.computeIfAbsent(name, k -> new LinkedHashMap<>()).put(batch, m[0] / m[1]);
            cpu.computeIfAbsent(name, k -> new LinkedHashMap<>()).put(batch, 1e3 * m[2] / m[0]);
        }));
        table("images/s (wall)", rates, "%12.4g"); // 4 significant digits: a ViT-H/14 does a fraction of an image per second
        System.out.println();
        table("process CPU ms/image", cpu, "%12.3f");
    }

    private void table(String title, Map<String, Map<Integer, Double>> rates, String cell) {
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-40s", title));
        for (int batch : batches) {
            header.append(String.format(Locale.ROOT, "%12s", "batch " + batch));
        }
        System.out.println(header);
        rates.forEach((name, row) -> {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-40s", name));
            for (int batch : batches) {
                line.append(String.format(Locale.ROOT, cell, row.get(batch)));
            }
            System.out.println(line);
        });
        Map<Integer, Double> tf = rates.get(tensorFlowRow);
        if (tf == null) {
            return;
        }
        rates.forEach((name, row) -> {
            if (name.equals(tensorFlowRow) || !name.startsWith(OrtBackend.NAME)) {
                return;
            }
            String label = feature == null && rates.size() == 2 ? "speed ratio ORT/TF"
                    : "ORT/TF" + (name.equals(OrtBackend.NAME) ? ", 1 lane" : name.replace(OrtBackend.NAME, ""));
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-40s", label));
            for (int batch : batches) {
                double ratio = row.get(batch) / tf.get(batch);
                line.append(String.format(Locale.ROOT, "%11.2fx", title.startsWith("images") ? ratio : 1 / ratio));
            }
            System.out.println(line);
        });
    }

    private ModelSpec modelSpec() throws IOException, OrtException {
        if (checkpoint != null) {
            return Checkpoint.read(checkpoint).modelSpec();
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(model.toString(), new OrtSession.SessionOptions())) {
            String json = s.getMetadata().getCustomMetadata().get(OnnxMetadata.MODEL);
            if (json == null) {
                throw new IllegalArgumentException(model + ": no " + OnnxMetadata.MODEL
                        + " metadata (not a jepa4j export); pass --checkpoint");
            }
            return new com.fasterxml.jackson.databind.ObjectMapper().readValue(json, ModelSpec.class);
        }
    }

    /**
     * ONNX Runtime on the exported file (all graph optimisations), all outputs fetched, spinning off
     * unless asked; batches cut into slices run by {@code lanes} workers as {@code FeatureExtractor} does.
     */
    static final class OrtBackend implements Backend {
        static final String NAME = "ONNX Runtime (Java)";
        private final OrtEnvironment env = OrtEnvironment.getEnvironment();
        private final OrtSession session;
        private final long[] shape;
        private final BatchLanes lanes;
        private final int imageLength;
        /** The one output fetched, or null for all. */
        private final String output;

        /** Row name prefix: {@link #NAME}, plus the export's label when it is not --model. */
        private final String title;

        OrtBackend(Path model, int threads, boolean spinning, int lanes, String output) throws OrtException {
            this(model, threads, spinning, lanes, output, null);
        }

        OrtBackend(Path model, int threads, boolean spinning, int lanes, String output, String label) throws OrtException {
            this.output = output;
            this.title = label == null ? NAME : NAME + " " + label;
            try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
                o.setIntraOpNumThreads(org.jepa4j.infer.FeatureExtractor.intraOpThreads(threads, lanes));
                o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                o.addConfigEntry("session.intra_op.allow_spinning", spinning ? "1" : "0");
                session = env.createSession(model.toString(), o);
            }
            long[] in = ((ai.onnxruntime.TensorInfo) session.getInputInfo().get(EncoderOnnxGraph.INPUT).getInfo()).getShape();
            shape = in.clone();
            imageLength = Math.toIntExact(shape[1] * shape[2] * shape[3]);
            this.lanes = new BatchLanes(lanes);
        }

        @Override
        public String name() {
            String base = output == null ? title : "session '" + output + "' only";
            return lanes.lanes() == 1 ? base : base + ", " + lanes.lanes() + " lanes";
        }

        @Override
        public void forward(float[] pixels, int batch) {
            lanes.run(batch, (first, size) -> {
                long[] s = shape.clone();
                s[0] = size;
                FloatBuffer slice = FloatBuffer.wrap(pixels, first * imageLength, size * imageLength).slice();
                try (OnnxTensor x = OnnxTensor.createTensor(env, slice, s);
                     OrtSession.Result r = output == null ? session.run(Map.of(EncoderOnnxGraph.INPUT, x))
                             : session.run(Map.of(EncoderOnnxGraph.INPUT, x), java.util.Set.of(output))) {
                    for (var e : r) {
                        ((OnnxTensor) e.getValue()).getFloatBuffer();
                    }
                    return size;
                } catch (OrtException e) {
                    throw new IllegalStateException("ONNX Runtime failed on a batch of " + size + ": " + e.getMessage(), e);
                }
            });
        }

        @Override
        public void close() throws OrtException {
            lanes.close();
            session.close();
        }
    }

    /** {@code FeatureExtractor.embedStacked} of one feature: the library's batch-invariant path. */
    static final class ExtractorBackend implements Backend {
        private final FeatureExtractor fx;
        private final String name;

        ExtractorBackend(Path model, FeatureKind feature, int threads, boolean spinning, int lanes) throws IOException {
            fx = FeatureExtractor.open(model, ExtractorOptions.builder().feature(feature).intraOpThreads(threads)
                    .spinning(spinning).lanes(lanes).build());
            name = "FeatureExtractor " + feature + (lanes == 1 ? "" : ", " + lanes + " lanes");
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void forward(float[] pixels, int batch) {
            fx.embedStacked(pixels, batch);
        }

        @Override
        public void close() {
            fx.close();
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new InferenceBenchmark()).execute(args));
    }
}
