package org.jepa4j.eval.protocol;

import org.jepa4j.eval.EvaluationReport;
import org.jepa4j.infer.FeatureKind;
import org.jepa4j.provenance.Version;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The scores of one {@link EvaluationRequest}: per feature, the pretrained encoder, the random-init
 * encoder and the raw pixels, each by linear probe and kNN on the same splits.
 *
 * @param request    what was evaluated
 * @param data       the data summary (source, image and class counts, class names)
 * @param modelInfo  the evaluated model's metadata (model id, path, provider and its ONNX metadata)
 * @param provenance how the scores were made (probe settings, Java, CPUs, command line when given)
 * @param features   per feature, in the request's order
 * @param testLabels {@code [nTest]} labels of the scored images (those that were readable)
 */
public record EvaluationResult(EvaluationRequest request, EvaluationReport.DataSummary data,
                               Map<String, String> modelInfo, Map<String, String> provenance,
                               Map<FeatureKind, Feature> features, int[] testLabels) {

    /**
     * One feature's outcome.
     *
     * @param dimension      its width
     * @param results        pretrained, then random-init (when asked), then raw pixels (when asked)
     * @param pretrainedTest {@code [nTest, dimension]} the pretrained encoder's test features (for the PCA chart)
     */
    public record Feature(int dimension, List<EvaluationReport.FeatureResult> results, float[][] pretrainedTest) {
    }

    /**
     * The result of one entry, by name.
     *
     * @param kind the feature
     * @param name {@link EvaluationReport#PRETRAINED}, {@link EvaluationReport#RANDOM_INIT} or
     *             {@link EvaluationReport#RAW_PIXELS}
     * @return the result
     * @throws IllegalArgumentException when that feature or entry was not evaluated
     */
    public EvaluationReport.FeatureResult result(FeatureKind kind, String name) {
        Feature f = features.get(kind);
        if (f == null) {
            throw new IllegalArgumentException("feature " + kind + " was not evaluated; evaluated: " + features.keySet());
        }
        return f.results().stream().filter(r -> r.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no '" + name + "' result for feature " + kind));
    }

    /**
     * One feature's report, stamped now, without charts (the {@link ReportWriter} adds them).
     *
     * @param kind the feature
     * @return the report
     */
    public EvaluationReport report(FeatureKind kind) {
        Feature f = features.get(kind);
        Map<String, String> info = new java.util.LinkedHashMap<>(modelInfo);
        info.put("feature", kind.toString());
        info.put("dimension", Integer.toString(f.dimension()));
        return new EvaluationReport(Instant.now().toString(), Version.current(), data, kind.toString(), info,
                provenance, f.results(), Map.of());
    }
}
