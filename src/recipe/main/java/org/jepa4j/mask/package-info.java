/**
 * Mask samplers: the reference's multi-block collator ({@link
 * org.jepa4j.mask.MultiBlockMaskSampler}) and the ablations' random, block and rasterized masks,
 * their statistics and pictures.
 */
package org.jepa4j.mask;
