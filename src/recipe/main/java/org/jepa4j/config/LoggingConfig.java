package org.jepa4j.config;

/**
 * The {@code logging} section (docs/reference.md §7.1), plus jepa4j's keys.
 *
 * @param folder          {@code folder}: run folder (checkpoints, CSV log, resolved config)
 * @param writeTag        {@code write_tag}: prefix of the CSV log's file name (reference: jepa)
 * @param checkpointFreq  jepa4j {@code checkpoint_freq}: keep a numbered checkpoint every N epochs
 *                        ({@code latest} is rewritten every epoch)
 * @param logEvery        jepa4j {@code log_every}: a progress line and CSV row every N steps
 */
public record LoggingConfig(String folder, String writeTag, int checkpointFreq, int logEvery) {

    public static LoggingConfig defaults() {
        return new LoggingConfig("$replace_this_with_absolute_path_to_your_logging_directory", "jepa", 50, 10);
    }
}
