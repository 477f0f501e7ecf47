/**
 * Pure-Java measures of frozen features {@code [n, d]} (one row per image), shared by training's
 * monitors and {@code jepa4j-eval}: the weighted kNN classifier ({@link org.jepa4j.metrics.Knn})
 * with a pluggable {@link org.jepa4j.metrics.NeighbourSearch} (plain Java here, ONNX Runtime in
 * {@code jepa4j-eval}), the linear probe ({@link org.jepa4j.metrics.LinearProbe}) on a softmax
 * regression, the standardiser, collapse statistics (RankMe, normalised std) and PCA. No ONNX
 * Runtime, TensorFlow or chart library.
 */
package org.jepa4j.metrics;
