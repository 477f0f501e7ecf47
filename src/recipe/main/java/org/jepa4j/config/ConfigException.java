package org.jepa4j.config;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A run file (or a {@code --set} override) that cannot be used. Carries every problem found, so a
 * user fixes them all at once; the message has one line per problem, each starting with the file
 * ({@code graphs/x.yaml: data.crop_size: 30 is not a multiple of mask.patch_size 4}).
 */
public final class ConfigException extends RuntimeException {

    private final String origin;
    private final List<String> problems;

    /**
     * @param origin   the file path (or classpath resource) the config came from
     * @param problems one entry per problem, each naming {@code section.key}, the value and what was expected
     */
    public ConfigException(String origin, List<String> problems) {
        super(problems.stream().map(p -> origin + ": " + p).collect(Collectors.joining("\n")));
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException needs at least one problem");
        }
        this.origin = origin;
        this.problems = List.copyOf(problems);
    }

    public ConfigException(String origin, String problem) {
        this(origin, List.of(problem));
    }

    /** The file path or resource name of the config. */
    public String origin() {
        return origin;
    }

    /** The problems, without the origin prefix. */
    public List<String> problems() {
        return problems;
    }
}
