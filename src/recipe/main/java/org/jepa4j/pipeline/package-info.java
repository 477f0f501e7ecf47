/**
 * The training data pipeline: the training transform (random resized crop, flip, normalisation),
 * and the batch loader that pairs each batch of images with its masks, deterministic in (seed,
 * step).
 */
package org.jepa4j.pipeline;
