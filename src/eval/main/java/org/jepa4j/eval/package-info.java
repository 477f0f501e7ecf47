/**
 * Scoring of exported encoders' frozen features: one feature kind scored the same way for every
 * entry ({@link org.jepa4j.eval.Evaluation}), ONNX Runtime's inner-product search for kNN on full
 * evaluation sets ({@link org.jepa4j.eval.InnerProductSearch}), the report and ablation table
 * (JSON and Markdown), charts, and the training log reader. The pure-Java measures themselves live
 * in {@code org.jepa4j.metrics}; the protocol in {@code org.jepa4j.eval.protocol}.
 */
package org.jepa4j.eval;
