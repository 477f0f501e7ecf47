package org.jepa4j.cli;

import org.jepa4j.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;

/**
 * Entry point of the {@code jepa4j} command line: one subcommand per job.
 */
@Command(name = "jepa4j", mixinStandardHelpOptions = true, versionProvider = Jepa4j.Version.class,
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

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"jepa4j " + org.jepa4j.provenance.Version.current(), "Java " + System.getProperty("java.version")};
        }
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /**
     * Builds the command line (also used by tests): every subcommand gets {@code --help} and
     * {@code --version}, and failures print {@code error: <message>} (see {@link #handle}).
     */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Jepa4j()).setCaseInsensitiveEnumValuesAllowed(true);
        standardOptions(cl);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> handle(ex, commandLine.getErr(), debug()));
        return cl;
    }

    private static void standardOptions(CommandLine cl) {
        for (CommandLine sub : cl.getSubcommands().values()) {
            CommandLine.Model.CommandSpec spec = sub.getCommandSpec();
            if (!spec.mixinStandardHelpOptions()) {
                spec.mixinStandardHelpOptions(true);
            }
            if (spec.version().length == 0 && spec.versionProvider() == null) {
                spec.versionProvider(new Version());
            }
            standardOptions(sub);
        }
    }

    /** Whether stack traces are wanted: environment {@code JEPA4J_DEBUG=1} (or property {@code jepa4j.debug=true}). */
    static boolean debug() {
        return "1".equals(System.getenv("JEPA4J_DEBUG")) || Boolean.getBoolean("jepa4j.debug");
    }

    /**
     * Reports a failed command as {@code error: <message>} (the stack trace only when {@code debug}).
     *
     * @return the exit code: 2 for a config or usage error ({@link ConfigException},
     *         {@link IllegalArgumentException}), 1 for anything else (I/O and runtime failures)
     */
    static int handle(Exception ex, PrintWriter err, boolean debug) {
        String message = ex.getMessage();
        boolean plain = ex instanceof ConfigException || ex instanceof IllegalArgumentException
                || ex instanceof IOException || ex instanceof org.jepa4j.infer.NonFiniteFeatureException;
        if (message == null || message.isBlank() || !plain) {
            message = ex.getClass().getName() + (message == null || message.isBlank() ? "" : ": " + message);
        }
        // one line whatever failed; the trace only on request
        // a config error keeps its documented line per problem
        err.println("error: " + (ex instanceof ConfigException ? message : oneLine(message)) + (plain || debug ? "" : " (an internal error; JEPA4J_DEBUG=1 prints"
                + " its stack trace)"));
        if (debug) {
            ex.printStackTrace(err);
        }
        err.flush();
        return ex instanceof ConfigException || ex instanceof IllegalArgumentException ? 2 : 1;
    }

    /** {@code message} on one line: a multi-line message's lines joined with "; ". */
    static String oneLine(String message) {
        return String.join("; ", message.strip().split("\\s*\\R\\s*"));
    }

    public static void main(String[] args) {
        // an out-of-memory error in any thread ends the process with one clear line, instead of
        // leaving the JVM waiting on the other threads of a run that can no longer progress
        Thread.setDefaultUncaughtExceptionHandler((thread, e) -> {
            if (e instanceof VirtualMachineError vme) {
                Runtime.getRuntime().halt(fatal(vme, new PrintWriter(System.err, true)));
            }
            e.printStackTrace();
        });
        int code;
        try {
            code = commandLine().execute(args);
        } catch (VirtualMachineError e) {
            code = fatal(e, new PrintWriter(System.err, true));
            Runtime.getRuntime().halt(code); // shutdown hooks could wait on threads that cannot allocate
        }
        System.exit(code);
    }

    /**
     * Reports an out-of-memory (or other virtual-machine) error as one {@code error:} line naming
     * the heap limit and what to change.
     *
     * @return exit code 1
     */
    static int fatal(VirtualMachineError e, PrintWriter err) {
        long maxMb = Runtime.getRuntime().maxMemory() / (1024 * 1024);
        if (e instanceof OutOfMemoryError) {
            err.println("error: out of memory (" + e.getMessage() + "): this job needs more than the JVM's maximum heap of "
                    + maxMb + " MB; give it more with JEPA4J_JAVA_OPTS=-Xmx<size> (default: half the machine's memory),"
                    + " or choose a smaller model (meta.model_name, meta.embed_dim, meta.depth) or data.batch_size");
        } else {
            err.println("error: the Java virtual machine failed: " + e);
        }
        err.flush();
        return 1;
    }
}
