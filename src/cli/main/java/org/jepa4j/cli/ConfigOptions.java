package org.jepa4j.cli;

import org.jepa4j.config.ConfigException;
import org.jepa4j.config.RunConfig;
import org.jepa4j.config.RunConfigLoader;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine;

import java.util.ArrayList;
import java.util.List;

/**
 * Picocli mixin for every command that reads a run file: {@code --config FILE|PRESET} and repeated
 * {@code --set section.key=value}. Use it with {@code @Mixin ConfigOptions config;} and call
 * {@link #load()}.
 */
public final class ConfigOptions {

    @Option(names = "--config", paramLabel = "FILE|PRESET",
            description = "Run file (YAML, the reference's layout), or a preset name under graphs/ "
                    + "(fashion_mnist, models/vit_base, official/in1k_vith14_ep300, ...).")
    String config;

    @Option(names = "--set", paramLabel = "SECTION.KEY=VALUE",
            description = "Override one key before validation; VALUE is a YAML scalar or flow list "
                    + "(--set optimization.lr=0.0005 --set data.crop_scale=[0.3,1.0]). Repeatable.")
    List<String> overrides = new ArrayList<>();

    @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
    CommandSpec mixee;

    private RunConfig loaded;


    /**
     * Loads and validates the run file (once; later calls return the same config) and prints, on
     * the first call, the keys the JVM ignores as one line on standard error.
     *
     * @throws CommandLine.ParameterException when {@code --config} is missing (usage error)
     * @throws ConfigException                 when the file is missing or invalid
     */
    public RunConfig load() {
        if (loaded == null) {
            if (config == null) {
                throw new CommandLine.ParameterException(mixee.commandLine(),
                        "Missing required option: '--config=FILE|PRESET'");
            }
            loaded = RunConfigLoader.resolve(config, overrides);
            checkDataSources(loaded, org.jepa4j.config.Presets.find(config).origin());
            String line = ignoredLine(loaded);
            if (!line.isEmpty()) {
                mixee.commandLine().getErr().println(line);
                mixee.commandLine().getErr().flush();
            }
        }
        return loaded;
    }

    /**
     * Refuses a {@code data.source} or {@code data.eval_source} whose form is wrong, before any
     * command reads or writes anything: {@code config}, {@code train} and {@code ablation} give the
     * same message.
     *
     * @param origin the config file (or preset) the config came from, for the message
     * @throws ConfigException naming the file, the key and the accepted forms
     */
    public static void checkDataSources(RunConfig config, String origin) {
        for (String key : java.util.List.of("source", "eval_source")) {
            String spec = key.equals("source") ? config.data().source() : config.data().evalSource();
            if (spec == null || spec.isBlank()) {
                continue;
            }
            try {
                org.jepa4j.data.ImageSources.checkSpec(spec);
            } catch (IllegalArgumentException e) {
                throw new org.jepa4j.config.ConfigException(origin, "data." + key + ": " + e.getMessage());
            }
        }
    }

    /** {@code ignored on the JVM (no effect): data.pin_mem, meta.copy_data}, or empty when none. */
    public static String ignoredLine(RunConfig config) {
        return config.ignoredKeys().isEmpty() ? ""
                : "ignored on the JVM (no effect): " + String.join(", ", config.ignoredKeys());
    }
}
