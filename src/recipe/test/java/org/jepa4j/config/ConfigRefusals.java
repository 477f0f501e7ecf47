package org.jepa4j.config;

import java.util.List;

/**
 * Run files that would fail only once a run starts (a prefetch queue of 0, an image too large to
 * allocate, a write tag that escapes the run folder): the loader refuses each, naming the key,
 * and so must every command that reads a config.
 */
public final class ConfigRefusals {
    private ConfigRefusals() {
    }

    /**
     * A run file and the key its refusal names.
     *
     * @param yaml the file's text
     * @param key  {@code section.key} the message must name
     */
    public record Case(String yaml, String key) {
    }

    /** Values that would fail only at run time. */
    public static final List<Case> ONLY_AT_RUN_TIME = List.of(
            new Case("data:\n  prefetch: 0\n", "data.prefetch"),
            new Case("data:\n  max_pixels: 0\n", "data.max_pixels"),
            new Case("data:\n  crop_size: 2000000000\n", "data.crop_size"),
            new Case("data:\n  crop_size: 4096\nmask:\n  patch_size: 1\n", "data.crop_size"),
            new Case("data:\n  crop_size: 4096\n  batch_size: 4096\nmask:\n  patch_size: 16\n", "data.batch_size"),
            new Case("logging:\n  write_tag: ../escape\n", "logging.write_tag"),
            new Case("logging:\n  write_tag: a/b\n", "logging.write_tag"),
            new Case("logging:\n  write_tag: runs/a\n", "logging.write_tag"),
            new Case("logging:\n  write_tag: x..y\n", "logging.write_tag"));
}
