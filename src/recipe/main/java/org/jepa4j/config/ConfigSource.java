package org.jepa4j.config;

/**
 * The text of a run file and where it came from.
 *
 * @param origin a file path, or {@code classpath:jepa4j/graphs/NAME.yaml} for a preset inside the jar
 * @param text   the YAML text
 */
public record ConfigSource(String origin, String text) {
}
