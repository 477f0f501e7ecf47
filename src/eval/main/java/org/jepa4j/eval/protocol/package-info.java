/**
 * The evaluation protocol as a library: an {@link org.jepa4j.eval.protocol.EvaluationRequest}
 * (encoder, labelled data, features, splits, baselines, probe settings) run by the
 * {@link org.jepa4j.eval.protocol.Evaluator} into an {@link org.jepa4j.eval.protocol.EvaluationResult}
 * (linear probe and kNN of the pretrained encoder, a random-init encoder and the raw pixels on the
 * same splits), written by the {@link org.jepa4j.eval.protocol.ReportWriter} as report.json,
 * report.md and charts. The {@code eval} and {@code ablation} commands are thin callers.
 */
package org.jepa4j.eval.protocol;
