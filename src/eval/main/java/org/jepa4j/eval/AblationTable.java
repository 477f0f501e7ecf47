package org.jepa4j.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.jepa4j.io.AtomicFiles;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The outcome of an ablation: for each variant of one base run, the test top-1 of a linear probe
 * and of kNN on each evaluated feature, per seed and as mean and spread over the seeds, beside
 * the paper's figure for that variant; plus the baselines (random-init encoder, raw pixels)
 * evaluated once. Written as Markdown and JSON.
 *
 * @param title      heading of the table
 * @param features   evaluated feature names, in column order ({@code pooled}, {@code last_hidden_state}, ...)
 * @param variants   one row per variant, in run order
 * @param baselines  reference rows evaluated once (name to scores per feature; a feature may be missing)
 * @param provenance how the ablation ran (command, base config, budget, machine, date)
 */
public record AblationTable(String title, List<String> features, List<Variant> variants,
                            Map<String, Map<String, Scores>> baselines, Map<String, String> provenance) {

    public AblationTable {
        features = List.copyOf(features);
        variants = List.copyOf(variants);
        baselines = copyNested(baselines);
        provenance = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(provenance));
    }

    /**
     * Test top-1 accuracies (fractions in [0, 1]) of one evaluation.
     *
     * @param probe linear probe
     * @param knn   kNN
     */
    public record Scores(double probe, double knn) {
    }

    /**
     * One seed of a variant.
     *
     * @param seed     {@code meta.seed} of the run
     * @param features feature name to its scores
     */
    public record SeedResult(long seed, Map<String, Scores> features) {
        public SeedResult {
            features = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(features));
        }
    }

    /**
     * One variant: the config changes it makes to the base run, the paper's figure, its seeds.
     *
     * @param name      short name ({@code multiblock}, {@code pixels}, ...)
     * @param overrides the {@code --set} keys the variant applies on top of the base config
     * @param paper     the paper's result for this variant in words (e.g. {@code 54.2 (Table 6)}), or empty
     * @param seeds     one result per seed
     */
    public record Variant(String name, List<String> overrides, String paper, List<SeedResult> seeds) {
        public Variant {
            overrides = List.copyOf(overrides);
            seeds = List.copyOf(seeds);
        }

        /** Mean and spread over the seeds of one feature's probe ({@code probe = true}) or kNN accuracy. */
        public Summary summary(String feature, boolean probe) {
            List<Double> values = new ArrayList<>();
            for (SeedResult s : seeds) {
                Scores sc = s.features().get(feature);
                if (sc != null) {
                    values.add(probe ? sc.probe() : sc.knn());
                }
            }
            return Summary.of(values);
        }
    }

    /**
     * Mean, sample standard deviation (n − 1; NaN for one value), minimum and maximum of values.
     *
     * @param n number of values (0: every other field NaN)
     */
    public record Summary(int n, double mean, double std, double min, double max) {
        static Summary of(List<Double> values) {
            int n = values.size();
            if (n == 0) {
                return new Summary(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
            }
            double sum = 0;
            double min = Double.POSITIVE_INFINITY;
            double max = Double.NEGATIVE_INFINITY;
            for (double v : values) {
                sum += v;
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            double mean = sum / n;
            double ss = 0;
            for (double v : values) {
                ss += (v - mean) * (v - mean);
            }
            return new Summary(n, mean, n > 1 ? Math.sqrt(ss / (n - 1)) : Double.NaN, min, max);
        }

        /** {@code 84.31 ± 0.42} in percent ({@code 84.31} for one value, {@code –} for none). */
        public String percent() {
            if (n == 0) {
                return "–";
            }
            return n == 1 ? String.format(Locale.ROOT, "%.2f", 100 * mean)
                    : String.format(Locale.ROOT, "%.2f ± %.2f", 100 * mean, 100 * std);
        }
    }

    /** The table as Markdown: one row per variant (mean ± std over seeds), the baselines, then the provenance. */
    public String toMarkdown() {
        StringBuilder sb = new StringBuilder("# ").append(title).append("\n\n");
        sb.append("Top-1 (%) on the held-out split named under evaluation below, mean ± sample standard deviation"
                + " over seeds.\n\n");
        sb.append("| variant | seeds |");
        StringBuilder rule = new StringBuilder("|---|---|");
        for (String f : features) {
            sb.append(' ').append(f).append(" probe | ").append(f).append(" kNN |");
            rule.append("---|---|");
        }
        sb.append(" paper (ImageNet 1 %, linear) | changes |\n").append(rule).append("---|---|\n");
        for (Variant v : variants) {
            sb.append("| ").append(v.name()).append(" | ").append(v.seeds().size()).append(" |");
            for (String f : features) {
                sb.append(' ').append(v.summary(f, true).percent()).append(" | ")
                        .append(v.summary(f, false).percent()).append(" |");
            }
            sb.append(' ').append(v.paper().isEmpty() ? "–" : v.paper()).append(" | ")
                    .append(v.overrides().isEmpty() ? "base config" : "`" + String.join("`, `", v.overrides()) + "`")
                    .append(" |\n");
        }
        for (Map.Entry<String, Map<String, Scores>> b : baselines.entrySet()) {
            sb.append("| ").append(b.getKey()).append(" (baseline) | 1 |");
            for (String f : features) {
                Scores s = b.getValue().get(f);
                sb.append(s == null ? " – | – |" : String.format(Locale.ROOT, " %.2f | %.2f |", 100 * s.probe(),
                        100 * s.knn()));
            }
            sb.append(" – | – |\n");
        }
        sb.append("\nPer seed:\n\n| variant | seed |");
        for (String f : features) {
            sb.append(' ').append(f).append(" probe | ").append(f).append(" kNN |");
        }
        sb.append('\n').append(rule).append('\n');
        for (Variant v : variants) {
            for (SeedResult s : v.seeds()) {
                sb.append("| ").append(v.name()).append(" | ").append(s.seed()).append(" |");
                for (String f : features) {
                    Scores sc = s.features().get(f);
                    sb.append(sc == null ? " – | – |" : String.format(Locale.ROOT, " %.2f | %.2f |", 100 * sc.probe(),
                            100 * sc.knn()));
                }
                sb.append('\n');
            }
        }
        if (!provenance.isEmpty()) {
            sb.append('\n');
            provenance.forEach((k, val) -> sb.append("- ").append(k).append(": ").append(val).append('\n'));
        }
        return sb.toString();
    }

    /** Writes the Markdown table atomically. */
    public void writeMarkdown(Path file) throws IOException {
        AtomicFiles.writeString(file, toMarkdown());
    }

    /** Writes the table, with every seed's scores, as JSON atomically. */
    public void writeJson(Path file) throws IOException {
        byte[] json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(this);
        AtomicFiles.write(file, out -> out.write(json));
    }

    /** Reads a table written by {@link #writeJson}. */
    public static AblationTable readJson(Path file) throws IOException {
        return new ObjectMapper().readValue(file.toFile(), AblationTable.class);
    }

    private static Map<String, Map<String, Scores>> copyNested(Map<String, Map<String, Scores>> m) {
        Map<String, Map<String, Scores>> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, java.util.Collections.unmodifiableMap(new LinkedHashMap<>(v))));
        return java.util.Collections.unmodifiableMap(out);
    }
}
