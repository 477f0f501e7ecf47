package org.jepa4j.config;

import java.util.LinkedHashMap;
import java.util.Map;

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

    /** Reads the section's keys (absent keys keep their defaults), recording each problem in {@code s}. */
    static LoggingConfig parse(Section s) {
        LoggingConfig l = defaults();
        String folder = s.string("folder", l.folder(), false);
        String writeTag = s.string("write_tag", l.writeTag(), false);
        if (writeTag != null && !writeTag.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,99}")) {
            s.problem("write_tag", "'" + writeTag + "' is not allowed, expected a plain file-name prefix (letters,"
                    + " digits, '.', '_', '-'; no path separators or '..'), e.g. jepa");
        } else if (writeTag != null && writeTag.contains("..")) {
            s.problem("write_tag", "'" + writeTag + "' is not allowed, expected a plain file-name prefix without '..'");
        }
        int checkpointFreq = s.nonNegative("checkpoint_freq", s.integer("checkpoint_freq", l.checkpointFreq()));
        int logEvery = s.positive("log_every", s.integer("log_every", l.logEvery()));
        return new LoggingConfig(folder, writeTag, checkpointFreq, logEvery);
    }

    /** Every key's value as the writer emits it. */
    Map<String, Object> yamlValues() {
        Map<String, Object> logging = new LinkedHashMap<>();
        logging.put("folder", folder);
        logging.put("write_tag", writeTag);
        logging.put("checkpoint_freq", checkpointFreq);
        logging.put("log_every", logEvery);
        return logging;
    }
}
