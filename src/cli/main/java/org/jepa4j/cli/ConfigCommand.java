package org.jepa4j.cli;

import org.jepa4j.commands.OutputChecks;
import org.jepa4j.config.RunConfig;
import org.jepa4j.config.RunConfigWriter;
import org.jepa4j.model.ModelSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code jepa4j config}: validates a run file (with overrides) and prints it resolved, every key
 * with its value, in the reference's layout followed by jepa4j's keys.
 */
@Command(name = "config", mixinStandardHelpOptions = true,
        description = {"Validate a run config and print it resolved (official keys, then jepa4j's).",
                "Exit code 2 with one line per problem when the config is invalid."})
public final class ConfigCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions configOptions;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the resolved YAML to FILE instead of standard output.")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        RunConfig config = configOptions.load();
        ModelSpec model = config.modelSpec();
        String yaml = RunConfigWriter.toYaml(config);
        PrintWriter stdout = spec.commandLine().getOut();
        if (out != null) {
            java.util.List<org.jepa4j.io.OutputGuard.Input> inputs = new java.util.ArrayList<>();
            if (java.nio.file.Files.exists(java.nio.file.Path.of(configOptions.config))) {
                inputs.add(new org.jepa4j.io.OutputGuard.Input("--config", java.nio.file.Path.of(configOptions.config)));
            }
            inputs.addAll(OutputChecks.dataInputs("data.source", config.data().source()));
            inputs.addAll(OutputChecks.dataInputs("data.eval_source", config.data().evalSource()));
            OutputChecks.checkFile("--out", out, java.util.List.of(".yaml", ".yml"), true, inputs,
                    "a run config written by jepa4j config", OutputChecks::isRunConfigYaml);
            RunConfigWriter.write(config, out);
            stdout.println("wrote " + out);
        } else {
            stdout.print(yaml);
        }
        var e = model.encoder();
        var p = model.predictor();
        spec.commandLine().getErr().printf("model: %dx%d grid (%d px / patch %d, %d channel%s); encoder width %d depth %d "
                        + "heads %d mlp %d; predictor width %d depth %d heads %d mlp %d%n",
                e.gridSize(), e.gridSize(), e.imageSize(), e.patchSize(), e.channels(), e.channels() == 1 ? "" : "s",
                e.width(), e.depth(), e.heads(), e.mlpHidden(), p.width(), p.depth(), p.heads(), p.mlpHidden());
        stdout.flush();
        return 0;
    }
}
