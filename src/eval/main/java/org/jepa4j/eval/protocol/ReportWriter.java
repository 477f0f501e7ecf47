package org.jepa4j.eval.protocol;

import org.jepa4j.eval.Charts;
import org.jepa4j.eval.EvaluationReport;
import org.jepa4j.eval.RunLog;
import org.jepa4j.infer.FeatureKind;
import org.jepa4j.io.AtomicFiles;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Writes an {@link EvaluationResult}: per feature, {@code report.json}, {@code report.md} and the
 * charts ({@code accuracy.png}, {@code pca.png}, and {@code training.png} for the first feature when
 * the request names a run), in {@link EvaluationRequest#reportFolder}.
 */
public final class ReportWriter {
    private ReportWriter() {
    }

    /**
     * Writes every feature's report and charts, and a summary on {@code log}.
     *
     * @param result the scores
     * @param log    the summary lines
     * @return the written reports, per feature
     * @throws IOException when a file cannot be written
     */
    public static Map<FeatureKind, EvaluationReport> write(EvaluationResult result, PrintStream log) throws IOException {
        Map<FeatureKind, EvaluationReport> written = new LinkedHashMap<>();
        EvaluationRequest request = result.request();
        for (FeatureKind kind : result.features().keySet()) {
            Path folder = request.reportFolder(kind);
            AtomicFiles.createFolders(folder, "report");
            written.put(kind, write(result, kind, folder, kind == request.features().get(0), log));
        }
        return written;
    }

    private static EvaluationReport write(EvaluationResult result, FeatureKind kind, Path folder, boolean withTraining,
                                          PrintStream log) throws IOException {
        EvaluationRequest request = result.request();
        EvaluationReport report = result.report(kind);
        Charts.accuracyBars(report, folder.resolve("accuracy.png"));
        report = report.withChart("accuracy", "accuracy.png");
        try {
            Charts.pcaScatter(result.features().get(kind).pretrainedTest(), result.testLabels(),
                    result.data().classNames(), "PCA of pretrained test features (" + kind + ")",
                    folder.resolve("pca.png"));
            report = report.withChart("pca", "pca.png");
        } catch (org.apache.commons.math3.exception.MathIllegalStateException | ArithmeticException e) {
            // a diagnostic chart never fails an evaluation (degenerate features: no convergence)
            log.println("warning: PCA chart skipped: the principal components of the " + kind + " test features"
                    + " could not be computed (" + e.getMessage() + ")");
        }
        if (request.run() != null && withTraining) {
            try {
                RunLog runLog = RunLog.read(RunLog.find(request.run()));
                Charts.trainingCurves(runLog, "Pretraining: " + request.run().getFileName(),
                        folder.resolve("training.png"));
                report = report.withChart("training", "training.png");
            } catch (IOException e) {
                log.println("training chart skipped: " + e.getMessage());
            }
        }
        report.writeJson(folder.resolve("report.json"));
        report.writeMarkdown(folder.resolve("report.md"));
        log.println();
        log.println(kind + ":");
        for (EvaluationReport.FeatureResult r : report.results()) {
            log.printf(Locale.ROOT, "%-12s probe %6.2f%%  kNN %6.2f%%%n", r.name(), 100 * r.probe().testTop1(),
                    100 * r.knn().top1());
        }
        log.println("wrote " + folder.resolve("report.json") + ", report.md, " + String.join(", ", report.charts().values()));
        return report;
    }
}
