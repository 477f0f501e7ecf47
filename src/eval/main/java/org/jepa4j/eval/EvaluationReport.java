package org.jepa4j.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.jepa4j.io.AtomicFiles;
import org.jepa4j.metrics.LinearProbe;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The outcome of {@code jepa4j eval}: linear-probe and kNN accuracy of each kind of feature
 * (pretrained encoder, random-init encoder, raw pixels) on the same splits, with the data, model
 * and provenance needed to trace it. Written as {@code report.json} and {@code report.md}.
 *
 * @param createdAt    ISO-8601 instant
 * @param jepa4jVersion version of the code that produced it
 * @param data         the splits evaluated
 * @param featureKind  encoder feature used ({@code pooled}, {@code pooled_last4} or {@code pooled_grid})
 * @param model        the pretrained model: id, path, dimension and its ONNX {@code metadata_props}
 * @param provenance   how the evaluation ran (command line, seed, threads, java)
 * @param results      one entry per feature kind, pretrained first
 * @param charts       chart name to file name (relative to the report folder)
 */
public record EvaluationReport(String createdAt, String jepa4jVersion, DataSummary data, String featureKind,
                               Map<String, String> model, Map<String, String> provenance,
                               List<FeatureResult> results, Map<String, String> charts) {

    /** Conventional result names. */
    public static final String PRETRAINED = "pretrained";
    public static final String RANDOM_INIT = "random_init";
    public static final String RAW_PIXELS = "raw_pixels";

    public EvaluationReport {
        model = Map.copyOf(model);
        provenance = Collections.unmodifiableMap(new LinkedHashMap<>(provenance));
        results = List.copyOf(results);
        charts = Collections.unmodifiableMap(new LinkedHashMap<>(charts));
    }

    /**
     * The evaluated splits.
     *
     * @param spec       data source string
     * @param trainSize  training images used (after any limit)
     * @param testSize   test images used (after any limit)
     * @param numClasses number of classes
     * @param classNames class names in label order (may be empty)
     */
    public record DataSummary(String spec, int trainSize, int testSize, int numClasses, List<String> classNames) {
        public DataSummary {
            classNames = List.copyOf(classNames);
        }
    }

    /**
     * kNN outcome.
     *
     * @param k           neighbours
     * @param temperature vote temperature
     * @param top1        test accuracy
     * @param seconds     wall time
     */
    public record KnnResult(int k, double temperature, double top1, double seconds) {
    }

    /**
     * One kind of feature.
     *
     * @param name           {@link #PRETRAINED}, {@link #RANDOM_INIT} or {@link #RAW_PIXELS}
     * @param description    what the features are (model id, pixel transform)
     * @param dim            feature width
     * @param extractSeconds wall time to compute the train and test features
     * @param probe          linear probe outcome
     * @param knn            kNN outcome
     * @param rankMe         RankMe of the test features
     * @param normalisedStd  mean per-dimension std of the L2-normalised test features
     */
    public record FeatureResult(String name, String description, int dim, double extractSeconds,
                                LinearProbe.Result probe, KnnResult knn, double rankMe, double normalisedStd) {
    }

    private static ObjectMapper mapper() {
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }

    /** The report with one more chart entry. */
    public EvaluationReport withChart(String name, String file) {
        Map<String, String> c = new LinkedHashMap<>(charts);
        c.put(name, file);
        return new EvaluationReport(createdAt, jepa4jVersion, data, featureKind, model, provenance, results, c);
    }

    /** Writes {@code report.json} atomically. */
    public void writeJson(Path file) throws IOException {
        byte[] json = mapper().writeValueAsBytes(this);
        AtomicFiles.write(file, out -> out.write(json));
    }

    /** Reads a report written by {@link #writeJson}. */
    public static EvaluationReport readJson(Path file) throws IOException {
        return mapper().readValue(file.toFile(), EvaluationReport.class);
    }

    /** Writes {@code report.md} atomically. */
    public void writeMarkdown(Path file) throws IOException {
        AtomicFiles.writeString(file, toMarkdown());
    }

    /** The report as Markdown: results table, probe grids, data, model metadata, provenance, charts. */
    public String toMarkdown() {
        StringBuilder sb = new StringBuilder("# jepa4j evaluation\n\n");
        sb.append("Data `").append(data.spec()).append("`: ").append(data.trainSize()).append(" training and ")
                .append(data.testSize()).append(" test images, ").append(data.numClasses()).append(" classes.  \n");
        sb.append("Model `").append(model.getOrDefault("model_id", "?")).append("`, feature `").append(featureKind)
                .append("`.  \n");
        sb.append("Created ").append(createdAt).append(" by jepa4j ").append(jepa4jVersion).append(".\n\n");
        KnnResult anyKnn = results.isEmpty() ? null : results.get(0).knn();
        sb.append("| Features | Dim | Linear probe top-1 | kNN top-1");
        if (anyKnn != null) {
            sb.append(" (k=").append(anyKnn.k()).append(", T=").append(anyKnn.temperature()).append(")");
        }
        sb.append(" | RankMe | Normalised std |\n|---|---:|---:|---:|---:|---:|\n");
        for (FeatureResult r : results) {
            sb.append("| ").append(r.name()).append(" | ").append(r.dim()).append(" | ")
                    .append(pct(r.probe().testTop1())).append(" | ").append(pct(r.knn().top1())).append(" | ")
                    .append(fmt("%.1f", r.rankMe())).append(" | ").append(fmt("%.4f", r.normalisedStd()))
                    .append(" |\n");
        }
        sb.append("\n## Linear probe grid\n\n");
        sb.append("SGD with momentum on standardised features; learning rate and weight decay chosen on a "
                + "stratified validation split of the training set, then refitted on all of it.\n\n");
        sb.append("| Features | lr | wd | Validation top-1 | Chosen |\n|---|---:|---:|---:|:---:|\n");
        for (FeatureResult r : results) {
            for (LinearProbe.GridPoint g : r.probe().grid()) {
                boolean chosen = g.learningRate() == r.probe().learningRate()
                        && g.weightDecay() == r.probe().weightDecay();
                sb.append("| ").append(r.name()).append(" | ").append(g.learningRate()).append(" | ")
                        .append(g.weightDecay()).append(" | ").append(pct(g.validationTop1())).append(" | ")
                        .append(chosen ? "*" : "").append(" |\n");
            }
        }
        sb.append("\n## Features\n\n| Features | Description | Extraction s | Probe s | kNN s |\n|---|---|---:|---:|---:|\n");
        for (FeatureResult r : results) {
            sb.append("| ").append(r.name()).append(" | ").append(r.description()).append(" | ")
                    .append(fmt("%.1f", r.extractSeconds())).append(" | ").append(fmt("%.1f", r.probe().seconds()))
                    .append(" | ").append(fmt("%.1f", r.knn().seconds())).append(" |\n");
        }
        if (!data.classNames().isEmpty()) {
            sb.append("\nClasses: ").append(String.join(", ", data.classNames())).append(".\n");
        }
        table(sb, "Model", model);
        table(sb, "Provenance", provenance);
        if (!charts.isEmpty()) {
            sb.append("\n## Charts\n\n");
            charts.forEach((name, f) -> sb.append("![").append(name).append("](").append(f).append(")\n\n"));
        }
        return sb.toString();
    }

    private static void table(StringBuilder sb, String title, Map<String, String> entries) {
        if (entries.isEmpty()) {
            return;
        }
        sb.append("\n## ").append(title).append("\n\n| Key | Value |\n|---|---|\n");
        entries.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> sb.append("| ")
                .append(e.getKey()).append(" | ").append(cell(e.getValue())).append(" |\n"));
    }

    /** A value fit for one Markdown table cell (pipes escaped, newlines flattened, long values cut). */
    private static String cell(String v) {
        String s = v == null ? "" : v.replace("|", "\\|").replace("\r", "").replace("\n", " ");
        return s.length() > 300 ? s.substring(0, 300) + " ..." : s;
    }

    private static String pct(double v) {
        return fmt("%.2f%%", 100 * v);
    }

    private static String fmt(String f, double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, f, v) : "n/a";
    }
}
