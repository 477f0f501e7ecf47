/**
 * The checkpoint format: a run folder's safetensors weights and optimizer state, with the metadata
 * (spec, preprocessing, provenance) needed to resume or export; the safetensors reader and writer.
 */
package org.jepa4j.checkpoint;
