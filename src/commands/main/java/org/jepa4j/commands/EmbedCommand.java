package org.jepa4j.commands;

import org.jepa4j.data.ImageDataset;
import org.jepa4j.data.ImageSources;
import org.jepa4j.data.Split;
import org.jepa4j.infer.DatasetFeatures;
import org.jepa4j.infer.ExtractorOptions;
import org.jepa4j.infer.FeatureExtractor;
import org.jepa4j.infer.FeatureKind;
import org.jepa4j.infer.ProgressBar;
import org.jepa4j.io.AtomicFiles;
import org.jepa4j.tensor.Npy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code jepa4j embed}: features of a data source from an exported ONNX encoder. */
@Command(name = "embed", mixinStandardHelpOptions = true,
        description = "Compute features of a data source with an exported ONNX encoder (ONNX Runtime) and write"
                + " them as .npy (float32 [N,D], labels in <out>.labels.npy) or .csv.")
public final class EmbedCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "FILE", description = "Exported encoder, e.g. encoder.onnx.")
    Path model;

    @Option(names = "--data", required = true, paramLabel = "SPEC",
            description = "Data source: fashion-mnist, idx:IMAGES[,LABELS], folder:DIR, synthetic[:k=v,...].")
    String data;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Output .npy or .csv file.")
    Path out;

    @Option(names = "--split", defaultValue = "train", paramLabel = "train|test", description = "Split (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--feature", defaultValue = "pooled", paramLabel = "pooled|pooled_last4|last_hidden_state|pooled_grid",
            description = "Feature to write (default: ${DEFAULT-VALUE}).")
    String feature;

    @Option(names = "--batch-size", defaultValue = "64", description = "Images per ONNX Runtime call (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--limit", defaultValue = "0", description = "Only the first N images (0 = all).")
    int limit;

    @Option(names = "--provider", defaultValue = "cpu", paramLabel = "cpu|cuda|tensorrt|auto",
            description = "ONNX Runtime execution provider (default: ${DEFAULT-VALUE}).")
    String provider;

    @Option(names = "--force", description = "Write --out even when its name ends neither in .npy nor .csv (as .npy);"
            + " the model is never overwritten.")
    boolean force;

    @Mixin
    OnnxRuntimeThreadOptions runtime;

    @Override
    public Integer call() throws IOException {
        org.jepa4j.io.Bounds.atMost("--batch-size", batchSize, org.jepa4j.io.Bounds.MAX_BATCH, "images per batch");
        org.jepa4j.io.Bounds.zeroOrAtMost("--limit", limit, Integer.MAX_VALUE - 8, "images");
        runtime.check();
        String ext = out.getFileName().toString().toLowerCase(Locale.ROOT);
        var inputs = OutputChecks.inputs(OutputChecks.modelInputs("--model", model), OutputChecks.dataInputs("--data", data));
        boolean csv = ext.endsWith(".csv");
        OutputChecks.checkFile("--out", out, List.of(".npy", ".csv"), force, inputs,
                csv ? "a feature CSV written by embed" : "a .npy file", csv ? OutputChecks::isFeatureCsv : OutputChecks::isNpy);
        OutputChecks.checkFile("--out", labelsPath(out), List.of(".npy"), true, inputs, "a .npy file", OutputChecks::isNpy);
        ExtractorOptions options = runtime.applyTo(ExtractorOptions.builder(), OnnxRuntimeThreadOptions.onePerProcessor())
                .feature(FeatureKind.parse(feature))
                .provider(org.jepa4j.infer.ExecutionProvider.parse(provider))
                .build();
        ImageDataset source = ImageSources.open(data, parseSplit(split));
        int n = limit == 0 ? source.size() : Math.min(limit, source.size());
        try (FeatureExtractor fx = FeatureExtractor.open(model, options)) {
            int d = fx.info().dimension();
            org.jepa4j.io.Bounds.batchFitsTheHeap("--batch-size", batchSize, 4L * (d + (long) fx.info().channels()
                    * fx.info().imageSize() * fx.info().imageSize()));
            System.err.printf(Locale.ROOT, "embedding %d images of %s with %s (%s, %d values, provider %s, %d lane%s)%n",
                    n, source.description(), fx.info().modelId(), fx.info().feature(), d, fx.info().provider().label(),
                    fx.lanes(), fx.lanes() == 1 ? "" : "s");
            if ((long) n * d > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException(n + " images x " + d + " values of " + fx.info().feature()
                        + " do not fit one array (at most " + (Integer.MAX_VALUE - 8) + " values): use --limit");
            }
            float[] features = new float[n * d];
            long[] labels = new long[n];
            ProgressBar progress = new ProgressBar(n, System.err);
            int written = 0; // rows so far: unreadable images are left out
            List<String> skipped = new ArrayList<>();
            for (int start = 0; start < n; start += batchSize) {
                int end = Math.min(n, start + batchSize);
                DatasetFeatures.Slice slice = DatasetFeatures.read(source, start, end, (e, i) -> skipped.add(
                        e.file() == null ? "image " + i : e.file().toString()));
                if (!slice.isEmpty()) {
                    float[][] rows = DatasetFeatures.embed(fx, source, slice.images(), slice.indices());
                    for (int i = 0; i < rows.length; i++) {
                        System.arraycopy(rows[i], 0, features, (written + i) * d, d);
                        labels[written + i] = source.label(slice.indices().get(i));
                    }
                    written += rows.length;
                }
                progress.update(end);
            }
            progress.finish();
            if (written == 0) {
                throw new IllegalArgumentException("--data " + data + ": none of its " + n
                        + " images is readable (first: " + (skipped.isEmpty() ? "-" : skipped.get(0)) + ")");
            }
            if (!skipped.isEmpty()) {
                System.err.printf(Locale.ROOT, "skipped %d unreadable image%s of %d (first: %s); the output has %d"
                        + " rows, in dataset order without them%n", skipped.size(), skipped.size() == 1 ? "" : "s", n,
                        skipped.get(0), written);
                features = java.util.Arrays.copyOf(features, written * d);
                labels = java.util.Arrays.copyOf(labels, written);
                n = written;
            }
            boolean labelled = source.labelled();
            if (ext.endsWith(".npy")) {
                Npy.writeFloats(out, new long[] {n, d}, features);
                if (labelled) {
                    Npy.writeLongs(labelsPath(out), new long[] {n}, labels);
                }
            } else {
                writeCsv(out, features, n, d, labelled ? labels : null);
            }
            System.err.printf(Locale.ROOT, "wrote %s [%d, %d]%s%n", out, n, d,
                    labelled && ext.endsWith(".npy") ? " and " + labelsPath(out) : "");
        }
        return 0;
    }

    static Split parseSplit(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "train" -> Split.TRAIN;
            case "test" -> Split.TEST;
            default -> throw new IllegalArgumentException("--split " + s + ": expected train or test");
        };
    }

    /** Labels beside the features: {@code feats.npy -> feats.labels.npy}. */
    static Path labelsPath(Path out) {
        String name = out.getFileName().toString();
        String stem = name.toLowerCase(Locale.ROOT).endsWith(".npy") ? name.substring(0, name.length() - 4) : name;
        return out.resolveSibling(stem + ".labels.npy");
    }

    static void writeCsv(Path file, float[] features, int n, int d, long[] labels) throws IOException {
        AtomicFiles.writePath(file, tmp -> {
            try (BufferedWriter w = Files.newBufferedWriter(tmp)) {
                StringBuilder header = new StringBuilder(labels != null ? "label" : "");
                for (int j = 0; j < d; j++) {
                    header.append(header.length() > 0 ? "," : "").append('f').append(j);
                }
                w.write(header.toString());
                w.newLine();
                for (int i = 0; i < n; i++) {
                    StringBuilder row = new StringBuilder();
                    if (labels != null) {
                        row.append(labels[i]);
                    }
                    for (int j = 0; j < d; j++) {
                        if (row.length() > 0 || j > 0) {
                            row.append(',');
                        }
                        row.append(features[i * d + j]);
                    }
                    w.write(row.toString());
                    w.newLine();
                }
            }
        });
    }

}
