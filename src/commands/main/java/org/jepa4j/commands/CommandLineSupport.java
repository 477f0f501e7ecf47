package org.jepa4j.commands;

import org.jepa4j.infer.NonFiniteFeatureException;
import org.jepa4j.io.Messages;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.function.Predicate;

/**
 * What every jepa4j command line shares, the JVM's {@code jepa4j} and the native executable alike:
 * {@code --help} and {@code --version} on every subcommand, a failure reported as one
 * {@code error: <message>} line with exit code 2 (usage) or 1 (anything else), and an
 * out-of-memory error that ends the process with one line instead of a hang.
 */
public final class CommandLineSupport {
    private CommandLineSupport() {
    }

    /** {@code --version}: the jepa4j version and the Java runtime it runs on. */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"jepa4j " + org.jepa4j.provenance.Version.current(),
                    "Java " + System.getProperty("java.version")};
        }
    }

    /**
     * Completes a command line: every subcommand gets {@code --help} and {@code --version}, and a
     * failure prints {@code error: <message>} (see {@link #handle}).
     *
     * @param cl         the root command line
     * @param usageError failures, beyond {@link IllegalArgumentException}, that are the user's input
     *                   (exit code 2)
     * @return {@code cl}
     */
    public static CommandLine configure(CommandLine cl, Predicate<Exception> usageError) {
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        standardOptions(cl);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) ->
                handle(ex, commandLine.getErr(), debug(), usageError));
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

    /**
     * Whether stack traces are wanted.
     *
     * @return environment {@code JEPA4J_DEBUG=1} (or property {@code jepa4j.debug=true})
     */
    public static boolean debug() {
        return "1".equals(System.getenv("JEPA4J_DEBUG")) || Boolean.getBoolean("jepa4j.debug");
    }

    /**
     * Reports a failed command as {@code error: <message>} (the stack trace only when {@code debug}).
     *
     * @param ex         the failure
     * @param err        where the report goes
     * @param debug      print the stack trace
     * @param usageError failures, beyond {@link IllegalArgumentException}, that are the user's input
     * @return the exit code: 2 for a usage error, 1 for anything else (I/O and runtime failures)
     */
    public static int handle(Exception ex, PrintWriter err, boolean debug, Predicate<Exception> usageError) {
        boolean usage = ex instanceof IllegalArgumentException || usageError.test(ex);
        String message = ex.getMessage();
        boolean plain = usage || ex instanceof IOException || ex instanceof NonFiniteFeatureException;
        if (message == null || message.isBlank() || !plain) {
            message = ex.getClass().getName() + (message == null || message.isBlank() ? "" : ": " + message);
        }
        // one line whatever failed (a config error keeps its documented line per problem); the
        // trace only on request
        boolean linePerProblem = usageError.test(ex) && !(ex instanceof IllegalArgumentException);
        err.println("error: " + (linePerProblem ? message : Messages.oneLine(message))
                + (plain || debug ? "" : " (an internal error; JEPA4J_DEBUG=1 prints its stack trace)"));
        if (debug) {
            ex.printStackTrace(err);
        }
        err.flush();
        return usage ? 2 : 1;
    }

    /**
     * Runs a command line as a process's {@code main} does and exits with its code; an
     * out-of-memory error in any thread ends the process with one clear line, instead of leaving it
     * waiting on the other threads of a run that can no longer progress.
     *
     * @param cl   the configured command line
     * @param args the process's arguments
     */
    public static void runAndExit(CommandLine cl, String[] args) {
        Thread.setDefaultUncaughtExceptionHandler((thread, e) -> {
            if (e instanceof VirtualMachineError vme) {
                Runtime.getRuntime().halt(fatal(vme, new PrintWriter(System.err, true)));
            }
            e.printStackTrace();
        });
        int code;
        try {
            code = cl.execute(args);
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
     * @param e   the error
     * @param err where the line goes
     * @return exit code 1
     */
    public static int fatal(VirtualMachineError e, PrintWriter err) {
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
