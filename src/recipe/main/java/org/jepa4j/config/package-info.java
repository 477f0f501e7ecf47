/**
 * The run file: one YAML file in the official layout (data, logging, mask, meta, optimization),
 * one record per section with its defaults and parsing, the loader that validates a whole file,
 * the writer, and the presets under {@code graphs/}.
 */
package org.jepa4j.config;
