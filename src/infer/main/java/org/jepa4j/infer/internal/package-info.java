/**
 * Internal helpers of {@link org.jepa4j.infer.FeatureExtractor}: batch slicing across lanes
 * ({@link org.jepa4j.infer.internal.BatchLanes}), stacking and splitting batches
 * ({@link org.jepa4j.infer.internal.Batchifier}) and token pooling
 * ({@link org.jepa4j.infer.internal.GridPooling}). Not part of the API: public only so that jepa4j's
 * own benchmarks and tests can reach them; they may change in any release. A service depends on
 * {@code org.jepa4j.infer} alone.
 */
package org.jepa4j.infer.internal;
