package org.jepa4j.cli;

import org.jepa4j.commands.CommandLineSupport;
import org.jepa4j.commands.EmbedCommand;
import org.jepa4j.commands.ServeCommand;
import org.jepa4j.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine;

import java.io.PrintWriter;

/**
 * Entry point of the {@code jepa4j} command line: one subcommand per job.
 */
@Command(name = "jepa4j", mixinStandardHelpOptions = true, versionProvider = CommandLineSupport.Version.class,
        description = "I-JEPA on the JVM: train, export, embed, evaluate and serve image encoders.",
        footer = {"", "tools/jepa4j spark-embed: features of an image collection on Apache Spark (runs the Spark job"
                + " jar on Spark's own class path, not this jar; tools/jepa4j spark-embed --help, docs/spark.md).",
                "tools/jepa4j knn: kNN and linear-probe accuracy of spark-embed outputs (Parquet, JSON) or embed .npy files."},
        subcommands = {
                CommandLine.HelpCommand.class,
                ConfigCommand.class,
                DataCommand.class,
                MasksCommand.class,
                TrainCommand.class,
                ImportCommand.class,
                ExportCommand.class,
                EmbedCommand.class,
                EvalCommand.class,
                AblationCommand.class,
                ServeCommand.class,
        })
public final class Jepa4j implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /**
     * Builds the command line (also used by tests): every subcommand gets {@code --help} and
     * {@code --version}, and failures print {@code error: <message>} (see {@link #handle}).
     *
     * @return the configured command line
     */
    public static CommandLine commandLine() {
        return CommandLineSupport.configure(new CommandLine(new Jepa4j()), Jepa4j::isUsageError);
    }

    /** A config error is the user's input, as an {@link IllegalArgumentException} is. */
    private static boolean isUsageError(Exception ex) {
        return ex instanceof ConfigException;
    }

    /**
     * Reports a failed command as {@code error: <message>} (the stack trace only when {@code debug}).
     *
     * @return the exit code: 2 for a config or usage error ({@link ConfigException},
     *         {@link IllegalArgumentException}), 1 for anything else (I/O and runtime failures)
     */
    static int handle(Exception ex, PrintWriter err, boolean debug) {
        return CommandLineSupport.handle(ex, err, debug, Jepa4j::isUsageError);
    }


    public static void main(String[] args) {
        CommandLineSupport.runAndExit(commandLine(), args);
    }

    /**
     * Reports an out-of-memory (or other virtual-machine) error as one {@code error:} line naming
     * the heap limit and what to change.
     *
     * @return exit code 1
     */
    static int fatal(VirtualMachineError e, PrintWriter err) {
        return CommandLineSupport.fatal(e, err);
    }
}
